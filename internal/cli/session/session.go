// Package session keeps the portcullis CLI's login: the server it talks to,
// the username and the tokens, in one JSON file that only its owner may read.
package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// FileName is the session file inside the config directory.
const FileName = "session.json"

// EnvConfigDir overrides the config directory.
const EnvConfigDir = "PORTCULLIS_CONFIG_DIR"

// maxFileBytes bounds what is read: a session is well under 16 KiB.
const maxFileBytes = 64 << 10

// version of the file format; a file of another version is refused, not guessed at.
const version = 1

// ErrNoSession: nobody is logged in (there is no session file).
var ErrNoSession = errors.New("not logged in")

// Session is the CLI's login. The tokens are secrets: the file holding them
// is 0600 in a 0700 directory.
type Session struct {
	Version      int       `json:"version"`
	Server       string    `json:"server"`
	Username     string    `json:"username"`
	SessionID    string    `json:"session_id"`
	AccessToken  string    `json:"access_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	RefreshToken string    `json:"refresh_token,omitempty"`
}

// ExpiresWithin reports whether the access token expires within d of now.
func (s Session) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !s.ExpiresAt.After(now.Add(d))
}

// DefaultDir is $PORTCULLIS_CONFIG_DIR, else portcullis/ in the user's
// config directory (~/.config on Linux).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvConfigDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory (set %s): %w", EnvConfigDir, err)
	}
	return filepath.Join(base, "portcullis"), nil
}

// Parse reads a session file's content. The file is the user's, but it may
// have been damaged or edited: everything is checked before use.
func Parse(raw []byte) (Session, error) {
	if len(raw) > maxFileBytes {
		return Session{}, fmt.Errorf("larger than %d KiB", maxFileBytes>>10)
	}
	var s Session
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&s); err != nil {
		return Session{}, fmt.Errorf("not a session file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Session{}, errors.New("not a session file: data after the JSON object")
	}
	if s.Version != version {
		return Session{}, fmt.Errorf("session file version %d, this portcullis reads version %d", s.Version, version)
	}
	if err := s.Validate(); err != nil {
		return Session{}, err
	}
	return s, nil
}

// Validate checks what Save writes and Parse reads.
func (s Session) Validate() error {
	u, err := url.Parse(s.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server %q is not an http(s) URL", s.Server)
	}
	if s.AccessToken == "" {
		return errors.New("no access token")
	}
	// Tokens go into an Authorization header and session ids into
	// requests: printable ASCII without spaces only.
	for name, v := range map[string]string{"access token": s.AccessToken, "refresh token": s.RefreshToken, "session id": s.SessionID} {
		if !isToken(v) {
			return fmt.Errorf("%s holds characters a token cannot have", name)
		}
	}
	if len(s.Username) > 256 {
		return errors.New("username longer than 256 bytes")
	}
	return nil
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Store is the session file in a config directory.
type Store struct {
	Dir string
}

// Path is the session file's path.
func (st Store) Path() string { return filepath.Join(st.Dir, FileName) }

// Load reads the session. It refuses a file that group or others may read
// or write: the tokens in it would have been exposed, and the user must
// know (and fix the mode, or log in again) rather than have it silently
// tightened.
func (st Store) Load() (Session, error) {
	path := st.Path()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("reading the session: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Session{}, fmt.Errorf("reading the session: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Session{}, fmt.Errorf("session file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Session{}, fmt.Errorf("session file %s is accessible by group or others (mode %04o): its tokens may be exposed; run `chmod 600 %s` if that is safe, or log out and in again", path, perm, path)
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return Session{}, fmt.Errorf("reading the session: %w", err)
	}
	s, err := Parse(raw)
	if err != nil {
		return Session{}, fmt.Errorf("session file %s: %w (log in again to replace it)", path, err)
	}
	return s, nil
}

// Save writes the session atomically: a reader (another portcullis running
// at the same time) sees the old file or the new one, never half of one.
// The directory is created 0700, the file 0600.
func (st Store) Save(s Session) error {
	s.Version = version
	if err := s.Validate(); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	// CreateTemp makes the file 0600 from the start, so the tokens are
	// never readable by others, not even for a moment.
	tmp, err := os.CreateTemp(st.Dir, "."+FileName+".*")
	if err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the session: %w", err)
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	if err := os.Rename(tmp.Name(), st.Path()); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	return nil
}

// Remove deletes the session file; no file is not an error.
func (st Store) Remove() error {
	if err := os.Remove(st.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the session: %w", err)
	}
	return nil
}
