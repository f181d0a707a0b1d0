package identity

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// cheap are Argon2id parameters fast enough for unit tests.
var cheap = Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newTestHasher(t testing.TB, p Argon2Params) (*passwordHasher, *atomic.Int64) {
	t.Helper()
	h, err := newPasswordHasher(p, 2)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	h.hashes = func() { n.Add(1) }
	return h, &n
}

func TestDefaultArgon2IsAtLeastOWASP(t *testing.T) {
	t.Parallel()
	p := DefaultArgon2
	if p.Memory < owaspMinimum.Memory || p.Iterations < owaspMinimum.Iterations || p.Parallelism < 1 {
		t.Fatalf("DefaultArgon2 %+v is below OWASP's m=19456 KiB, t=2, p=1", p)
	}
	if p.Memory != 65536 || p.Iterations != 2 || p.Parallelism != 1 || p.SaltLength != 16 || p.KeyLength != 32 {
		t.Fatalf("DefaultArgon2 = %+v, want m=65536 t=2 p=1 salt 16 key 32", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestHashIsPHCAndVerifies(t *testing.T) {
	t.Parallel()
	h, _ := newTestHasher(t, cheap)
	ctx := context.Background()
	enc, err := h.hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the parameters", enc)
	}
	again, _ := h.hash(ctx, "correct horse battery staple")
	if again == enc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		name, password string
		want           bool
	}{
		{"the right password verifies", "correct horse battery staple", true},
		{"a wrong password does not", "correct horse battery stapl", false},
		{"the empty password does not", "", false},
	} {
		ok, rehash, err := h.verify(ctx, enc, tc.password)
		if err != nil || ok != tc.want || rehash {
			t.Errorf("%s: verify = %v, %v, %v", tc.name, ok, rehash, err)
		}
	}
}

func TestVerifyReadsTheParametersFromTheHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	weak, _ := newTestHasher(t, cheap)
	enc, _ := weak.hash(ctx, "an old password, still good")
	stronger := cheap
	stronger.Memory, stronger.Iterations = 128, 2
	strong, _ := newTestHasher(t, stronger)

	ok, rehash, err := strong.verify(ctx, enc, "an old password, still good")
	if err != nil || !ok {
		t.Fatalf("a hash made with older parameters no longer verifies: %v, %v", ok, err)
	}
	if !rehash {
		t.Error("a hash weaker than the configuration is not marked for rehashing")
	}
	if _, rehash, _ := strong.verify(ctx, enc, "a wrong password!!"); rehash {
		t.Error("a failed verification asks for a rehash")
	}
	if _, rehash, _ := weak.verify(ctx, enc, "an old password, still good"); rehash {
		t.Error("a hash with the configured parameters is marked for rehashing")
	}
}

// The unknown-user path of Login runs the same Argon2id computation as a
// wrong password: verifyDummy hashes once, with the configured parameters,
// and never succeeds.
func TestVerifyDummyCostsOneHashWithTheConfiguredParameters(t *testing.T) {
	t.Parallel()
	h, n := newTestHasher(t, cheap)
	p, _, _, err := decodeHash(h.dummy)
	if err != nil {
		t.Fatal(err)
	}
	if p != cheap {
		t.Fatalf("dummy hash parameters %+v, want the configured %+v", p, cheap)
	}
	if err := h.verifyDummy(context.Background(), "anything at all"); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("verifyDummy ran %d Argon2id computations, want 1", got)
	}
}

func TestDeriveWaitsForASlotAndHonoursCancellation(t *testing.T) {
	t.Parallel()
	h, err := newPasswordHasher(cheap, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.slots <- struct{}{} // the only slot is busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.hash(ctx, "a password that waits"); !errors.Is(err, context.Canceled) {
		t.Fatalf("hash with every slot busy and a cancelled context = %v, want context.Canceled", err)
	}
	<-h.slots
	if _, err := h.hash(context.Background(), "a password that runs"); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeHashRefusesMalformedHashes(t *testing.T) {
	t.Parallel()
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	if _, _, _, err := decodeHash(good); err != nil {
		t.Fatalf("good hash refused: %v", err)
	}
	for name, s := range map[string]string{
		"empty":                   "",
		"bcrypt":                  "$2b$12$abcdefghijklmnopqrstuu5C5dUzVJ6jEjZgFZ8cOZ0j6Ll2i3x4S",
		"argon2i":                 strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":             strings.Replace(good, "v=19", "v=16", 1),
		"missing parameter":       strings.Replace(good, ",p=1", "", 1),
		"repeated parameter":      strings.Replace(good, "p=1", "m=1", 1),
		"unknown parameter":       strings.Replace(good, "p=1", "x=1", 1),
		"leading zero":            strings.Replace(good, "t=1", "t=01", 1),
		"zero iterations":         strings.Replace(good, "t=1", "t=0", 1),
		"memory below 8p":         strings.Replace(good, "m=64", "m=7", 1),
		"memory beyond the bound": strings.Replace(good, "m=64", "m=4194304", 1),
		"parallelism over 255":    strings.Replace(good, "p=1", "p=256", 1),
		"salt not base64":         strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "!!!", 1),
		"salt too short":          strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdA", 1),
		"padded key":              good + "==",
		"extra field":             good + "$x",
	} {
		if _, _, _, err := decodeHash(s); !errors.Is(err, errMalformedHash) {
			t.Errorf("%s: decodeHash = %v, want errMalformedHash", name, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"12 bytes is enough", "abcdefghijkl", true},
		{"11 bytes is too short", "abcdefghijk", false},
		{"empty is refused", "", false},
		{"white space only is refused", strings.Repeat(" \t", 10), false},
		{"1024 bytes is the maximum", strings.Repeat("a", 1024), true},
		{"1025 bytes is too long", strings.Repeat("a", 1025), false},
		{"unicode counts bytes", "ééééééé", true},
	} {
		err := ValidatePassword("password", tc.password)
		if (err == nil) != tc.ok {
			t.Errorf("%s: ValidatePassword = %v", tc.name, err)
		}
		if err != nil && (!errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "password")) {
			t.Errorf("%s: error %q does not wrap ErrInvalidInput and name the field", tc.name, err)
		}
		if err != nil && tc.password != "" && strings.TrimSpace(tc.password) != "" && strings.Contains(err.Error(), tc.password) {
			t.Errorf("%s: the error repeats the password", tc.name)
		}
	}
}

func FuzzDecodeHash(f *testing.F) {
	h, _ := newTestHasher(f, cheap)
	f.Add(h.dummy)
	f.Add("$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$a2V5")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodeHash(s)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decodeHash accepted invalid parameters %+v: %v", p, err)
		}
		// A hash that decodes re-encodes to itself: one spelling per hash.
		if got := encodeHash(p, salt, key); got != s {
			t.Fatalf("decodeHash(%q) re-encodes as %q", s, got)
		}
	})
}

func BenchmarkPasswordVerify(b *testing.B) {
	h, err := newPasswordHasher(DefaultArgon2, 0)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	enc, _ := h.hash(ctx, "correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.verify(ctx, enc, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
