package identity

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/store"
)

// revocationIndex is this process's copy of the revocation log, which
// Authenticate checks access tokens against (the store can only list the log,
// not look a jti up). Correctness first: before each check it reads the
// entries added since its cursor, so a revocation made on another node is
// seen by the next request here. Concurrent requests share one read: a
// request waits for a read that started after it arrived rather than
// starting its own.
type revocationIndex struct {
	mu     sync.Mutex
	cursor int64
	jti    map[string]time.Time // until
	sid    map[string]time.Time // until
	sub    map[string]subRevocation
	pruned time.Time

	syncMu sync.Mutex
	// syncedFrom is when (monotonic, this process) the last completed read
	// began: every entry committed before that instant is applied.
	syncedFrom time.Time
}

type subRevocation struct{ before, until time.Time }

func newRevocationIndex() *revocationIndex {
	return &revocationIndex{jti: map[string]time.Time{}, sid: map[string]time.Time{}, sub: map[string]subRevocation{}}
}

// sync applies the entries the log gained since the last read.
func (x *revocationIndex) sync(ctx context.Context, st store.Revocations, now time.Time) error {
	asked := time.Now()
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	if x.syncedFrom.After(asked) {
		return nil
	}
	started := time.Now()
	x.mu.Lock()
	cursor := x.cursor
	x.mu.Unlock()
	for {
		rs, err := st.RevocationsAfter(ctx, cursor, now, feedPage)
		if err != nil {
			return fmt.Errorf("reading the revocation log: %w", err)
		}
		x.mu.Lock()
		for _, r := range rs {
			x.applyLocked(revocation.Entry{Kind: revocation.Kind(r.Kind), ID: r.Value, Before: r.Before, Until: r.Until})
			cursor = r.Seq
		}
		x.cursor = cursor
		x.pruneLocked(now)
		x.mu.Unlock()
		if len(rs) < feedPage {
			break
		}
	}
	x.syncedFrom = started
	return nil
}

// apply adds an entry this process just wrote; the cursor stays, so the
// next sync still reads every entry of other nodes.
func (x *revocationIndex) apply(e revocation.Entry) {
	x.mu.Lock()
	x.applyLocked(e)
	x.mu.Unlock()
}

func (x *revocationIndex) applyLocked(e revocation.Entry) {
	switch e.Kind {
	case revocation.KindToken:
		x.jti[e.ID] = later(x.jti[e.ID], e.Until)
	case revocation.KindSession:
		x.sid[e.ID] = later(x.sid[e.ID], e.Until)
	case revocation.KindUser:
		cur := x.sub[e.ID]
		x.sub[e.ID] = subRevocation{before: later(cur.before, e.Before), until: later(cur.until, e.Until)}
	}
}

// revoked reports whether an entry refuses the token.
func (x *revocationIndex) revoked(p *principal.Principal) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.jti[p.TokenID]; ok && p.TokenID != "" {
		return true
	}
	if _, ok := x.sid[p.SessionID]; ok && p.SessionID != "" {
		return true
	}
	// iat has whole seconds (RFC 7519 NumericDate): a token issued in the
	// same second as the revocation is refused too, the safe side (as
	// internal/revocation does).
	if r, ok := x.sub[p.Subject]; ok && p.IssuedAt.Before(r.before) {
		return true
	}
	return false
}

// pruneLocked forgets entries past their Until (plus the grace that covers
// clock skew), at most once a minute.
func (x *revocationIndex) pruneLocked(now time.Time) {
	if now.Sub(x.pruned) < time.Minute {
		return
	}
	x.pruned = now
	cutoff := now.Add(-revocation.Grace)
	for k, until := range x.jti {
		if until.Before(cutoff) {
			delete(x.jti, k)
		}
	}
	for k, until := range x.sid {
		if until.Before(cutoff) {
			delete(x.sid, k)
		}
	}
	for k, r := range x.sub {
		if r.until.Before(cutoff) {
			delete(x.sub, k)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
