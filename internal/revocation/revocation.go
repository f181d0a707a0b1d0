// Package revocation keeps the gateway's local mirror of revoked tokens,
// sessions and users, fed from Redis (pub/sub plus periodic resync) so that a
// check costs no round trip, and failing closed when the mirror is stale.
//
// It is shared by both programs: secretsd writes with RedisPublisher, every
// gateway reads with a Mirror, and the Redis layout between them is defined
// once, in keys.go. Without Redis, a Mirror runs in memory on one node, fed by
// its own Publisher; the feed from secretsd to such a gateway is secretsd's
// work (issue 3).
package revocation

import (
	"context"
	"errors"
	"time"

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

// Publisher records revocations so that every mirror sees them: in Redis for
// a fleet of gateways (RedisPublisher, used by secretsd), or in process for a
// single node (Mirror.Publisher in memory mode).
//
// until is when the revocation may be forgotten: at least the expiry of the
// last token it can affect (for a user, before + the longest access-token
// lifetime). Each call is atomic: the entry is stored and announced together.
type Publisher interface {
	// RevokeToken revokes one access token by its jti.
	RevokeToken(ctx context.Context, jti string, until time.Time) error
	// RevokeSession revokes every token carrying the sid.
	RevokeSession(ctx context.Context, sid string, until time.Time) error
	// RevokeUser revokes every token of sub issued before the given time. A
	// later call with a later before supersedes an earlier one.
	RevokeUser(ctx context.Context, sub string, before, until time.Time) error
}
