package chain

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WriteAnchor records, signed by signer, that the chain in dir will start at
// segment lastDeletedSegment+1 once the segments up to lastDeletedSegment are
// deleted. Call it before deleting them: it reads the last line of
// lastDeletedSegment, which must be a checkpoint signed by signer (the segment
// is sealed), and checks that the next segment exists and continues it. The
// file is replaced atomically (temporary file, fsync, rename, fsync of dir).
//
// An anchor never moves back: when the chain's anchor already starts at or
// after lastDeletedSegment+1 (a retention run that stopped half way), it is
// kept and WriteAnchor returns nil. An existing anchor that signer's key does
// not verify is an error, so a forged one is never built upon.
func WriteAnchor(dir string, lastDeletedSegment int, signer ed25519.PrivateKey, keyID string) error {
	if len(signer) != ed25519.PrivateKeySize {
		return errors.New("audit chain: anchor: signer must be an Ed25519 private key")
	}
	if lastDeletedSegment < 1 {
		return fmt.Errorf("audit chain: anchor: segment %d does not exist", lastDeletedSegment)
	}
	pub := signer.Public().(ed25519.PublicKey)
	old, err := ReadAnchor(dir, pub)
	if err != nil {
		return fmt.Errorf("audit chain: refusing to replace the existing anchor: %w", err)
	}
	if old != nil && old.Segment >= lastDeletedSegment+1 {
		return nil
	}
	a, err := anchorAfter(dir, lastDeletedSegment, pub)
	if err != nil {
		return err
	}
	a.Time, a.KeyID = time.Now().UTC(), keyID
	return writeFileAtomic(dir, AnchorFile, encodeAnchor(a, signer))
}

// anchorAfter computes the anchor that makes segment n+1 the first.
func anchorAfter(dir string, n int, pub ed25519.PublicKey) (Anchor, error) {
	name := segmentName(n)
	data, err := os.ReadFile(segmentPath(dir, n))
	if err != nil {
		return Anchor{}, fmt.Errorf("audit chain: anchor: reading %s: %w", name, err)
	}
	body, ok := bytes.CutSuffix(data, []byte{'\n'})
	if !ok {
		return Anchor{}, fmt.Errorf("audit chain: anchor: %s does not end with a complete line", name)
	}
	last := body[bytes.LastIndexByte(body, '\n')+1:]
	cp, err := parseCheckpoint(last, pub)
	if err != nil {
		return Anchor{}, fmt.Errorf("audit chain: anchor: %s is not sealed (its last line is not a checkpoint signed by this key: %v)", name, err)
	}
	a := Anchor{Segment: n + 1, Seq: cp.Seq, Prev: lineHash(last)}
	if a.Seq < uint64(n) {
		return Anchor{}, fmt.Errorf("audit chain: anchor: %s ends at seq %d, too low for segment %d", name, a.Seq, n)
	}
	next, err := os.ReadFile(segmentPath(dir, n+1))
	if errors.Is(err, os.ErrNotExist) {
		return Anchor{}, fmt.Errorf("audit chain: anchor: refusing to delete %s, the chain's last segment", name)
	}
	if err != nil {
		return Anchor{}, fmt.Errorf("audit chain: anchor: reading %s: %w", segmentName(n+1), err)
	}
	if i := bytes.IndexByte(next, '\n'); i >= 0 {
		r, err := parseRecord(next[:i])
		if err != nil || r.seq != a.Seq+1 || r.prev != a.Prev {
			return Anchor{}, fmt.Errorf("audit chain: anchor: %s does not continue %s", segmentName(n+1), name)
		}
	}
	return a, nil
}

// writeFileAtomic replaces dir/name with data: a reader sees the old file or
// the new one, and after a crash one of them is there whole.
func writeFileAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("audit chain: writing %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		return fmt.Errorf("audit chain: writing %s: %w", name, err)
	}
	return syncDir(dir)
}
