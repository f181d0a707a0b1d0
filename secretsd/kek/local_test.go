package kek_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/kek"
)

var ctx = context.Background()

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, kek.LocalKeySize) }

func mustLocal(t testing.TB, key []byte) *kek.Local {
	t.Helper()
	l, err := kek.NewLocal(key)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocalRoundTrip(t *testing.T) {
	t.Parallel()
	l := mustLocal(t, testKey(1))
	for _, tc := range []struct {
		name           string
		plaintext, aad []byte
	}{
		{"empty plaintext and aad", nil, nil},
		{"TOTP seed bound to its device", []byte("JBSWY3DPEHPK3PXP"), []byte("totp:dev-1")},
		{"large value", bytes.Repeat([]byte("x"), 1<<16), []byte("signing:kid")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := l.Seal(ctx, tc.plaintext, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.plaintext) > 4 && bytes.Contains(ct, tc.plaintext) {
				t.Fatal("ciphertext contains the plaintext")
			}
			pt, err := l.Open(ctx, ct, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pt, tc.plaintext) {
				t.Fatalf("Open = %q, want %q", pt, tc.plaintext)
			}
		})
	}
}

func TestLocalSealUsesFreshNonces(t *testing.T) {
	t.Parallel()
	l := mustLocal(t, testKey(1))
	a, _ := l.Seal(ctx, []byte("same"), nil)
	b, _ := l.Seal(ctx, []byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal")
	}
}

func TestLocalOpenRefuses(t *testing.T) {
	t.Parallel()
	l := mustLocal(t, testKey(1))
	ct, err := l.Seal(ctx, []byte("secret"), []byte("totp:dev-1"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 1
		return c
	}
	for _, tc := range []struct {
		name   string
		sealer *kek.Local
		ct     []byte
		aad    string
		want   error
	}{
		{"value copied to another row (other aad)", l, ct, "totp:dev-2", kek.ErrAuthentication},
		{"missing aad", l, ct, "", kek.ErrAuthentication},
		{"tampered tag", l, flip(len(ct) - 1), "totp:dev-1", kek.ErrAuthentication},
		{"tampered ciphertext", l, flip(len(ct) - 17), "totp:dev-1", kek.ErrAuthentication},
		{"tampered nonce", l, flip(2 + len(l.KeyID())), "totp:dev-1", kek.ErrAuthentication},
		{"tampered key id", l, flip(2), "totp:dev-1", kek.ErrUnknownKey},
		{"unknown format version", l, flip(0), "totp:dev-1", kek.ErrMalformed},
		{"truncated", l, ct[:len(ct)-20], "totp:dev-1", kek.ErrMalformed},
		{"empty", l, nil, "totp:dev-1", kek.ErrMalformed},
		{"sealed under another key", mustLocal(t, testKey(2)), ct, "totp:dev-1", kek.ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := tc.sealer.Open(ctx, tc.ct, []byte(tc.aad))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %q, %v; want %v", pt, err, tc.want)
			}
			if pt != nil {
				t.Fatalf("Open returned plaintext %q with its error", pt)
			}
		})
	}
}

func TestLocalWrongKeyWithSameIDFails(t *testing.T) {
	t.Parallel()
	// Forge a value whose header names the other key: only GCM stands between.
	a, b := mustLocal(t, testKey(1)), mustLocal(t, testKey(2))
	ct, _ := b.Seal(ctx, []byte("secret"), nil)
	forged := append([]byte{ct[0], byte(len(a.KeyID()))}, a.KeyID()...)
	forged = append(forged, ct[2+len(b.KeyID()):]...)
	if _, err := a.Open(ctx, forged, nil); !errors.Is(err, kek.ErrAuthentication) {
		t.Fatalf("Open = %v, want ErrAuthentication", err)
	}
}

func TestLocalKeyID(t *testing.T) {
	t.Parallel()
	key := testKey(7)
	a, b, c := mustLocal(t, key), mustLocal(t, key), mustLocal(t, testKey(8))
	if a.KeyID() != b.KeyID() {
		t.Errorf("same key, different ids %q %q", a.KeyID(), b.KeyID())
	}
	if a.KeyID() == c.KeyID() {
		t.Errorf("different keys, same id %q", a.KeyID())
	}
	if len(a.KeyID()) != 16 {
		t.Errorf("KeyID %q: want 16 hex digits", a.KeyID())
	}
	for _, s := range []string{a.KeyID(), a.String(), fmt.Sprintf("%v %+v %#v", a, a, a)} {
		if strings.Contains(s, string(key)) || strings.Contains(s, base64.StdEncoding.EncodeToString(key)) {
			t.Errorf("%q reveals the key", s)
		}
	}
}

func TestNewLocalRejectsWrongSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := kek.NewLocal(make([]byte, n)); err == nil {
			t.Errorf("NewLocal accepted a %d-byte key", n)
		}
	}
}

func TestParseLocalKey(t *testing.T) {
	t.Parallel()
	key := testKey(9)
	want := mustLocal(t, key).KeyID()
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"standard base64", base64.StdEncoding.EncodeToString(key), true},
		{"with surrounding whitespace", "  " + base64.StdEncoding.EncodeToString(key) + "\n", true},
		{"unpadded", base64.RawStdEncoding.EncodeToString(key), true},
		{"URL alphabet", base64.URLEncoding.EncodeToString(key), true},
		{"too short", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"not base64", "correct horse battery staple!!", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := kek.ParseLocalKey(tc.in)
			if !tc.ok {
				if err == nil {
					t.Fatal("accepted")
				}
				if tc.in != "" && strings.Contains(err.Error(), tc.in) {
					t.Fatalf("error %q repeats the input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.KeyID() != want {
				t.Fatalf("KeyID = %q, want %q", l.KeyID(), want)
			}
		})
	}
}

func BenchmarkLocalSeal(b *testing.B) {
	l := mustLocal(b, testKey(1))
	pt, aad := make([]byte, 32), []byte("totp:dev-1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Seal(ctx, pt, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLocalOpen(b *testing.B) {
	l := mustLocal(b, testKey(1))
	aad := []byte("totp:dev-1")
	ct, _ := l.Seal(ctx, make([]byte, 32), aad)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Open(ctx, ct, aad); err != nil {
			b.Fatal(err)
		}
	}
}
