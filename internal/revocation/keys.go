package revocation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The Redis layout of revocations, written once here and used by both the
// gateway (reader) and secretsd (writer):
//
//   - A sorted set, Keys.Set() ("portcullis:revocations" by default), holds one
//     member per revocation (see Entry.Member): "jti:<id>", "sid:<id>" or
//     "sub:<revoked-before, Unix ns>:<id>". Its score is the entry's Until in
//     Unix milliseconds: the time after which no token it could affect is still
//     valid, so the entry can be forgotten. Writers remove entries older than
//     Until+Grace on every write, and keep the key's TTL at the latest
//     Until+Grace, so nothing accumulates even when no gateway runs.
//   - A pub/sub channel, Keys.Channel() (same name; Redis keeps channels and
//     keys apart), carries each new entry as "<until, Unix ms> <member>" (see
//     Entry.Message), so every mirror applies it at once.
//
// A user revoked several times has one member per "before" time; readers keep
// the latest. A sorted set rather than one key per entry with its own TTL lets
// a mirror load everything in one ZRANGE (and works unchanged in a Redis
// Cluster, where a SCAN over keys would have to visit every node).

// DefaultPrefix is the key prefix used when Keys.Prefix is empty.
const DefaultPrefix = "portcullis"

// Grace is how long past its Until an entry is kept, by writers and mirrors
// alike: it absorbs clock skew between secretsd and the gateways and the
// leeway jwt_auth grants on exp.
const Grace = 2 * time.Minute

// Keys names the Redis key and channel of the revocation list.
type Keys struct {
	// Prefix namespaces the key and channel. Default: "portcullis". Tests use
	// a unique prefix each so that they can share one Redis in parallel.
	Prefix string
}

func (k Keys) prefix() string {
	if k.Prefix == "" {
		return DefaultPrefix
	}
	return k.Prefix
}

// Set is the sorted set of revocations.
func (k Keys) Set() string { return k.prefix() + ":revocations" }

// Channel is the pub/sub channel on which new revocations are announced.
func (k Keys) Channel() string { return k.prefix() + ":revocations" }

// Kind says what a revocation entry applies to.
type Kind string

// The kinds of revocation; the strings are the claim names (RFC 7519 §4.1,
// RFC 9068 §2.2) and appear in the stored members.
const (
	KindToken   Kind = "jti" // one access token, by its jti
	KindSession Kind = "sid" // every token of a session, by its sid
	KindUser    Kind = "sub" // every token of a user issued before a time
)

// Entry is one revocation.
type Entry struct {
	Kind Kind
	// ID is the jti, sid or sub.
	ID string
	// Before applies to KindUser only: tokens whose iat is before it are
	// revoked. It is kept to the nanosecond; since iat has whole seconds
	// (RFC 7519 §2 NumericDate), a token issued in the same second as a
	// user revocation but after it is refused too, the safe side.
	Before time.Time
	// Until is when the entry may be forgotten: no later than the expiry of
	// the last token it can affect.
	Until time.Time
}

// errMalformed wraps every decoding error.
var errMalformed = errors.New("malformed revocation entry")

// Member is the entry's member in the sorted set.
func (e Entry) Member() string {
	if e.Kind == KindUser {
		return string(KindUser) + ":" + strconv.FormatInt(e.Before.UnixNano(), 10) + ":" + e.ID
	}
	return string(e.Kind) + ":" + e.ID
}

// Score is the entry's score in the sorted set: Until in Unix milliseconds.
func (e Entry) Score() float64 { return float64(e.Until.UnixMilli()) }

// Message is the entry as announced on the channel.
func (e Entry) Message() string {
	return strconv.FormatInt(e.Until.UnixMilli(), 10) + " " + e.Member()
}

// ParseMember decodes a sorted-set member and its score.
func ParseMember(member string, score float64) (Entry, error) {
	e, err := parseMember(member)
	if err != nil {
		return Entry{}, err
	}
	e.Until = time.UnixMilli(int64(score))
	return e, nil
}

// ParseMessage decodes a message received on the channel.
func ParseMessage(msg string) (Entry, error) {
	until, member, ok := strings.Cut(msg, " ")
	if !ok {
		return Entry{}, fmt.Errorf("%w: %q has no until time", errMalformed, truncate(msg))
	}
	ms, err := parseDecimal(until)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: until time in %q: %v", errMalformed, truncate(msg), err)
	}
	e, err := parseMember(member)
	if err != nil {
		return Entry{}, err
	}
	e.Until = time.UnixMilli(ms)
	return e, nil
}

func parseMember(member string) (Entry, error) {
	kind, rest, ok := strings.Cut(member, ":")
	if !ok {
		return Entry{}, fmt.Errorf("%w: %q has no kind", errMalformed, truncate(member))
	}
	e := Entry{Kind: Kind(kind), ID: rest}
	switch e.Kind {
	case KindToken, KindSession:
	case KindUser:
		before, id, ok := strings.Cut(rest, ":")
		if !ok {
			return Entry{}, fmt.Errorf("%w: user entry %q has no revoked-before time", errMalformed, truncate(member))
		}
		ns, err := parseDecimal(before)
		if err != nil {
			return Entry{}, fmt.Errorf("%w: revoked-before time in %q: %v", errMalformed, truncate(member), err)
		}
		e.ID, e.Before = id, time.Unix(0, ns)
	default:
		return Entry{}, fmt.Errorf("%w: unknown kind %q", errMalformed, truncate(kind))
	}
	if e.ID == "" {
		return Entry{}, fmt.Errorf("%w: %q has an empty id", errMalformed, truncate(member))
	}
	return e, nil
}

// parseDecimal accepts only canonical non-negative decimal integers, so that
// every accepted member encodes back to itself.
func parseDecimal(s string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("%q is not a canonical decimal", truncate(s))
	}
	return strconv.ParseInt(s, 10, 64)
}

// validate checks an entry before it is written.
func (e Entry) validate(now time.Time) error {
	if e.ID == "" {
		return fmt.Errorf("revoking by %s: empty id", e.Kind)
	}
	if e.Kind == KindUser && (e.Before.IsZero() || e.Before.UnixNano() <= 0) {
		return fmt.Errorf("revoking user %q: the revoked-before time is not set", e.ID)
	}
	if !e.Until.After(now) {
		return fmt.Errorf("revoking %s %q: until %s is not in the future, so no token could be affected", e.Kind, e.ID, e.Until.Format(time.RFC3339))
	}
	return nil
}

// truncate keeps error messages short when fed garbage.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
