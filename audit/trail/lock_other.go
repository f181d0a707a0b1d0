//go:build !unix

package trail

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockWriter without flock: an exclusively created lock file. A crash leaves
// it behind, to be removed by hand; Portcullis runs on Unix.
func lockWriter(dir string) (unlock func() error, err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrWriterBusy, path, err)
	}
	return func() error { f.Close(); return os.Remove(path) }, nil
}
