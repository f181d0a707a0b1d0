package mfa_test

import (
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/portcullis/portcullis/secretsd/mfa"
)

// Backup codes arrive as text typed by a user: normalisation must never
// panic, and what it accepts is a canonical code that normalises to itself.
func FuzzNormalizeBackupCode(f *testing.F) {
	for _, s := range []string{"abcde-fghjk", "ABCDE FGHJK", "oilOI-LLLLL", "abcde-fghju", "", "-----", "ＡＢＣＤＥ-ＦＧＨＪＫ", "abcde\x00fghjk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := mfa.NormalizeBackupCode(in)
		if !ok {
			if out != "" {
				t.Fatalf("refused %q but returned %q", in, out)
			}
			return
		}
		if len(out) != 10 || strings.Trim(out, "0123456789abcdefghjkmnpqrstvwxyz") != "" {
			t.Fatalf("%q normalised to %q, not a canonical code", in, out)
		}
		if again, ok := mfa.NormalizeBackupCode(out[:5] + "-" + out[5:]); !ok || again != out {
			t.Fatalf("the canonical %q does not normalise to itself (%q)", out, again)
		}
	})
}

func FuzzNormalizeTOTPCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "12345", "1234567", "12345a", "", "\t000000 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := mfa.NormalizeTOTPCode(in)
		if ok && (len(out) != 6 || strings.Trim(out, "0123456789") != "") {
			t.Fatalf("%q normalised to %q", in, out)
		}
	})
}

// WebAuthn responses come from the client as JSON; decoding one must never
// panic whatever the bytes.
func FuzzDecodeAssertion(f *testing.F) {
	r := virtualwebauthn.RelyingParty{ID: rpID, Origin: rpOrigin}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte("user")})
	cred := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
	f.Add([]byte(virtualwebauthn.CreateAssertionResponse(r, auth, cred, virtualwebauthn.AssertionOptions{
		Challenge: []byte("0123456789abcdef0123456789abcdef"), RelyingPartyID: rpID,
	})))
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"id":"","type":"public-key"}`,
		`{"id":"AA","rawId":"AA","type":"public-key","response":{"authenticatorData":"","clientDataJSON":"","signature":""}}`,
		`{"id":"AA","rawId":"AA","type":"public-key","response":{"authenticatorData":"AAAA","clientDataJSON":"e30","signature":"AA"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = mfa.DecodeAssertion(in)
	})
}

func FuzzDecodeAttestation(f *testing.F) {
	r := virtualwebauthn.RelyingParty{ID: rpID, Origin: rpOrigin}
	auth := virtualwebauthn.NewAuthenticator()
	cred := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
	f.Add([]byte(virtualwebauthn.CreateAttestationResponse(r, auth, cred, virtualwebauthn.AttestationOptions{
		Challenge: []byte("0123456789abcdef0123456789abcdef"), RelyingPartyID: rpID, UserID: "user", UserName: "user",
	})))
	for _, s := range []string{``, `{}`, `null`, `{"id":"AA","rawId":"AA","type":"public-key","response":{"attestationObject":"oA","clientDataJSON":"e30"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = mfa.DecodeAttestation(in)
	})
}
