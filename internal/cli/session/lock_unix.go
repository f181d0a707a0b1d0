//go:build unix

package session

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock serialises refreshes between portcullis processes of one user. A
// refresh token is spent on use, and presenting a spent one revokes the
// whole session (reuse detection): two `portcullis token` running at once
// must not both refresh with the same one. The caller reloads the session
// after taking the lock. The lock is released by unlock, or when the
// process ends.
func (st Store) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(st.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("locking the session: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(st.Dir, ".session.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the session: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the session: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
