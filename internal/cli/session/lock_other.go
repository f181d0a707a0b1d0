//go:build !unix

package session

// Lock is a no-op where flock is not available: concurrent refreshes are
// then the user's to avoid.
func (st Store) Lock() (unlock func(), err error) { return func() {}, nil }
