package trail_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/trail"
)

func TestEnqueuedEventsAreDurableAfterFlush(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	tr := open(t, cfg)
	const goroutines, each = 8, 250
	var wg sync.WaitGroup
	ids := make([][]string, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				e := requestEvent(cfgClock{})
				ids[g] = append(ids[g], e.Event.ID)
				if err := tr.Enqueue(e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Flushed, so on disk with the trail still open.
	got := map[string]bool{}
	for _, e := range readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard)) {
		got[e.Event.ID] = true
	}
	for _, list := range ids {
		for _, id := range list {
			if !got[id] {
				t.Fatalf("event %s enqueued before Flush is not in the chain", id)
			}
		}
	}
	if len(got) != goroutines*each {
		t.Errorf("%d records, want %d", len(got), goroutines*each)
	}
	verifyIntact(t, cfg.Root)
	written := metricValue(t, reg, "portcullis_audit_events_written_total", "class", "standard", "writer", cfg.Writer)
	if written != goroutines*each {
		t.Errorf("events_written_total{class=standard} = %v, want %d", written, goroutines*each)
	}
}

func TestAClosedTrailRefusesEvents(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	tr := open(t, cfg)
	if err := tr.Enqueue(requestEvent(cfgClock{})); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"Enqueue": tr.Enqueue(requestEvent(cfgClock{})),
		"Record":  tr.Record(ctx, privilegedEvent(event.PolicyChange)),
		"Flush":   tr.Flush(ctx),
	} {
		if !errors.Is(err, trail.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	// Close drained the queue: the event enqueued before it is there, sealed.
	reps := verifyIntact(t, cfg.Root)
	var records uint64
	for _, r := range reps {
		records += r.Records
		if r.Unsealed != 0 {
			t.Errorf("%s: unsealed after Close", r.Class)
		}
	}
	if records != 1 {
		t.Errorf("%d records, want 1", records)
	}
}

func TestConcurrentEnqueueRecordAndFlush(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	cfg.Chain.SegmentBytes = 32 << 10 // roll segments while writing
	cfg.Chain.CheckpointEvery = 50
	tr := open(t, cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 200 {
				var err error
				switch {
				case g == 0 && i%10 == 0:
					err = tr.Record(ctx, privilegedEvent(event.BreakGlassRequest))
				case g == 1 && i%25 == 0:
					err = tr.Flush(ctx)
				default:
					err = tr.Enqueue(requestEvent(cfgClock{}))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	var records uint64
	for _, r := range verifyIntact(t, cfg.Root) {
		records += r.Records
	}
	if want := uint64(6*200 - 20 + 20 - 8); records != want {
		// g0: 180 enqueued + 20 recorded; g1: 192 enqueued + 8 flushes; 4 × 200.
		t.Errorf("%d records, want %d", records, want)
	}
}

func TestASecondTrailCannotOpenTheSameWriter(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	first := open(t, cfg)
	if _, err := trail.Open(cfg); !errors.Is(err, trail.ErrWriterBusy) {
		t.Fatalf("second Open = %v, want ErrWriterBusy", err)
	}
	other := cfg
	other.Writer = "gw-2"
	open(t, other) // another writer under the same root is fine
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := open(t, cfg) // released by Close
	if err := again.Record(context.Background(), privilegedEvent(event.PolicyReload)); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	base := config(t)
	cases := []struct {
		name   string
		change func(*trail.Config)
		want   string
	}{
		{"writer with a slash", func(c *trail.Config) { c.Writer = "../etc" }, "writer"},
		{"writer in upper case", func(c *trail.Config) { c.Writer = "GW" }, "writer"},
		{"empty writer", func(c *trail.Config) { c.Writer = "" }, "writer"},
		{"writer named like the holds directory", func(c *trail.Config) { c.Writer = "holds" }, "reserved"},
		{"no signer", func(c *trail.Config) { c.Signer = nil }, "Signer"},
		{"no pseudonymizer", func(c *trail.Config) { c.Pseudonymizer = nil }, "Pseudonymizer"},
		{"negative queue", func(c *trail.Config) { c.QueueSize = -1 }, "QueueSize"},
		{"no root", func(c *trail.Config) { c.Root = "" }, "Root"},
	}
	for _, c := range cases {
		cfg := base
		c.change(&cfg)
		tr, err := trail.Open(cfg)
		if err == nil {
			tr.Close()
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not name %s", c.name, err, c.want)
		}
	}
}

// metricValue is the value of the counter or gauge name in reg whose
// labels include the given name=value pairs.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s%v in the registry", name, labels)
	return 0
}
