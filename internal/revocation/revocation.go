// Package revocation keeps the gateway's local mirror of revoked tokens,
// sessions and users, fed from Redis (pub/sub plus periodic resync) so that a
// check costs no round trip, and failing closed when the mirror is stale.
package revocation

import (
	"errors"

	"github.com/portcullis/portcullis/internal/principal"
)

// Sentinel errors returned by Check.
var (
	// ErrRevoked means the token, its session or its user was revoked.
	ErrRevoked = errors.New("token has been revoked")
	// ErrStale means the mirror could not be refreshed within its bound, so
	// revocation state is unknown and the request must be refused.
	ErrStale = errors.New("revocation state is stale")
)

// Checker answers whether a verified token may still be used.
type Checker interface {
	Check(p *principal.Principal) error
}
