package retention

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"github.com/portcullis/portcullis/audit/chain"
)

// Delete writes the signed anchor after the last segment of due, then removes
// the segments. due must come from Plan on the same chain: it must be the
// chain's oldest segments, in order, with the seq ranges Plan saw.
//
// Segments go oldest first, so a run that stops half way leaves a prefix
// behind the anchor, which Verify ignores and the next run deletes.
func Delete(dir string, due []Segment, signer ed25519.PrivateKey, keyID string) error {
	if len(due) == 0 {
		return nil
	}
	nums, err := chain.Segments(dir)
	if err != nil {
		return fmt.Errorf("audit retention: %w", err)
	}
	if len(nums) == 0 || due[0].Num != nums[0] {
		return fmt.Errorf("audit retention: segment %d is not the chain's first; plan again", due[0].Num)
	}
	for i, seg := range due {
		if i > 0 && seg.Num != due[i-1].Num+1 {
			return fmt.Errorf("audit retention: segments %d and %d are not consecutive; plan again", due[i-1].Num, seg.Num)
		}
		first, last, _, err := chain.SegmentEnds(dir, seg.Num)
		if err != nil {
			return fmt.Errorf("audit retention: %w", err)
		}
		if first.Seq != seg.FirstSeq || last.Seq != seg.LastSeq {
			return fmt.Errorf("audit retention: segment %d holds seq %d..%d, not %d..%d as planned; plan again",
				seg.Num, first.Seq, last.Seq, seg.FirstSeq, seg.LastSeq)
		}
	}
	if err := chain.WriteAnchor(dir, due[len(due)-1].Num, signer, keyID); err != nil {
		return fmt.Errorf("audit retention: %w", err)
	}
	for _, seg := range due {
		// Another process's run may have removed it already.
		if err := os.Remove(chain.SegmentPath(dir, seg.Num)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("audit retention: deleting segment %d: %w", seg.Num, err)
		}
	}
	return syncDir(dir)
}
