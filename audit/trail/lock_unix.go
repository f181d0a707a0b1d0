//go:build unix

package trail

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockWriter takes an exclusive, non-blocking flock on <dir>/.lock. The lock
// goes with the process (also on kill -9), so a crashed writer never leaves
// its directory locked.
func lockWriter(dir string) (unlock func() error, err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit trail: opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked by another trail", ErrWriterBusy, dir)
		}
		return nil, fmt.Errorf("audit trail: locking %s: %w", path, err)
	}
	return f.Close, nil
}
