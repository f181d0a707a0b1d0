package index

import (
	"encoding/base64"
	"encoding/binary"
)

// A page cursor is the (ts, id) of the last record of the page, 16 bytes big
// endian, in unpadded base64url. It is opaque to clients but not secret: a
// forged one only moves the page within what the same filter may read, so it
// is checked for shape, not signed.
type pageCursor struct {
	ts int64
	id int64
}

const cursorBytes = 16

func (c pageCursor) String() string {
	var b [cursorBytes]byte
	binary.BigEndian.PutUint64(b[:8], uint64(c.ts))
	binary.BigEndian.PutUint64(b[8:], uint64(c.id))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// decodeCursor accepts exactly what String produces.
func decodeCursor(s string) (pageCursor, error) {
	if len(s) != base64.RawURLEncoding.EncodedLen(cursorBytes) {
		return pageCursor{}, badParam(paramCursor, "malformed")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != cursorBytes {
		return pageCursor{}, badParam(paramCursor, "malformed")
	}
	c := pageCursor{ts: int64(binary.BigEndian.Uint64(b[:8])), id: int64(binary.BigEndian.Uint64(b[8:]))}
	if c.id <= 0 {
		return pageCursor{}, badParam(paramCursor, "malformed")
	}
	return c, nil
}
