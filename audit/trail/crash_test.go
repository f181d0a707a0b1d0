package trail_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
)

// crashRootEnv, when set, makes the test binary a writer that appends to the
// trail at that root as fast as it can until it is killed (see TestMain).
const crashRootEnv = "PORTCULLIS_TRAIL_CRASH_ROOT"

func TestMain(m *testing.M) {
	if root := os.Getenv(crashRootEnv); root != "" {
		crashWriter(root)
		return
	}
	os.Exit(m.Run())
}

// crashOpen opens the crash test's trail; its keys live next to the root so
// that every round (and the checking parent) uses the same ones.
func crashOpen(root string) (*trail.Trail, error) {
	signer, err := trail.LoadOrCreateSigner(filepath.Join(root, "..", "keys", "signer.pem"))
	if err != nil {
		return nil, err
	}
	key, err := pseudo.LoadOrCreateKey("k1", filepath.Join(root, "..", "keys", "pseudonym.key"))
	if err != nil {
		return nil, err
	}
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{key}})
	if err != nil {
		return nil, err
	}
	return trail.Open(trail.Config{
		Root: root, Writer: "crash", Signer: signer, Pseudonymizer: p,
		// Small segments and frequent checkpoints, so that kills land in
		// rolls and checkpoints too.
		Chain: chain.Options{SegmentBytes: 256 << 10, CheckpointEvery: 100},
	})
}

// crashWriter is the child: Record (privileged) and Enqueue+Flush from
// several goroutines, printing "ack <event id>" once each call says the event
// is durable. It never returns on its own before a minute (the parent kills it).
func crashWriter(root string) {
	tr, err := crashOpen(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		os.Exit(2)
	}
	acks := make(chan []string, 64)
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash writer:", err)
		os.Exit(3)
	}
	for range 3 {
		go func() {
			for {
				e := privilegedEvent(event.BreakGlassActivate)
				if err := tr.Record(ctx, e); err != nil {
					fail(err)
				}
				acks <- []string{e.Event.ID}
			}
		}()
	}
	for range 3 {
		go func() {
			ids := make([]string, 0, 64)
			for {
				ids = ids[:0]
				for range 64 {
					e := requestEvent(clock.System)
					err := tr.Enqueue(e)
					if errors.Is(err, trail.ErrQueueFull) {
						break // refused, not acknowledged
					}
					if err != nil {
						fail(err)
					}
					ids = append(ids, e.Event.ID)
				}
				if err := tr.Flush(ctx); err != nil {
					fail(err)
				}
				acks <- append([]string(nil), ids...)
			}
		}()
	}
	out := bufio.NewWriter(os.Stdout)
	deadline := time.After(time.Minute)
	for {
		select {
		case ids := <-acks:
			for _, id := range ids {
				fmt.Fprintf(out, "ack %s\n", id)
			}
			if len(acks) == 0 {
				out.Flush()
			}
		case <-deadline:
			os.Exit(4)
		}
	}
}

// Nothing acknowledged is lost across kill -9: a child process writes under
// load and is killed mid-stream; the trail reopens (cutting a torn tail),
// verifies, and holds every event the child acknowledged. Three rounds on
// one trail.
func TestNothingAcknowledgedIsLostAcrossKill9(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "trail")
	acked := map[string]bool{}
	const rounds, acksPerRound = 3, 2000
	for round := 1; round <= rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashRootEnv+"="+root)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		n := 0
		for n < acksPerRound && sc.Scan() {
			// A line cut by the kill is shorter than a whole one; only whole
			// lines count.
			if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok && len(id) == 36 {
				acked[id] = true
				n++
			}
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		// Acknowledgements already in the pipe count too.
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok && len(id) == 36 {
				acked[id] = true
			}
		}
		_ = cmd.Wait()
		if n < acksPerRound {
			t.Fatalf("round %d: the writer stopped after %d acknowledgements: %s", round, n, stderr.String())
		}

		// What the kill left: at most a torn last line per chain, which was
		// never acknowledged.
		before, err := trail.VerifyAll(root, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range before {
			if r.Err != nil && !errors.Is(r.Err, chain.ErrTornWrite) {
				t.Fatalf("round %d: %s chain after kill -9: %v", round, r.Class, r.Err)
			}
			if r.Err != nil {
				t.Logf("round %d: %s chain: torn tail after kill -9", round, r.Class)
			}
		}

		// Restart: Open repairs a torn tail; then everything verifies and
		// every acknowledged event is there.
		tr, err := crashOpen(root)
		if err != nil {
			t.Fatalf("round %d: reopening after kill -9: %v", round, err)
		}
		reps := verifyIntact(t, root)
		found := map[string]bool{}
		var records uint64
		for _, r := range reps {
			records += r.Records
			for _, e := range readChain(t, r.Dir) {
				found[e.Event.ID] = true
			}
		}
		missing := 0
		for id := range acked {
			if !found[id] {
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d of %d acknowledged events missing after kill -9", round, missing, len(acked))
		}
		t.Logf("round %d: %d acknowledged events all present among %d records", round, len(acked), records)
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
