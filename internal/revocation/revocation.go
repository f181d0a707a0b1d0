// Package revocation keeps the gateway's local mirror of revoked tokens,
// sessions and users, so that a check costs no round trip, and fails closed
// when the mirror is stale. A mirror is fed from one of:
//
//   - Redis (pub/sub plus periodic resync), for a fleet of gateways;
//   - secretsd's revocation feed (an HTTP long poll, feed.go), for gateways
//     without Redis;
//   - nothing but its own Publisher (memory mode, one node, tests).
//
// It is shared by both programs: secretsd writes with RedisPublisher and
// serves the feed (FeedResponse, Entry.Message), every gateway reads with a
// Mirror, and the formats between them are defined once, in keys.go and
// feed.go.
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
