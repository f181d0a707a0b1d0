package shred

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

const (
	sealPrefix = "s1."
	// aadDomain precedes the subject in the additional data, so a sealed value
	// authenticates only as this format for this subject.
	aadDomain = "portcullis-audit-shred-v1\n"
	// maxSubject bounds a subject; a pseudonym ("p1:" + 43 characters) is far
	// shorter.
	maxSubject = 128
	// maxSealed bounds what Open decodes.
	maxSealed = 64 << 10
)

var b64 = base64.RawURLEncoding.Strict()

// checkSubject accepts what a pseudonym is made of: letters, digits, ':', '_'
// and '-'. No '.', which separates the parts of a sealed value.
func checkSubject(s string) error {
	if s == "" || len(s) > maxSubject {
		return fmt.Errorf("%w: want 1 to %d characters, got %d", ErrBadSubject, maxSubject, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':' || c == '_' || c == '-') {
			return fmt.Errorf("%w: character %d is not one of [A-Za-z0-9:_-]", ErrBadSubject, i+1)
		}
	}
	return nil
}

func additionalData(subject string) []byte { return []byte(aadDomain + subject) }

func seal(aead cipher.AEAD, subject string, fields map[string]string) (string, error) {
	if fields == nil {
		fields = map[string]string{} // "{}", not "null"
	}
	plain, err := json.Marshal(fields) // map keys come out sorted
	if err != nil {
		return "", fmt.Errorf("audit shred: encoding fields: %w", err)
	}
	box := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(box) // the nonce; crypto/rand never fails
	box = aead.Seal(box, box, plain, additionalData(subject))
	clear(plain)
	var b strings.Builder
	b.Grow(len(sealPrefix) + len(subject) + 1 + b64.EncodedLen(len(box)))
	b.WriteString(sealPrefix)
	b.WriteString(subject)
	b.WriteByte('.')
	b.WriteString(b64.EncodeToString(box))
	return b.String(), nil
}

// parseSealed splits "s1.<subject>.<base64url>" and decodes the box.
func parseSealed(sealed string) (subject string, box []byte, err error) {
	if len(sealed) > maxSealed {
		return "", nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxSealed)
	}
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", nil, fmt.Errorf("%w: no %q prefix", ErrMalformed, sealPrefix)
	}
	subject, text, ok := strings.Cut(rest, ".")
	if !ok || checkSubject(subject) != nil {
		return "", nil, fmt.Errorf("%w: bad subject", ErrMalformed)
	}
	box, err = b64.DecodeString(text)
	if err != nil {
		return "", nil, fmt.Errorf("%w: not base64url", ErrMalformed)
	}
	return subject, box, nil
}

func open(aead cipher.AEAD, subject string, box []byte) (map[string]string, error) {
	n := aead.NonceSize()
	if len(box) < n+aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrMalformed)
	}
	plain, err := aead.Open(nil, box[:n], box[n:], additionalData(subject))
	if err != nil {
		return nil, fmt.Errorf("%w: does not authenticate for this subject", ErrMalformed)
	}
	defer clear(plain)
	var fields map[string]string
	if len(plain) == 0 || plain[0] != '{' || json.Unmarshal(plain, &fields) != nil {
		return nil, fmt.Errorf("%w: the sealed fields do not decode", ErrMalformed)
	}
	return fields, nil
}
