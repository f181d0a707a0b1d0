package trail

import (
	"crypto/ed25519"
	"errors"

	"github.com/portcullis/portcullis/audit/chain"
)

// VerifyAll verifies every chain under root. trusted maps a writer to the
// key its checkpoints must verify with; a writer missing from trusted is
// verified against its PublicKeyFile. A chain that cannot be checked (no
// key, unreadable files) gets that error in its Err; the returned error is
// only for a root that cannot be listed.
func VerifyAll(root string, trusted map[string]ed25519.PublicKey) ([]ChainReport, error) {
	refs, err := Chains(root)
	if err != nil {
		return nil, err
	}
	out := make([]ChainReport, 0, len(refs))
	for _, ref := range refs {
		rep := ChainReport{ChainRef: ref}
		pub, ok := trusted[ref.Writer]
		if !ok {
			if pub, err = PublicKey(root, ref.Writer); err != nil {
				rep.Err = err
				out = append(out, rep)
				continue
			}
		}
		rep.Report, err = chain.Verify(ref.Dir, pub)
		if err != nil && !errors.Is(err, chain.ErrUnsealed) {
			rep.Err = err
		}
		out = append(out, rep)
	}
	return out, nil
}
