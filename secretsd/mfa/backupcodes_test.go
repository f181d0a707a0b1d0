package mfa_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// Crockford's base32 without i, l, o, u: 5 bits a character, 50 a code.
var backupCodeFormat = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)

func (e *env) useBackupCode(u mfa.User, code string) ([]string, error) {
	return e.svc.Verify(context.Background(), u, mfa.Proof{Method: mfa.MethodBackupCode, BackupCode: code}, "")
}

func TestBackupCodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, st, mfa.Config{})
		_, err := e.useBackupCode(e.user, "abcde-fghjk")
		wantErr(t, err, mfa.ErrNoFactor)

		codes, err := e.svc.GenerateBackupCodes(ctx, e.user)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 {
			t.Fatalf("%d codes, want 10", len(codes))
		}
		for _, c := range codes {
			if !backupCodeFormat.MatchString(c) {
				t.Errorf("code %q is not of the form xxxxx-xxxxx in the unambiguous alphabet", c)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
			t.Errorf("duplicate codes in %v", codes)
		}
		if n, _ := e.svc.BackupCodesLeft(ctx, e.user.ID); n != 10 {
			t.Errorf("%d codes left, want 10", n)
		}
		if m, _ := e.svc.Methods(ctx, e.user.ID); !slices.Equal(m, []string{mfa.MethodBackupCode}) {
			t.Errorf("methods %v", m)
		}

		// Typed back sloppily: upper case, spaces, no dash, look-alikes.
		sloppy := strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))
		sloppy = strings.NewReplacer("0", "O", "1", "l").Replace(sloppy)
		amr, err := e.useBackupCode(e.user, sloppy)
		if err != nil || !slices.Equal(amr, []string{"otp", "mfa"}) {
			t.Fatalf("Verify(%q) = %v, %v", sloppy, amr, err)
		}
		_, err = e.useBackupCode(e.user, codes[0])
		wantErr(t, err, mfa.ErrInvalidCode)
		if n, _ := e.svc.BackupCodesLeft(ctx, e.user.ID); n != 9 {
			t.Errorf("%d codes left after one use, want 9", n)
		}
		_, err = e.useBackupCode(e.user, "zzzzz-zzzzz")
		wantErr(t, err, mfa.ErrInvalidCode)
		_, err = e.useBackupCode(e.user, codes[1]+"x")
		wantErr(t, err, mfa.ErrInvalidCode)

		// Regenerating replaces every code.
		fresh, err := e.svc.GenerateBackupCodes(ctx, e.user)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.useBackupCode(e.user, codes[1])
		wantErr(t, err, mfa.ErrInvalidCode)
		if n, _ := e.svc.BackupCodesLeft(ctx, e.user.ID); n != 10 {
			t.Errorf("%d codes left after regenerating, want 10", n)
		}

		// Another node (same database and kek) hashes with the same key.
		other := newEnvWith(t, st, e.sealer, clock.NewManual(t0), mfa.Config{})
		if _, err := other.useBackupCode(e.user, fresh[2]); err != nil {
			t.Fatalf("a code generated on one node is refused on another: %v", err)
		}

		// The HMAC key is stored sealed, bound to its setting.
		sealed, err := st.Setting(ctx, mfa.BackupKeySetting)
		if err != nil {
			t.Fatal(err)
		}
		key, err := e.sealer.Open(ctx, sealed, []byte("setting:"+mfa.BackupKeySetting))
		if err != nil || len(key) != 32 {
			t.Fatalf("opening the backup-code key: %d bytes, %v", len(key), err)
		}
	})
}

func TestNormalizeBackupCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"canonical form", "abcde-fghjk", "abcdefghjk", true},
		{"upper case", "ABCDE-FGHJK", "abcdefghjk", true},
		{"no dash", "abcdefghjk", "abcdefghjk", true},
		{"spaces and dashes anywhere", " ab cde--fg hjk ", "abcdefghjk", true},
		{"o reads as zero, i and l as one", "oOiIl-Labcd", "001111abcd", true},
		{"look-alikes are mapped", "oIlab-cdefg", "011abcdefg", true},
		{"u is not in the alphabet", "abcde-fghju", "", false},
		{"too short", "abcde-fghj", "", false},
		{"too long", "abcde-fghjkm", "", false},
		{"punctuation", "abcde_fghjk", "", false},
		{"non-ASCII", "abcdé-fghjk", "", false},
		{"empty", "", "", false},
		{"overlong input", strings.Repeat(" ", 100) + "abcdefghjk", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := mfa.NormalizeBackupCode(tc.in)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("NormalizeBackupCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
