package chain

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// AnchorFile is the name of a chain's anchor in its directory.
const AnchorFile = "anchor.json"

const (
	anchorDomain = "portcullis-audit-anchor-v1\n"
	// maxAnchorSize bounds what ReadAnchor reads: a real anchor is ~300 bytes.
	maxAnchorSize = 4096
)

var anchorPrefix = []byte(`{"anchor":`)

// Anchor is the signed statement that a chain now starts at Segment: the
// segments before it were deleted by retention, the last of them ended with
// the record Seq, and Prev is hex(SHA-256) of its last line. See the package
// comment for the file format.
type Anchor struct {
	Segment int
	Seq     uint64
	Prev    string
	Time    time.Time
	KeyID   string
}

type anchorBody struct {
	Segment int    `json:"segment"`
	Seq     uint64 `json:"seq"`
	Prev    string `json:"prev"`
	Time    string `json:"time"`
	KeyID   string `json:"key_id"`
}

// appendAnchorBody appends the signed object of an anchor.
func appendAnchorBody(dst []byte, a Anchor) []byte {
	dst = append(dst, `{"segment":`...)
	dst = strconv.AppendInt(dst, int64(a.Segment), 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, a.Seq, 10)
	dst = append(dst, `,"prev":"`...)
	dst = append(dst, a.Prev...)
	dst = append(dst, `","time":"`...)
	dst = a.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","key_id":`...)
	k, _ := json.Marshal(a.KeyID) // a string always marshals
	dst = append(dst, k...)
	return append(dst, '}')
}

// encodeAnchor returns the whole anchor file, signed with key.
func encodeAnchor(a Anchor, key ed25519.PrivateKey) []byte {
	body := appendAnchorBody(nil, a)
	sig := ed25519.Sign(key, append([]byte(anchorDomain), body...))
	out := append([]byte(nil), anchorPrefix...)
	out = append(out, body...)
	out = append(out, cpSigSep...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	out = append(out, cpSuffix...)
	return append(out, '\n')
}

// parseAnchor decodes an anchor file and checks its signature with pub, like
// parseCheckpoint: errParse for a file that is not a well-formed anchor,
// errSignature for one pub did not sign.
func parseAnchor(data []byte, pub ed25519.PublicKey) (Anchor, error) {
	var a Anchor
	if len(data) > maxAnchorSize {
		return a, fmt.Errorf("%w: anchor larger than %d bytes", errParse, maxAnchorSize)
	}
	line, ok := bytes.CutSuffix(data, []byte{'\n'})
	if !ok || bytes.IndexByte(line, '\n') >= 0 {
		return a, fmt.Errorf("%w: anchor is not one line", errParse)
	}
	rest, ok := bytes.CutPrefix(line, anchorPrefix)
	if !ok {
		return a, fmt.Errorf("%w: no anchor prefix", errParse)
	}
	var b anchorBody
	body, sigText, err := openSigned(rest, "anchor", &b)
	if err != nil {
		return a, err
	}
	t, err := time.Parse(time.RFC3339Nano, b.Time)
	if err != nil || len(b.Prev) != hashHexLen || !isLowerHex([]byte(b.Prev)) {
		return a, fmt.Errorf("%w: anchor fields", errParse)
	}
	// Segment 1 has nothing before it, and every deleted segment held at
	// least one record.
	if b.Segment < 2 || b.Seq < uint64(b.Segment-1) {
		return a, fmt.Errorf("%w: anchor segment %d with seq %d is impossible", errParse, b.Segment, b.Seq)
	}
	a = Anchor{Segment: b.Segment, Seq: b.Seq, Prev: b.Prev, Time: t, KeyID: b.KeyID}
	if !bytes.Equal(body, appendAnchorBody(nil, a)) {
		return Anchor{}, fmt.Errorf("%w: anchor body not in canonical form", errParse)
	}
	if err := checkSignature(pub, append([]byte(anchorDomain), body...), sigText, "anchor"); err != nil {
		return a, err
	}
	return a, nil
}

// ReadAnchor reads and checks the anchor of the chain in dir. It returns nil
// and no error when the chain has none (no segment was ever deleted), and a
// *Problem of kind ErrMalformed or ErrBadSignature when the file is not an
// anchor signed by pub.
func ReadAnchor(dir string, pub ed25519.PublicKey) (*Anchor, error) {
	f, err := os.Open(filepath.Join(dir, AnchorFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading audit chain anchor: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAnchorSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading audit chain anchor: %w", err)
	}
	a, err := parseAnchor(data, pub)
	switch {
	case errors.Is(err, errSignature):
		return nil, &Problem{Kind: ErrBadSignature, Seq: a.Seq, File: AnchorFile, Line: 1,
			Detail: "the anchor is not signed by the chain's key"}
	case err != nil:
		return nil, &Problem{Kind: ErrMalformed, Seq: a.Seq, File: AnchorFile, Line: 1, Detail: err.Error()}
	}
	return &a, nil
}
