package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/portcullis/portcullis/secretsd/store"
)

// Backup codes are 10 characters of Crockford's base32 (5 bits each, so 50
// bits from crypto/rand per code), shown as "xxxxx-xxxxx". The alphabet has
// no i, l, o or u; on input the look-alikes o→0 and i, l→1 are mapped, case,
// spaces and dashes are ignored, so a code read off paper is not refused for
// a character that looks like another.
const (
	backupCodeCount  = 10
	backupCodeChars  = 10
	backupCodeGroup  = 5
	backupAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz"
	maxBackupCodeLen = 64 // bytes of input looked at; anything longer is wrong
)

// backupKeySetting names the store setting that holds the HMAC key of
// backup codes, sealed by the kek.
const backupKeySetting = "mfa.backup_code_hmac_key"

func backupKeyAAD() []byte { return []byte("setting:" + backupKeySetting) }

// backupKey caches the opened HMAC key. Codes are stored as
// HMAC-SHA256(key, code), not a plain hash: 50 bits is too few to resist a
// brute force of a stolen database, but not of a key the database does not
// hold. A slow password hash would cost a verification ~100 ms for nothing
// that the key does not already give.
type backupKey struct {
	mu  sync.Mutex
	key []byte
}

// GenerateBackupCodes replaces the user's backup codes with 10 new ones,
// returned once.
func (s *Service) GenerateBackupCodes(ctx context.Context, u User) ([]string, error) {
	if err := checkUser(u); err != nil {
		return nil, err
	}
	key, err := s.backupCodeKey(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, backupCodeCount)
	hashes := make([][]byte, 0, backupCodeCount)
	seen := make(map[string]bool, backupCodeCount)
	for len(codes) < backupCodeCount {
		code, err := newBackupCode()
		if err != nil {
			return nil, err
		}
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code[:backupCodeGroup]+"-"+code[backupCodeGroup:])
		hashes = append(hashes, hashBackupCode(key, code))
	}
	if err := s.store.ReplaceBackupCodes(ctx, u.ID, hashes, s.now()); err != nil {
		return nil, fmt.Errorf("mfa: storing backup codes: %w", err)
	}
	s.log.Info().Str("user_id", u.ID).Int("codes", len(codes)).Msg("backup codes generated")
	return codes, nil
}

// BackupCodesLeft counts the user's unused backup codes.
func (s *Service) BackupCodesLeft(ctx context.Context, userID string) (int, error) {
	n, err := s.store.CountBackupCodes(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("mfa: counting backup codes: %w", err)
	}
	return n, nil
}

// verifyBackupCode consumes one of the user's codes; the store's
// conditional update makes each usable once, also across nodes.
func (s *Service) verifyBackupCode(ctx context.Context, u User, input string) ([]string, error) {
	left, err := s.store.CountBackupCodes(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("mfa: counting backup codes: %w", err)
	}
	if left == 0 {
		return nil, fmt.Errorf("mfa: user has no unused backup code: %w", ErrNoFactor)
	}
	code, ok := NormalizeBackupCode(input)
	if !ok {
		return nil, fmt.Errorf("mfa: backup code: %w", ErrInvalidCode)
	}
	key, err := s.backupCodeKey(ctx)
	if err != nil {
		return nil, err
	}
	used, err := s.store.UseBackupCode(ctx, u.ID, hashBackupCode(key, code), s.now())
	if err != nil {
		return nil, fmt.Errorf("mfa: using a backup code: %w", err)
	}
	if !used {
		return nil, fmt.Errorf("mfa: backup code: %w", ErrInvalidCode)
	}
	return amrBackupCode(), nil
}

// NormalizeBackupCode turns what a user typed into the canonical 10
// characters of a backup code, or reports that it cannot be one. Case,
// spaces and dashes do not matter; o reads as 0, i and l as 1.
func NormalizeBackupCode(in string) (string, bool) {
	if len(in) > maxBackupCodeLen {
		return "", false
	}
	out := make([]byte, 0, backupCodeChars)
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch c {
		case ' ', '\t', '-':
			continue
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if !isBackupChar(c) || len(out) == backupCodeChars {
			return "", false
		}
		out = append(out, c)
	}
	if len(out) != backupCodeChars {
		return "", false
	}
	return string(out), true
}

func isBackupChar(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u')
}

// newBackupCode draws 50 random bits and spells them in backupAlphabet, 5
// bits a character: exactly uniform, since the alphabet has 32 symbols.
func newBackupCode() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mfa: drawing a backup code: %w", err)
	}
	v := binary.BigEndian.Uint64(b[:])
	out := make([]byte, backupCodeChars)
	for i := range out {
		out[i] = backupAlphabet[v&31]
		v >>= 5
	}
	return string(out), nil
}

func hashBackupCode(key []byte, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(code))
	return m.Sum(nil)
}

// backupCodeKey returns the HMAC key of backup codes, creating it on first
// use. InitSetting keeps the first of concurrent creators' keys, so every
// node hashes with the same one.
func (s *Service) backupCodeKey(ctx context.Context) ([]byte, error) {
	s.backup.mu.Lock()
	defer s.backup.mu.Unlock()
	if s.backup.key != nil {
		return s.backup.key, nil
	}
	sealed, err := s.store.Setting(ctx, backupKeySetting)
	if errors.Is(err, store.ErrNotFound) {
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return nil, fmt.Errorf("mfa: drawing the backup-code key: %w", err)
		}
		if sealed, err = s.sealer.Seal(ctx, fresh, backupKeyAAD()); err != nil {
			return nil, fmt.Errorf("mfa: sealing the backup-code key: %w", err)
		}
		sealed, err = s.store.InitSetting(ctx, backupKeySetting, sealed)
	}
	if err != nil {
		return nil, fmt.Errorf("mfa: loading the backup-code key: %w", err)
	}
	key, err := s.sealer.Open(ctx, sealed, backupKeyAAD())
	if err != nil {
		return nil, fmt.Errorf("mfa: opening the backup-code key: %w", err)
	}
	s.backup.key = key
	return key, nil
}
