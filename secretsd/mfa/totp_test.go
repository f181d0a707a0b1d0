package mfa_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pquerna/otp"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// RFC 6238 Appendix B, the SHA-1 rows: seed "12345678901234567890", 8 digits.
func TestTOTPMatchesRFC6238AppendixB(t *testing.T) {
	t.Parallel()
	seed := []byte("12345678901234567890")
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	vectors := []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, v := range vectors {
		t.Run(fmt.Sprint(v.unix), func(t *testing.T) {
			at := time.Unix(v.unix, 0)
			got, err := mfa.CodeAt(secret, uint64(v.unix/30), otp.DigitsEight)
			if err != nil || got != v.code {
				t.Fatalf("code at %d = %q, %v; want %q", v.unix, got, err, v.code)
			}
			step, ok := mfa.MatchTOTP(seed, v.code, at, 0, otp.DigitsEight)
			if !ok || step != v.unix/30 {
				t.Fatalf("MatchTOTP(%q at %d) = %d, %v; want step %d", v.code, v.unix, step, ok, v.unix/30)
			}
			if _, ok := mfa.MatchTOTP(seed, v.code, at.Add(90*time.Second), 1, otp.DigitsEight); ok {
				t.Fatalf("code of %d accepted three steps later", v.unix)
			}
		})
	}
}

// oathtool (Debian's oath-toolkit) is an independent implementation: the
// codes it computes for an enrolled secret must be the ones we accept.
func TestTOTPAgreesWithOathtool(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatalf("oathtool is not installed: this test checks our TOTP codes against it; " +
			"install Debian's package (apt-get install oathtool), which scripts/test.sh does")
	}
	oath := func(secret string, at time.Time) string {
		t.Helper()
		out, err := exec.Command(path, "--totp", "-b", secret, "-N", fmt.Sprintf("@%d", at.Unix())).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	e := newEnv(t, storetest.SQLite(t), mfa.Config{})
	ctx := context.Background()
	en, err := e.svc.EnrollTOTP(ctx, e.user, "phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConfirmTOTP(ctx, e.user, en.Device.ID, oath(en.Secret, e.clock.Now())); err != nil {
		t.Fatalf("confirming with oathtool's code: %v", err)
	}
	for _, later := range []time.Duration{30 * time.Second, time.Hour, 24 * time.Hour, 397 * 24 * time.Hour} {
		at := t0.Add(later)
		if got, want := codeAt(t, en.Secret, at), oath(en.Secret, at); got != want {
			t.Fatalf("at %s our code %s, oathtool's %s", at, got, want)
		}
		e.clock.Set(at)
		if _, err := e.verifyCode(e.user, oath(en.Secret, at)); err != nil {
			t.Fatalf("oathtool's code at %s refused: %v", at, err)
		}
	}
}

func TestTOTPEnrollment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st, mfa.Config{Issuer: "Acme"})
		ctx := context.Background()
		en, err := e.svc.EnrollTOTP(ctx, e.user, "phone")
		if err != nil {
			t.Fatal(err)
		}
		seed := mustSeed(t, en.Secret)
		if len(seed) != 20 {
			t.Errorf("seed of %d bytes, want 20", len(seed))
		}
		u, err := url.Parse(en.URI)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Acme:"+e.user.Username ||
			q.Get("secret") != en.Secret || q.Get("issuer") != "Acme" || q.Get("algorithm") != "SHA1" ||
			q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("URI %s is not what authenticator apps expect", en.URI)
		}
		img, err := png.Decode(bytes.NewReader(en.QRPNG))
		if err != nil {
			t.Fatalf("QR code is not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() < 200 || b.Dx() != b.Dy() {
			t.Errorf("QR code of %v", b)
		}
		if got := decodeQR(t, img); got != en.URI {
			t.Errorf("the QR code reads %q, want the URI %q", got, en.URI)
		}
		if en.Device.Confirmed || en.Device.Kind != "totp" || en.Device.Name != "phone" {
			t.Errorf("enrolled device %+v", en.Device)
		}

		// The seed is sealed, and bound to its row.
		stored, err := st.GetDevice(ctx, e.user.ID, en.Device.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(stored.Secret, seed) || strings.Contains(string(stored.Secret), en.Secret) {
			t.Error("the stored device holds the seed in clear")
		}
		if got, err := e.sealer.Open(ctx, stored.Secret, []byte("totp:"+stored.ID)); err != nil || !bytes.Equal(got, seed) {
			t.Errorf("opening the seed with its AAD: %v", err)
		}
		if _, err := e.sealer.Open(ctx, stored.Secret, []byte("totp:another")); err == nil {
			t.Error("the sealed seed opens under another device's AAD")
		}

		// Unconfirmed: not a factor yet.
		if has, _ := e.svc.HasFactor(ctx, e.user.ID); has {
			t.Error("an unconfirmed device counts as a factor")
		}
		_, err = e.verifyCode(e.user, codeAt(t, en.Secret, e.clock.Now()))
		wantErr(t, err, mfa.ErrNoFactor)

		_, err = e.svc.ConfirmTOTP(ctx, e.user, en.Device.ID, "000000x")
		wantErr(t, err, mfa.ErrInvalidCode)
		code := codeAt(t, en.Secret, e.clock.Now())
		d, err := e.svc.ConfirmTOTP(ctx, e.user, en.Device.ID, code)
		if err != nil || !d.Confirmed {
			t.Fatalf("ConfirmTOTP = %+v, %v", d, err)
		}
		_, err = e.svc.ConfirmTOTP(ctx, e.user, en.Device.ID, code)
		wantErr(t, err, mfa.ErrNoFactor)
		// The confirmation code is spent: it cannot log in.
		_, err = e.verifyCode(e.user, code)
		wantErr(t, err, mfa.ErrInvalidCode)
		e.clock.Advance(30 * time.Second)
		amr, err := e.verifyCode(e.user, codeAt(t, en.Secret, e.clock.Now()))
		if err != nil || strings.Join(amr, " ") != "otp mfa" {
			t.Fatalf("Verify = %v, %v; want amr [otp mfa]", amr, err)
		}
	})
}

// decodeQR reads a QR code with an independent decoder (gozxing, a port of
// ZXing, which phone apps use).
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	return res.GetText()
}

func TestTOTPConfirmRefusesOtherUsersDevice(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	e := newEnv(t, st, mfa.Config{})
	other := newUser(t, st, false)
	en, err := e.svc.EnrollTOTP(context.Background(), e.user, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ConfirmTOTP(context.Background(), other, en.Device.ID, codeAt(t, en.Secret, e.clock.Now()))
	wantErr(t, err, mfa.ErrNoFactor)
}

// ±Skew steps (default 1) are accepted; a code two steps away is not.
func TestTOTPSkew(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		steps int
		ok    bool
	}{
		{"code of the current step is accepted", 0, true},
		{"code of the previous step is accepted", -1, true},
		{"code of the next step is accepted", +1, true},
		{"code two steps old is refused", -2, false},
		{"code two steps ahead is refused", +2, false},
	}
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, st, mfa.Config{})
				_, secret := e.enrolTOTP(t, e.user, "phone")
				e.clock.Advance(10 * time.Minute)
				code := codeAt(t, secret, e.clock.Now().Add(time.Duration(tc.steps)*30*time.Second))
				_, err := e.verifyCode(e.user, code)
				if tc.ok && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !tc.ok {
					wantErr(t, err, mfa.ErrInvalidCode)
				}
			})
		}
	})
}

// RFC 6238 §5.2: a code is accepted once; after a step was used, neither it
// nor an earlier step is accepted again.
func TestTOTPReplayRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st, mfa.Config{})
		_, secret := e.enrolTOTP(t, e.user, "phone")
		now := e.clock.Now()
		if _, err := e.verifyCode(e.user, codeAt(t, secret, now)); err != nil {
			t.Fatal(err)
		}
		_, err := e.verifyCode(e.user, codeAt(t, secret, now))
		wantErr(t, err, mfa.ErrInvalidCode)
		_, err = e.verifyCode(e.user, codeAt(t, secret, now.Add(-30*time.Second)))
		wantErr(t, err, mfa.ErrInvalidCode)
		// A later code (the next step, within the skew) still works, once.
		next := codeAt(t, secret, now.Add(30*time.Second))
		if _, err := e.verifyCode(e.user, next); err != nil {
			t.Fatalf("next step refused: %v", err)
		}
		e.clock.Advance(30 * time.Second)
		_, err = e.verifyCode(e.user, next)
		wantErr(t, err, mfa.ErrInvalidCode)
	})
}

// Two secretsd nodes (two services, two connection pools, one database)
// given the same code at once accept it once.
func TestTOTPReplayRefusedAcrossNodes(t *testing.T) {
	t.Parallel()
	storetest.EachConfig(t, func(t *testing.T, cfg store.Config) {
		t.Parallel()
		open := func() store.Store {
			st, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		stA, stB := open(), open()
		sealer := newSealer(t)
		clk := clock.NewManual(t0)
		// Enough attempts that the limiter never speaks: the store decides.
		mcfg := mfa.Config{MaxAttempts: 100}
		a := newEnvWith(t, stA, sealer, clk, mcfg)
		b := newEnvWith(t, stB, sealer, clk, mcfg)
		_, secret := a.enrolTOTP(t, a.user, "phone")
		for round := range 5 {
			code := codeAt(t, secret, clk.Now())
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				accepted int
			)
			for _, node := range []*env{a, b, a, b} {
				wg.Go(func() {
					if _, err := node.verifyCode(a.user, code); err == nil {
						mu.Lock()
						accepted++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if accepted != 1 {
				t.Fatalf("round %d: the same code was accepted %d times", round, accepted)
			}
			clk.Advance(30 * time.Second)
		}
	})
}

func TestTOTPCodeNormalisation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"123456", "123456", true},
		{"123 456", "123456", true},
		{" 123456\t", "123456", true},
		{"12345", "", false},
		{"1234567", "", false},
		{"12345a", "", false},
		{"１２３４５６", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		got, ok := mfa.NormalizeTOTPCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeTOTPCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
