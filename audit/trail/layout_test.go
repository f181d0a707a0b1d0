package trail_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/audit/trail"
)

func TestChainsListsWriterClassDirectoriesOnly(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	tr := open(t, cfg)
	if err := tr.Record(context.Background(), privilegedEvent(event.PolicyChange)); err != nil {
		t.Fatal(err)
	}
	if _, err := retention.OpenHolds(cfg.Root); err != nil { // <root>/holds/
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Root, "README"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(cfg.Root, "Not A Writer"), 0o700); err != nil {
		t.Fatal(err)
	}
	refs, err := trail.Chains(cfg.Root)
	if err != nil {
		t.Fatal(err)
	}
	want := []trail.ChainRef{
		{Writer: "gw-1", Class: event.BreakGlassRetention, Dir: trail.ChainDir(cfg.Root, "gw-1", event.BreakGlassRetention)},
		{Writer: "gw-1", Class: event.Standard, Dir: filepath.Join(cfg.Root, "gw-1", "standard")},
	}
	if len(refs) != len(want) {
		t.Fatalf("Chains = %+v, want %+v", refs, want)
	}
	for i := range want {
		if refs[i] != want[i] {
			t.Errorf("Chains[%d] = %+v, want %+v", i, refs[i], want[i])
		}
	}
	pub, err := trail.PublicKey(cfg.Root, cfg.Writer)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(cfg.Signer.Public()) {
		t.Error("checkpoint.pub is not the signer's public key")
	}
	if _, err := trail.PublicKey(cfg.Root, "nobody"); err == nil {
		t.Error("PublicKey of a writer that does not exist succeeded")
	}
}

func TestVerifyAllReportsDamageAndAcceptsALiveTail(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	tr := open(t, cfg)
	for range 3 {
		if err := tr.Record(context.Background(), privilegedEvent(event.BreakGlassRequest)); err != nil {
			t.Fatal(err)
		}
		if err := tr.Enqueue(requestEvent(cfgClock{})); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Live: both chains unsealed, which is no problem.
	for _, r := range verifyIntact(t, cfg.Root) {
		if r.Records != 3 || r.Unsealed != 3 {
			t.Errorf("%s: %d records, %d unsealed; want 3 and 3", r.Class, r.Records, r.Unsealed)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(trail.ChainDir(cfg.Root, cfg.Writer, event.BreakGlassRetention), "00000001.jsonl")
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(`"outcome":"success"`))
	data[i+len(`"outcome":"`)] = 'S'
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	other := newSigner(t).Public().(ed25519.PublicKey)
	cases := []struct {
		name    string
		trusted map[string]ed25519.PublicKey
		class   event.Retention
		want    error
	}{
		{"a changed byte is found", nil, event.BreakGlassRetention, chain.ErrHashMismatch},
		{"the untouched chain is intact", nil, event.Standard, nil},
		{"a pinned key that differs fails the checkpoints", map[string]ed25519.PublicKey{"gw-1": other}, event.Standard, chain.ErrBadSignature},
	}
	for _, c := range cases {
		reps, err := trail.VerifyAll(cfg.Root, c.trusted)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps {
			if r.Class != c.class {
				continue
			}
			if (c.want == nil) != (r.Err == nil) || (c.want != nil && !errors.Is(r.Err, c.want)) {
				t.Errorf("%s: Err = %v, want %v", c.name, r.Err, c.want)
			}
			var p *chain.Problem
			if c.want == chain.ErrHashMismatch && (!errors.As(r.Err, &p) || p.Seq != 1) {
				t.Errorf("%s: problem %v does not name seq 1", c.name, r.Err)
			}
		}
	}
}

func TestLoadOrCreateSignerAgreesOnOneKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys", "signer.pem")
	const callers = 8
	keys := make([]ed25519.PrivateKey, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if keys[i], err = trail.LoadOrCreateSigner(path); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := 1; i < callers; i++ {
		if !keys[i].Equal(keys[0]) {
			t.Fatal("concurrent callers got different keys")
		}
	}
	again, err := trail.LoadOrCreateSigner(path)
	if err != nil || !again.Equal(keys[0]) {
		t.Fatalf("reloading the key: %v", err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := trail.LoadOrCreateSigner(bad); err == nil {
		t.Error("a file that is not a PKCS#8 key was accepted")
	}
}
