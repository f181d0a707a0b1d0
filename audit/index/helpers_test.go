package index_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/record"
	"github.com/portcullis/portcullis/internal/clock"
)

// t0 is the time of the first sample event.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

var (
	writers = []string{"gateway-a", "secretsd-a"}
	classes = []string{string(event.Standard), string(event.BreakGlassRetention)}
	actions = []event.Action{event.AuthLogin, event.TokenIssue, event.MFAEnroll, event.AuthLogout}
	actors  = []string{"p1:alice", "p1:bob", "p1:carol"}
)

// sample is one event written to a test chain, with the values the filters
// look at.
type sample struct {
	writer, class string
	seq           uint64
	ts            time.Time
	action        string
	outcome       event.Outcome
	actor         string // "" when the event has no user
	sourceIP      string
	sourceHash    string
	resource      string
	requestID     string
	text          bool // carries the free-text needle
}

// key identifies a record across the trail.
type key struct {
	writer, class string
	seq           uint64
}

func (s sample) key() key { return key{s.writer, s.class, s.seq} }

// makeSample derives the i-th event of a chain (deterministic, so tests can
// predict every filter's answer).
func makeSample(writer, class string, wi, ci, i int) sample {
	s := sample{
		writer:  writer,
		class:   class,
		seq:     uint64(i + 1),
		ts:      t0.Add(time.Duration(i)*time.Hour + time.Duration(wi*2+ci)*time.Minute),
		action:  actions[i%len(actions)].Name,
		outcome: event.Success,
	}
	if i%3 == 2 {
		s.outcome = event.Failure
	}
	if i%5 != 4 {
		s.actor = actors[(i+wi)%len(actors)]
	}
	s.sourceIP = fmt.Sprintf("192.0.2.%d", (i%4)*8)
	s.sourceHash = fmt.Sprintf("iphash-%d", i%6)
	if i%2 == 0 {
		s.resource = fmt.Sprintf("/v1/secrets/app%d", i%3)
	}
	s.requestID = fmt.Sprintf("req-%s-%s-%d", writer, class, i)
	s.text = i%7 == 3
	return s
}

// payload builds the ECS event of s with audit/event, as a trail would.
func (s sample) payload(t testing.TB) []byte {
	t.Helper()
	a, ok := event.Lookup(s.action)
	if !ok {
		t.Fatalf("unknown action %s", s.action)
	}
	e := event.New(a, s.outcome, clock.NewManual(s.ts))
	if s.actor != "" {
		e.User = &event.User{ID: s.actor}
	}
	e.Source = &event.Source{IP: s.sourceIP}
	e.Portcullis = &event.Product{RequestID: s.requestID, SourceIPHash: s.sourceHash}
	if s.resource != "" {
		if s.seq%4 == 1 {
			e.URL = &event.URL{Path: s.resource} // a gateway request
		} else {
			e.Portcullis.Resource = &event.Resource{Type: "secret", ID: s.resource}
		}
	}
	if s.text {
		e.Portcullis.Details = map[string]string{"note": "Needle_50%"}
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trail is a trail root with real chains written by audit/chain.
type trail struct {
	t       testing.TB
	root    string
	clk     *clock.Manual
	keys    map[string]ed25519.PrivateKey
	chains  map[[2]string]*chain.Writer
	samples []sample
	next    map[[2]string]int // next event index per chain
	segSize int64
}

func newTrail(t testing.TB, segmentBytes int64) *trail {
	t.Helper()
	tr := &trail{t: t, root: t.TempDir(), clk: clock.NewManual(t0), keys: map[string]ed25519.PrivateKey{},
		chains: map[[2]string]*chain.Writer{}, next: map[[2]string]int{}, segSize: segmentBytes}
	for _, w := range writers {
		tr.setKey(w, newKey(t))
	}
	t.Cleanup(tr.close)
	return tr
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// setKey writes the writer's checkpoint.pub.
func (tr *trail) setKey(writer string, priv ed25519.PrivateKey) {
	tr.t.Helper()
	tr.keys[writer] = priv
	dir := filepath.Join(tr.root, writer)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tr.t.Fatal(err)
	}
	pub := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "checkpoint.pub"), []byte(pub), 0o600); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *trail) dir(writer, class string) string { return filepath.Join(tr.root, writer, class) }

func (tr *trail) writer(w, c string) *chain.Writer {
	tr.t.Helper()
	k := [2]string{w, c}
	if cw := tr.chains[k]; cw != nil {
		return cw
	}
	cw, err := chain.Open(tr.dir(w, c), chain.Options{Signer: tr.keys[w], KeyID: w, SegmentBytes: tr.segSize,
		CheckpointEvery: 10, CheckpointInterval: -1, Clock: tr.clk})
	if err != nil {
		tr.t.Fatal(err)
	}
	tr.chains[k] = cw
	return cw
}

// append writes n more events to one chain.
func (tr *trail) append(w, c string, n int) []sample {
	tr.t.Helper()
	wi, ci := slices.Index(writers, w), slices.Index(classes, c)
	if wi < 0 {
		wi = len(writers) // a writer added by the test
	}
	k := [2]string{w, c}
	var (
		out      []sample
		payloads [][]byte
	)
	for range n {
		s := makeSample(w, c, wi, ci, tr.next[k])
		tr.next[k]++
		out = append(out, s)
		payloads = append(payloads, s.payload(tr.t))
	}
	if _, err := tr.writer(w, c).Append(payloads); err != nil {
		tr.t.Fatal(err)
	}
	tr.samples = append(tr.samples, out...)
	return out
}

// fill writes n events to every chain (2 writers x 2 classes).
func (tr *trail) fill(n int) {
	for _, w := range writers {
		for _, c := range classes {
			tr.append(w, c, n)
		}
	}
}

func (tr *trail) close() {
	for k, cw := range tr.chains {
		if err := cw.Close(); err != nil {
			tr.t.Errorf("closing chain %v: %v", k, err)
		}
		delete(tr.chains, k)
	}
}

func openIndex(t testing.TB, root string) *index.Index {
	t.Helper()
	ix, err := index.Open(context.Background(), index.Options{
		Path: filepath.Join(t.TempDir(), "index.db"), Root: root, Clock: clock.NewManual(t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func mustSync(t testing.TB, ix *index.Index) index.SyncReport {
	t.Helper()
	rep, err := ix.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return rep
}

// queryAll pages through Query and returns every record, failing on a
// duplicate or on a page out of order.
func queryAll(t testing.TB, ix *index.Index, f index.Filter, limit int) []record.Record {
	t.Helper()
	var (
		all    []record.Record
		cursor string
		seen   = map[int64]bool{}
	)
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("pagination does not end")
		}
		res, err := ix.Query(context.Background(), f, cursor, limit)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		if len(res.Records) > limit {
			t.Fatalf("page of %d records, limit %d", len(res.Records), limit)
		}
		for _, r := range res.Records {
			if seen[r.Cursor] {
				t.Fatalf("record %s/%s/%d returned twice", r.Writer, r.Class, r.Seq)
			}
			seen[r.Cursor] = true
			if n := len(all); n > 0 && (all[n-1].Time.Before(r.Time) ||
				all[n-1].Time.Equal(r.Time) && all[n-1].Cursor < r.Cursor) {
				t.Fatalf("not newest first: %v after %v", r.Time, all[n-1].Time)
			}
			all = append(all, r)
		}
		if res.Next == "" {
			return all
		}
		if len(res.Records) != limit {
			t.Fatalf("a page of %d records before the last, limit %d", len(res.Records), limit)
		}
		cursor = res.Next
	}
}

func keysOf(recs []record.Record) []key {
	out := make([]key, len(recs))
	for i, r := range recs {
		out[i] = key{r.Writer, r.Class, r.Seq}
	}
	return sortKeys(out)
}

func sortKeys(ks []key) []key {
	slices.SortFunc(ks, func(a, b key) int {
		if c := cmpStr(a.writer, b.writer); c != 0 {
			return c
		}
		if c := cmpStr(a.class, b.class); c != 0 {
			return c
		}
		return int(a.seq) - int(b.seq)
	})
	return ks
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (tr *trail) keysWhere(pred func(sample) bool) []key {
	var out []key
	for _, s := range tr.samples {
		if pred(s) {
			out = append(out, s.key())
		}
	}
	return sortKeys(out)
}

// segmentFiles lists a chain's segment files, ascending.
func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}
