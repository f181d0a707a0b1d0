package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

const (
	recordDomain     = "portcullis-audit-record-v1\n"
	checkpointDomain = "portcullis-audit-checkpoint-v1\n"
	hashHexLen       = 2 * sha256.Size
)

// zeroPrev is the prev of the first line of a chain.
var zeroPrev = string(bytes.Repeat([]byte{'0'}, hashHexLen))

var (
	recSeqPrefix     = []byte(`{"seq":`)
	recPrevPrefix    = []byte(`,"prev":"`)
	recHashPrefix    = []byte(`","hash":"`)
	recPayloadPrefix = []byte(`","payload":`)
	cpPrefix         = []byte(`{"checkpoint":`)
	cpSigSep         = []byte(`,"sig":"`)
	cpSuffix         = []byte(`"}`)
)

// lineHash is hex(SHA-256(line)), the prev of the line after it.
func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// recordHash computes H as documented in the package comment.
func recordHash(seq uint64, prev string, payload []byte) string {
	h := sha256.New()
	var num [20]byte
	h.Write([]byte(recordDomain))
	h.Write(strconv.AppendUint(num[:0], seq, 10))
	h.Write([]byte{'\n'})
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(payload)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// appendRecord appends the record line (without "\n") to dst.
func appendRecord(dst []byte, seq uint64, prev string, payload []byte) []byte {
	dst = append(dst, recSeqPrefix...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, recPrevPrefix...)
	dst = append(dst, prev...)
	dst = append(dst, recHashPrefix...)
	dst = append(dst, recordHash(seq, prev, payload)...)
	dst = append(dst, recPayloadPrefix...)
	dst = append(dst, payload...)
	return append(dst, '}')
}

type record struct {
	seq     uint64
	prev    string
	hash    string
	payload []byte
}

var errParse = errors.New("malformed line")

// parseRecord splits a record line by its fixed delimiters.
func parseRecord(line []byte) (record, error) {
	var r record
	rest, ok := bytes.CutPrefix(line, recSeqPrefix)
	if !ok {
		return r, fmt.Errorf("%w: no record prefix", errParse)
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || (i > 1 && rest[0] == '0') {
		return r, fmt.Errorf("%w: bad seq", errParse)
	}
	seq, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil {
		return r, fmt.Errorf("%w: bad seq", errParse)
	}
	r.seq = seq
	rest = rest[i:]
	if rest, ok = bytes.CutPrefix(rest, recPrevPrefix); !ok || len(rest) < hashHexLen || !isLowerHex(rest[:hashHexLen]) {
		return r, fmt.Errorf("%w: bad prev", errParse)
	}
	r.prev, rest = string(rest[:hashHexLen]), rest[hashHexLen:]
	if rest, ok = bytes.CutPrefix(rest, recHashPrefix); !ok || len(rest) < hashHexLen || !isLowerHex(rest[:hashHexLen]) {
		return r, fmt.Errorf("%w: bad hash", errParse)
	}
	r.hash, rest = string(rest[:hashHexLen]), rest[hashHexLen:]
	if rest, ok = bytes.CutPrefix(rest, recPayloadPrefix); !ok || len(rest) < 3 || rest[len(rest)-1] != '}' {
		return r, fmt.Errorf("%w: bad payload", errParse)
	}
	// The payload is checked by the caller after the hash, so that a changed
	// payload byte is reported as a hash mismatch.
	r.payload = rest[:len(rest)-1]
	return r, nil
}

// checkPayload accepts one JSON object on one line, with no surrounding space.
func checkPayload(p []byte) error {
	if err := checkFraming(p); err != nil {
		return err
	}
	if !json.Valid(p) {
		return errors.New("payload is not valid JSON")
	}
	return nil
}

// checkFraming is the part of checkPayload that keeps the line format
// parseable whatever the payload's inside: it starts with "{", ends with "}"
// and holds no line break (so the record is exactly one line).
func checkFraming(p []byte) error {
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' {
		return errors.New("payload is not a JSON object")
	}
	if bytes.IndexByte(p, '\n') >= 0 || bytes.IndexByte(p, '\r') >= 0 {
		return errors.New("payload spans lines")
	}
	return nil
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

type checkpoint struct {
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"`
	Time  string `json:"time"`
	KeyID string `json:"key_id"`
}

// appendCheckpointBody appends the signed object of a checkpoint.
func appendCheckpointBody(dst []byte, seq uint64, hash string, t time.Time, keyID string) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"hash":"`...)
	dst = append(dst, hash...)
	dst = append(dst, `","time":"`...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","key_id":`...)
	k, _ := json.Marshal(keyID) // a string always marshals
	dst = append(dst, k...)
	return append(dst, '}')
}

func signedBytes(body []byte) []byte {
	return append([]byte(checkpointDomain), body...)
}

// appendCheckpoint appends a signed checkpoint line (without "\n") to dst.
func appendCheckpoint(dst []byte, seq uint64, hash string, t time.Time, keyID string, key ed25519.PrivateKey) []byte {
	body := appendCheckpointBody(nil, seq, hash, t, keyID)
	sig := ed25519.Sign(key, signedBytes(body))
	dst = append(dst, cpPrefix...)
	dst = append(dst, body...)
	dst = append(dst, cpSigSep...)
	dst = base64.StdEncoding.AppendEncode(dst, sig)
	return append(dst, cpSuffix...)
}

// parseCheckpoint splits and decodes a checkpoint line and checks its
// signature with pub. errParse means the line is not a well-formed checkpoint;
// errSignature means it is, but pub did not sign it.
func parseCheckpoint(line []byte, pub ed25519.PublicKey) (checkpoint, error) {
	var cp checkpoint
	rest, ok := bytes.CutPrefix(line, cpPrefix)
	if !ok {
		return cp, fmt.Errorf("%w: no checkpoint prefix", errParse)
	}
	body, sigText, err := openSigned(rest, "checkpoint", &cp)
	if err != nil {
		return cp, err
	}
	t, err := time.Parse(time.RFC3339Nano, cp.Time)
	if err != nil || len(cp.Hash) != hashHexLen || !isLowerHex([]byte(cp.Hash)) {
		return cp, fmt.Errorf("%w: checkpoint fields", errParse)
	}
	if !bytes.Equal(body, appendCheckpointBody(nil, cp.Seq, cp.Hash, t, cp.KeyID)) {
		return cp, fmt.Errorf("%w: checkpoint body not in canonical form", errParse)
	}
	return cp, checkSignature(pub, signedBytes(body), sigText, "checkpoint")
}

// openSigned takes a signed line (checkpoint or anchor) after its prefix,
// `<body>,"sig":"<S>"}`, decodes body strictly into v, and returns the body
// and the signature's text.
func openSigned(rest []byte, what string, v any) (body, sigText []byte, err error) {
	rest, ok := bytes.CutSuffix(rest, cpSuffix)
	if !ok {
		return nil, nil, fmt.Errorf("%w: bad %s suffix", errParse, what)
	}
	i := bytes.LastIndex(rest, cpSigSep)
	if i < 0 {
		return nil, nil, fmt.Errorf("%w: %s has no signature", errParse, what)
	}
	body, sigText = rest[:i], rest[i+len(cpSigSep):]
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, nil, fmt.Errorf("%w: %s body: %v", errParse, what, err)
	}
	return body, sigText, nil
}

// checkSignature verifies sigText, which must be the canonical standard
// base64 of an Ed25519 signature (errParse otherwise), over signed with pub
// (errSignature when it does not verify).
func checkSignature(pub ed25519.PublicKey, signed, sigText []byte, what string) error {
	sig, err := base64.StdEncoding.Strict().DecodeString(string(sigText))
	if err != nil || len(sig) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != string(sigText) {
		return fmt.Errorf("%w: bad %s signature encoding", errParse, what)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, signed, sig) {
		return errSignature
	}
	return nil
}

var errSignature = errors.New("signature does not verify")
