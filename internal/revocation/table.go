package revocation

import (
	"time"

	"github.com/portcullis/portcullis/internal/principal"
)

// table is a set of revocations. A published table is never modified: writers
// build a new one and swap it in, so that Check reads without any lock.
type table struct {
	tokens   map[string]int64 // jti → until (Unix ms)
	sessions map[string]int64 // sid → until (Unix ms)
	users    map[string]userRevocation
}

type userRevocation struct {
	before int64 // Unix ns: tokens issued before it are revoked
	until  int64 // Unix ms
}

var emptyTable = newTable(0)

func newTable(size int) *table {
	return &table{
		tokens:   make(map[string]int64, size),
		sessions: make(map[string]int64, size),
		users:    make(map[string]userRevocation),
	}
}

// add records e in t, which must not be published yet. Entries only
// strengthen: the later until and, for users, the later before win.
func (t *table) add(e Entry) {
	until := e.Until.UnixMilli()
	switch e.Kind {
	case KindToken:
		t.tokens[e.ID] = max(t.tokens[e.ID], until)
	case KindSession:
		t.sessions[e.ID] = max(t.sessions[e.ID], until)
	case KindUser:
		u := t.users[e.ID]
		t.users[e.ID] = userRevocation{before: max(u.before, e.Before.UnixNano()), until: max(u.until, until)}
	}
}

// mergeInto copies the entries of t still alive at cutoff (Unix ms) into dst.
func (t *table) mergeInto(dst *table, cutoff int64) {
	for id, until := range t.tokens {
		if until >= cutoff {
			dst.tokens[id] = max(dst.tokens[id], until)
		}
	}
	for id, until := range t.sessions {
		if until >= cutoff {
			dst.sessions[id] = max(dst.sessions[id], until)
		}
	}
	for id, u := range t.users {
		if u.until >= cutoff {
			d := dst.users[id]
			dst.users[id] = userRevocation{before: max(d.before, u.before), until: max(d.until, u.until)}
		}
	}
}

func (t *table) len() int { return len(t.tokens) + len(t.sessions) + len(t.users) }

// revoked reports whether p is revoked by any entry of t. The length checks
// keep the common case (nothing revoked recently) to a few loads.
func (t *table) revoked(p *principal.Principal) bool {
	if len(t.tokens) != 0 {
		if _, ok := t.tokens[p.TokenID]; ok && p.TokenID != "" {
			return true
		}
	}
	if len(t.sessions) != 0 && p.SessionID != "" {
		if _, ok := t.sessions[p.SessionID]; ok {
			return true
		}
	}
	if len(t.users) != 0 {
		if u, ok := t.users[p.Subject]; ok {
			// A token without iat cannot show it was issued after the
			// revocation, so it is revoked too.
			return p.IssuedAt.IsZero() || p.IssuedAt.Before(time.Unix(0, u.before))
		}
	}
	return false
}

// view is what Check reads: the table of the last full sync and the entries
// heard on the feed since. Splitting them keeps the copy that each feed
// message costs proportional to the recent entries, not the whole list.
type view struct {
	base, recent *table
}

func (v *view) revoked(p *principal.Principal) bool {
	return v.base.revoked(p) || v.recent.revoked(p)
}

// len counts distinct entries (an entry heard on the feed may also be in the
// base already).
func (v *view) len() int {
	n := v.base.len()
	for id := range v.recent.tokens {
		if _, ok := v.base.tokens[id]; !ok {
			n++
		}
	}
	for id := range v.recent.sessions {
		if _, ok := v.base.sessions[id]; !ok {
			n++
		}
	}
	for id := range v.recent.users {
		if _, ok := v.base.users[id]; !ok {
			n++
		}
	}
	return n
}
