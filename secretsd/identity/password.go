package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// DefaultArgon2 are the Argon2id parameters of new password hashes: 64 MiB,
// two passes, one lane. OWASP's Password Storage Cheat Sheet asks for at least
// m=19456 KiB, t=2, p=1 (or an equivalent trade of memory for passes); this
// is the same pass count with more than three times the memory. A 16-byte
// salt and a 32-byte key follow RFC 9106 §3.1.
var DefaultArgon2 = Argon2Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// owaspMinimum is the floor below which New logs a warning (tests use cheaper
// parameters on purpose; production must not).
var owaspMinimum = Argon2Params{Memory: 19456, Iterations: 2, Parallelism: 1}

// Bounds on the parameters read from a stored hash: a corrupted or hostile
// row must not make one verification allocate gigabytes or run for minutes.
const (
	maxArgon2Memory     = 1 << 20 // KiB: 1 GiB
	maxArgon2Iterations = 64
	minSaltLength       = 8
	maxSaltLength       = 64
	minKeyLength        = 16
	maxKeyLength        = 128
)

// Password policy (NIST SP 800-63B §5.1.1.2: a minimum length and no
// composition rules; a generous maximum so that passphrases fit).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

// errMalformedHash wraps every reason a stored hash cannot be read.
var errMalformedHash = errors.New("malformed password hash")

// Validate reports parameters Argon2id cannot run with or that this package
// refuses to read back.
func (p Argon2Params) Validate() error {
	switch {
	case p.Parallelism < 1:
		return errors.New("argon2: parallelism must be at least 1")
	case p.Iterations < 1 || p.Iterations > maxArgon2Iterations:
		return fmt.Errorf("argon2: iterations must be 1..%d", maxArgon2Iterations)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxArgon2Memory:
		// RFC 9106 §3.1: m >= 8p KiB.
		return fmt.Errorf("argon2: memory must be %d..%d KiB", 8*uint32(p.Parallelism), maxArgon2Memory)
	case p.SaltLength < minSaltLength || p.SaltLength > maxSaltLength:
		return fmt.Errorf("argon2: salt length must be %d..%d bytes", minSaltLength, maxSaltLength)
	case p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength:
		return fmt.Errorf("argon2: key length must be %d..%d bytes", minKeyLength, maxKeyLength)
	}
	return nil
}

// weakerThan reports whether a hash made with p should be remade with want.
func (p Argon2Params) weakerThan(want Argon2Params) bool {
	return p.Memory < want.Memory || p.Iterations < want.Iterations ||
		p.Parallelism < want.Parallelism || p.SaltLength < want.SaltLength || p.KeyLength < want.KeyLength
}

// passwordHasher hashes and verifies passwords with Argon2id. Each hash
// allocates Params.Memory, so a semaphore bounds how many run at once: a burst
// of logins queues instead of exhausting memory.
type passwordHasher struct {
	params Argon2Params
	slots  chan struct{}
	// dummy is a hash of a random password made with params. Login verifies
	// against it when the user does not exist, so that an unknown user costs
	// the same Argon2id run as a wrong password.
	dummy string
	// hashes counts Argon2id runs; white-box tests read it to prove that the
	// unknown-user path hashes too.
	hashes func()
}

func newPasswordHasher(p Argon2Params, concurrency int) (*passwordHasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = defaultHashConcurrency(p)
	}
	h := &passwordHasher{params: p, slots: make(chan struct{}, concurrency)}
	var random [32]byte
	rand.Read(random[:])
	dummy, err := h.hash(context.Background(), base64.RawURLEncoding.EncodeToString(random[:]))
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// defaultHashConcurrency: one hash per CPU (a lane uses one core), but no
// more than 256 MiB of hashing memory at once.
func defaultHashConcurrency(p Argon2Params) int {
	n := runtime.GOMAXPROCS(0)
	if byMemory := int((256 << 10) / max(p.Memory, 1)); byMemory < n {
		n = byMemory
	}
	return max(n, 1)
}

// hash returns the PHC string of password with fresh salt:
// $argon2id$v=19$m=65536,t=2,p=1$<salt>$<key>, both in unpadded standard
// base64 as the PHC string format specifies.
func (h *passwordHasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	rand.Read(salt)
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodeHash(h.params, salt, key), nil
}

// verify checks password against a PHC string in constant time. It reports
// whether the hash should be remade because its parameters are weaker than
// the configured ones.
func (h *passwordHasher) verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p.weakerThan(h.params), nil
}

// verifyDummy spends the time of a verification for a user who does not
// exist. It always fails.
func (h *passwordHasher) verifyDummy(ctx context.Context, password string) error {
	_, _, err := h.verify(ctx, h.dummy, password)
	return err
}

func (h *passwordHasher) derive(ctx context.Context, password string, salt []byte, p Argon2Params) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting to hash a password: %w", ctx.Err())
	}
	defer func() { <-h.slots }()
	if h.hashes != nil {
		h.hashes()
	}
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength), nil
}

func encodeHash(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash reads a PHC string written by encodeHash. The parameters come
// from the string, so hashes made before the configuration was raised still
// verify (and are then remade).
func decodeHash(s string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: want 5 fields separated by $", errMalformedHash)
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: algorithm %q is not argon2id", errMalformedHash, truncate(parts[1], 16))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: version %q is not v=%d", errMalformedHash, truncate(parts[2], 16), argon2.Version)
	}
	// The parameters in the one order the format gives them (m, t, p), so
	// that each hash has one spelling.
	kvs := strings.Split(parts[3], ",")
	if len(kvs) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want parameters m, t and p", errMalformedHash)
	}
	var n [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kvs[i], name+"=")
		if !ok {
			return p, nil, nil, fmt.Errorf("%w: want parameters m, t and p in this order", errMalformedHash)
		}
		n[i], err = strconv.ParseUint(v, 10, 32)
		if err != nil || (len(v) > 1 && v[0] == '0') {
			return p, nil, nil, fmt.Errorf("%w: parameter %s is not a number", errMalformedHash, name)
		}
	}
	if n[2] > 255 {
		return p, nil, nil, fmt.Errorf("%w: parallelism %d", errMalformedHash, n[2])
	}
	p.Memory, p.Iterations, p.Parallelism = uint32(n[0]), uint32(n[1]), uint8(n[2])
	if salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt is not unpadded base64", errMalformedHash)
	}
	if key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("%w: key is not unpadded base64", errMalformedHash)
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return p, nil, nil, fmt.Errorf("%w: %v", errMalformedHash, err)
	}
	return p, salt, key, nil
}

// ValidatePassword applies the password policy to a new password: 12 to 1024
// bytes, not only white space. It wraps ErrInvalidInput and never repeats the
// password.
func ValidatePassword(field, password string) error {
	switch {
	case strings.TrimSpace(password) == "":
		return fmt.Errorf("%w: %s: must not be empty or only white space", ErrInvalidInput, field)
	case len(password) < MinPasswordLength:
		return fmt.Errorf("%w: %s: must be at least %d bytes long", ErrInvalidInput, field, MinPasswordLength)
	case len(password) > MaxPasswordLength:
		return fmt.Errorf("%w: %s: must be at most %d bytes long", ErrInvalidInput, field, MaxPasswordLength)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// memoryBudget is the most memory the hashes running at once can hold, in bytes.
func (h *passwordHasher) memoryBudget() int64 {
	return int64(cap(h.slots)) * int64(h.params.Memory) << 10
}

// PasswordHashMemory is the most memory Argon2id can hold at once across
// concurrent logins, in bytes (the server sizes the Go memory limit from it).
func (s *Service) PasswordHashMemory() int64 { return s.hasher.memoryBudget() }
