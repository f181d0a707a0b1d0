package retention_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/internal/clock"
)

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }

func eventAt(ts time.Time, i int) []byte {
	return []byte(fmt.Sprintf(`{"@timestamp":%q,"event":{"action":"auth.login"},"n":%d}`, ts.Format(time.RFC3339Nano), i))
}

// testChain is a real chain whose segments hold records with chosen
// @timestamps.
type testChain struct {
	dir  string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	clk  *clock.Manual
	n    int // records written
}

func newChain(t testing.TB) *testChain {
	pub, priv := newKey(t)
	return &testChain{dir: t.TempDir(), pub: pub, priv: priv, clk: clock.NewManual(day(2020, 1, 1))}
}

func (c *testChain) open(t testing.TB, segmentBytes int64) *chain.Writer {
	t.Helper()
	w, err := chain.Open(c.dir, chain.Options{Signer: c.priv, KeyID: "test", SegmentBytes: segmentBytes,
		CheckpointInterval: -1, Clock: c.clk})
	if err != nil {
		t.Fatalf("chain.Open: %v", err)
	}
	return w
}

// segment appends a new segment holding one record per timestamp; the
// writer is closed after each record, so each segment is sealed.
func (c *testChain) segment(t testing.TB, times ...time.Time) {
	t.Helper()
	for j, ts := range times {
		size := int64(1 << 30)
		if j == 0 {
			size = 1 // the first record rolls to a new segment
		}
		w := c.open(t, size)
		c.n++
		if _, err := w.Append([][]byte{eventAt(ts, c.n)}); err != nil {
			t.Fatalf("Append: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func (c *testChain) verify(t testing.TB) chain.Report {
	t.Helper()
	rep, err := chain.Verify(c.dir, c.pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// verifyLive is verify for a chain whose writer is running: records after
// the last checkpoint are expected.
func (c *testChain) verifyLive(t testing.TB) chain.Report {
	t.Helper()
	rep, err := chain.Verify(c.dir, c.pub)
	if err != nil && !errors.Is(err, chain.ErrUnsealed) {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}
