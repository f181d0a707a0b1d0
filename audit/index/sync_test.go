package index_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/record"
)

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	return lines
}

func containsLineWithPayload(lines [][]byte, payload []byte) bool {
	for _, l := range lines {
		if bytes.HasSuffix(l, append(append([]byte(`"payload":`), payload...), '}')) {
			return true
		}
	}
	return false
}

func count(t testing.TB, ix *index.Index, f index.Filter) int {
	t.Helper()
	n := 0
	if err := ix.Scan(context.Background(), f, func(record.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenCreatesAPrivateWALDatabase(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	path := filepath.Join(t.TempDir(), "sub", "index.db")
	ix, err := index.Open(context.Background(), index.Options{Path: path, Root: tr.root})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	tr.fill(1)
	mustSync(t, ix)
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v (WAL mode keeps a -wal file while open)", p, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
}

func TestSyncIndexesOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 2048) // a few events per segment: appends roll segments
	ix := openIndex(t, tr.root)
	steps := []struct {
		name   string
		write  func()
		want   int
		chains int
	}{
		{"empty root", func() {}, 0, 0},
		{"first events of every chain", func() { tr.fill(3) }, 12, 4},
		{"nothing new", func() {}, 0, 4},
		{"growth of one chain's current segment", func() { tr.append("gateway-a", "standard", 1) }, 1, 4},
		{"new segments", func() { tr.append("secretsd-a", "break_glass", 25) }, 25, 4},
		{"a new writer", func() {
			tr.setKey("gateway-b", newKey(t))
			tr.append("gateway-b", "standard", 4)
		}, 4, 5},
	}
	total := 0
	for _, s := range steps {
		s.write()
		rep := mustSync(t, ix)
		total += s.want
		if rep.Added != s.want || rep.Removed != 0 {
			t.Errorf("%s: Sync = %+v, want Added %d", s.name, rep, s.want)
		}
		if n := count(t, ix, index.Filter{}); n != total {
			t.Errorf("%s: %d records indexed, want %d", s.name, n, total)
		}
	}
	if n := len(segmentFiles(t, tr.dir("secretsd-a", "break_glass"))); n < 3 {
		t.Fatalf("the chain has %d segments; the test wants several", n)
	}
}

func TestATornLastLineIsIndexedOnceComplete(t *testing.T) {
	t.Parallel()
	// Write real lines with the chain writer elsewhere, then lay them out in
	// the trail root by hand, cutting the last one in the middle.
	src := newTrail(t, 0)
	src.append("gateway-a", "standard", 3)
	src.close()
	lines := readLines(t, segmentFiles(t, src.dir("gateway-a", "standard"))[0])
	if len(lines) < 4 { // 3 records and the closing checkpoint
		t.Fatalf("%d lines", len(lines))
	}
	tr := newTrail(t, 0)
	dir := tr.dir("gateway-a", "standard")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tr.setKey("gateway-a", src.keys["gateway-a"])
	seg := filepath.Join(dir, "00000001.jsonl")
	third := lines[2]
	whole := append(append(bytes.Join(lines[:2], []byte("\n")), '\n'), third[:len(third)/2]...)
	if err := os.WriteFile(seg, whole, 0o600); err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t, tr.root)
	if rep := mustSync(t, ix); rep.Added != 2 {
		t.Fatalf("with a torn third line: Added = %d, want 2", rep.Added)
	}
	if rep := mustSync(t, ix); rep.Added != 0 {
		t.Fatalf("still torn: Added = %d, want 0", rep.Added)
	}
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(append(third[len(third)/2:], '\n'))
	f.Write(append(lines[3], '\n'))
	f.Close()
	if rep := mustSync(t, ix); rep.Added != 1 {
		t.Fatalf("completed: Added = %d, want 1", rep.Added)
	}
	if got := keysOf(queryAll(t, ix, index.Filter{}, 10)); len(got) != 3 || got[2].seq != 3 {
		t.Errorf("indexed %v, want seqs 1..3", got)
	}
}

func TestAMalformedLineIsNamedAndStopsOnlyItsChain(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	tr.fill(5)
	tr.close()
	seg := segmentFiles(t, tr.dir("gateway-a", "break_glass"))[0]
	lines := readLines(t, seg)
	lines[2] = []byte(`{"seq":3,"prev":"x","hash":"y","payload":{"not an event"}`)
	if err := os.WriteFile(seg, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t, tr.root)
	rep, err := ix.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), seg+":3:") {
		t.Fatalf("Sync error = %v, want one naming %s:3", err, seg)
	}
	if rep.Added != 3*5+2 {
		t.Errorf("Added = %d, want the 15 records of the other chains and the 2 before the bad line", rep.Added)
	}
	if n := count(t, ix, index.Filter{Writer: "gateway-a"}); n != 5+2 {
		t.Errorf("gateway-a has %d records indexed, want 7", n)
	}
	// The chain waits at the bad line: the next Sync names it again.
	if _, err := ix.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), seg+":3:") {
		t.Errorf("second Sync error = %v", err)
	}
}

func TestRowsOfASegmentDeletedByRetentionAreRemoved(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 2048)
	tr.fill(20)
	ix := openIndex(t, tr.root)
	mustSync(t, ix)
	dir := tr.dir("secretsd-a", "standard")
	segs := segmentFiles(t, dir)
	if len(segs) < 3 {
		t.Fatalf("%d segments; the test wants several", len(segs))
	}
	// Retention deletes the oldest segments of a chain.
	var deleted []uint64
	for _, seg := range segs[:2] {
		for _, l := range readLines(t, seg) {
			if rec := seqOf(l); rec > 0 {
				deleted = append(deleted, rec)
			}
		}
		if err := os.Remove(seg); err != nil {
			t.Fatal(err)
		}
	}
	rep := mustSync(t, ix)
	if rep.Removed != len(deleted) || rep.Added != 0 {
		t.Errorf("Sync = %+v, want Removed %d", rep, len(deleted))
	}
	want := tr.keysWhere(func(s sample) bool {
		return !(s.writer == "secretsd-a" && s.class == "standard" && slices.Contains(deleted, s.seq))
	})
	if got := keysOf(queryAll(t, ix, index.Filter{}, 50)); !slices.Equal(got, want) {
		t.Errorf("after retention: %d records, want %d", len(got), len(want))
	}
	// The chain goes on after the deletion.
	tr.append("secretsd-a", "standard", 3)
	if rep := mustSync(t, ix); rep.Added != 3 || rep.Removed != 0 {
		t.Errorf("Sync after appending = %+v", rep)
	}
}

// seqOf returns the seq of a record line, 0 for a checkpoint.
func seqOf(line []byte) uint64 {
	rest, ok := bytes.CutPrefix(line, []byte(`{"seq":`))
	if !ok {
		return 0
	}
	var n uint64
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

func TestAChangedWriterKeyIsRefused(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	tr.fill(2)
	ix := openIndex(t, tr.root)
	mustSync(t, ix)
	pinned, err := ix.TrustedKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pinned) != 2 {
		t.Fatalf("TrustedKeys has %d writers, want 2", len(pinned))
	}
	original := pinned["gateway-a"]

	tr.setKey("gateway-a", newKey(t)) // an attacker replaces the key and writes
	tr.append("gateway-a", "forged", 3)
	tr.append("secretsd-a", "standard", 3)
	tr.append("secretsd-a", "break_glass", 3)
	rep, err := ix.Sync(context.Background())
	if !errors.Is(err, index.ErrKeyChanged) || !strings.Contains(err.Error(), "gateway-a") {
		t.Fatalf("Sync error = %v, want ErrKeyChanged naming gateway-a", err)
	}
	if rep.Added != 2*3 {
		t.Errorf("Added = %d, want only the other writer's 6", rep.Added)
	}
	if n := count(t, ix, index.Filter{Writer: "gateway-a"}); n != 2*2 {
		t.Errorf("gateway-a: %d records, want its 4 from before the change", n)
	}
	keys, err := ix.TrustedKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !keys["gateway-a"].Equal(original) {
		t.Error("the pinned key changed")
	}
	// Rebuild keeps the pins: it cannot launder the new key.
	if err := ix.Rebuild(context.Background()); !errors.Is(err, index.ErrKeyChanged) {
		t.Errorf("Rebuild error = %v, want ErrKeyChanged", err)
	}
	if n := count(t, ix, index.Filter{Writer: "gateway-a"}); n != 0 {
		t.Errorf("after Rebuild gateway-a has %d records, want none", n)
	}
}

func TestAMissingKeyFileOfAPinnedWriterIsAnError(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	tr.fill(1)
	ix := openIndex(t, tr.root)
	mustSync(t, ix)
	if err := os.Remove(filepath.Join(tr.root, "secretsd-a", "checkpoint.pub")); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), "secretsd-a") {
		t.Errorf("Sync error = %v, want one naming secretsd-a", err)
	}
	if n := count(t, ix, index.Filter{Writer: "secretsd-a"}); n != 2 {
		t.Errorf("secretsd-a: %d records, want its 2 kept", n)
	}
}

func TestRebuildGivesTheSameResults(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 4096)
	tr.fill(15)
	ix := openIndex(t, tr.root)
	mustSync(t, ix)
	before := queryAll(t, ix, index.Filter{}, 20)
	if err := ix.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := queryAll(t, ix, index.Filter{}, 20)
	if len(before) != len(after) || len(after) != len(tr.samples) {
		t.Fatalf("%d records before, %d after, want %d", len(before), len(after), len(tr.samples))
	}
	maxBefore := int64(0)
	for _, r := range before {
		maxBefore = max(maxBefore, r.Cursor)
	}
	for i := range before {
		b, a := before[i], after[i]
		if b.Writer != a.Writer || b.Class != a.Class || b.Seq != a.Seq || !b.Time.Equal(a.Time) || !bytes.Equal(b.Event, a.Event) {
			t.Fatalf("record %d differs: %+v vs %+v", i, b, a)
		}
		// Cursors are never reused: a forwarder resends rather than skips.
		if a.Cursor <= maxBefore {
			t.Fatalf("cursor %d reused after Rebuild (max before %d)", a.Cursor, maxBefore)
		}
	}
	if rep := mustSync(t, ix); rep.Added != 0 || rep.Removed != 0 {
		t.Errorf("Sync after Rebuild = %+v, want nothing to do", rep)
	}
}

func TestRunSyncsUntilCancelled(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	tr.fill(2)
	reports := make(chan index.SyncReport, 100)
	ix, err := index.Open(context.Background(), index.Options{
		Path: filepath.Join(t.TempDir(), "index.db"), Root: tr.root,
		OnSync: func(rep index.SyncReport, err error) {
			if err != nil {
				t.Errorf("Sync: %v", err)
			}
			reports <- rep
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ix.Run(ctx, time.Millisecond); close(done) }()
	if rep := <-reports; rep.Added != 8 {
		t.Errorf("first Sync added %d, want 8", rep.Added)
	}
	tr.append("gateway-a", "standard", 1)
	for rep := range reports {
		if rep.Added == 1 {
			break
		}
	}
	cancel()
	<-done
}

func TestOpenRefusesAnIndexOfAnotherSchemaVersion(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	path := filepath.Join(t.TempDir(), "index.db")
	ix, err := index.Open(context.Background(), index.Options{Path: path, Root: tr.root})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	// Reopening the same version works.
	ix, err = index.Open(context.Background(), index.Options{Path: path, Root: tr.root})
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	for _, opts := range []index.Options{{Root: tr.root}, {Path: path}} {
		if _, err := index.Open(context.Background(), opts); err == nil {
			t.Errorf("Open(%+v) succeeded without Path or Root", opts)
		}
	}
}

func TestASegmentThatShrankIsIndexedAgain(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 0)
	tr.append("gateway-a", "standard", 6)
	tr.close()
	ix := openIndex(t, tr.root)
	mustSync(t, ix)
	// Replace the segment by its first 3 lines (a restore from backup).
	seg := segmentFiles(t, tr.dir("gateway-a", "standard"))[0]
	lines := readLines(t, seg)
	if err := os.WriteFile(seg, append(bytes.Join(lines[:3], []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := mustSync(t, ix)
	if rep.Removed != 6 || rep.Added != 3 {
		t.Errorf("Sync = %+v, want Removed 6 and Added 3", rep)
	}
	if n := count(t, ix, index.Filter{}); n != 3 {
		t.Errorf("%d records indexed, want 3", n)
	}
}

func TestQueriesRunBesideSync(t *testing.T) {
	t.Parallel()
	tr := newTrail(t, 4096)
	ix := openIndex(t, tr.root)
	done := make(chan struct{})
	queried := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				queried <- n
				return
			default:
			}
			if _, err := ix.Query(context.Background(), index.Filter{Actors: []string{"p1:bob"}}, "", 5); err != nil {
				t.Error(err)
			}
			n++
		}
	}()
	for range 5 {
		tr.fill(10)
		mustSync(t, ix)
	}
	close(done)
	if n := <-queried; n == 0 {
		t.Error("no query ran")
	}
	if n := count(t, ix, index.Filter{}); n != len(tr.samples) {
		t.Errorf("%d records, want %d", n, len(tr.samples))
	}
}
