package audit

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/portcullis/portcullis/audit/event"
)

// RequestIDHeader carries the request id to the upstream and back to the
// client, so one user action can be followed across the gateway, the
// upstream and secretsd.
const RequestIDHeader = "X-Request-Id"

// maxRequestID bounds a client's request id.
const maxRequestID = 128

// ValidRequestID reports whether a client's X-Request-Id may be kept:
// 1 to 128 of A-Z a-z 0-9 . _ : -. Anything else (spaces, quotes, control
// characters, other scripts) is replaced, so that a hostile id can neither
// forge log lines nor smuggle content into the trail or the upstream.
func ValidRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// NewRequestID returns a UUIDv7 (RFC 9562 section 5.7) for now: ids sort by
// time. The id names a request and grants nothing, so math/rand/v2 (the
// runtime's per-thread ChaCha8, seeded from the OS) fills the random bits at
// a few nanoseconds, instead of a crypto/rand system call per request.
func NewRequestID(now time.Time) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[8:], rand.Uint64())
	binary.BigEndian.PutUint64(u[0:], uint64(now.UnixMilli())<<16|rand.Uint64()&0xffff)
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return event.FormatUUID(u)
}
