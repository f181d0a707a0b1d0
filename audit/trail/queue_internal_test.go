package trail

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/internal/clock"
)

// openHeld opens a trail whose writer goroutine waits for a receive on the
// returned channel before each batch.
func openHeld(t *testing.T, queue int, failOpen bool) (*Trail, chan struct{}, *prometheus.Registry) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	hold := make(chan struct{})
	tr, err := open(Config{Root: t.TempDir(), Writer: "held", Signer: priv, Pseudonymizer: p,
		QueueSize: queue, FailOpen: failOpen, Registerer: reg}, hold)
	if err != nil {
		t.Fatal(err)
	}
	return tr, hold, reg
}

func newEvent() *event.Event {
	e := event.New(event.GatewayRequest, event.Success, clock.System)
	return &e
}

func gather(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0 // over the series, e.g. the classes
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				sum += c.GetValue()
			} else {
				sum += m.GetGauge().GetValue()
			}
		}
		return sum
	}
	t.Fatalf("no %s", name)
	return 0
}

func TestAFullQueue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		failOpen bool
		want     error
		dropped  float64
	}{
		{"fails closed by default", false, ErrQueueFull, 0},
		{"drops and counts when failing open", true, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const size = 4
			tr, hold, reg := openHeld(t, size, c.failOpen)
			for i := range size {
				if err := tr.Enqueue(newEvent()); err != nil {
					t.Fatalf("event %d of a queue of %d: %v", i+1, size, err)
				}
			}
			if got := gather(t, reg, "portcullis_audit_queue_depth"); got != size {
				t.Errorf("queue depth %v, want %d", got, size)
			}
			if err := tr.Enqueue(newEvent()); !errors.Is(err, c.want) {
				t.Fatalf("Enqueue on a full queue = %v, want %v", err, c.want)
			}
			if got := gather(t, reg, "portcullis_audit_queue_full_total"); got != 1 {
				t.Errorf("queue_full_total %v, want 1", got)
			}
			if got := gather(t, reg, "portcullis_audit_dropped_total"); got != c.dropped {
				t.Errorf("dropped_total %v, want %v", got, c.dropped)
			}
			close(hold) // let the writer run
			if err := tr.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if got := gather(t, reg, "portcullis_audit_events_written_total"); got != size {
				t.Errorf("events_written_total %v, want %d", got, size)
			}
		})
	}
}

func TestAWriteErrorBreaksTheTrail(t *testing.T) {
	t.Parallel()
	tr, hold, reg := openHeld(t, 16, false)
	if err := tr.Enqueue(newEvent()); err != nil {
		t.Fatal(err)
	}
	// The chain under the queued event goes away, as if the disk failed.
	for _, w := range tr.chains {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	if err := tr.Flush(context.Background()); !errors.Is(err, ErrBroken) {
		t.Fatalf("Flush after a failed write = %v, want ErrBroken", err)
	}
	if err := tr.Enqueue(newEvent()); !errors.Is(err, ErrBroken) {
		t.Errorf("Enqueue on a broken trail = %v, want ErrBroken", err)
	}
	if err := tr.Record(context.Background(), newEvent()); !errors.Is(err, ErrBroken) {
		t.Errorf("Record on a broken trail = %v, want ErrBroken", err)
	}
	if got := gather(t, reg, "portcullis_audit_write_errors_total"); got != 1 {
		t.Errorf("write_errors_total %v, want 1", got)
	}
	if got := gather(t, reg, "portcullis_audit_dropped_total"); got != 1 {
		t.Errorf("dropped_total %v, want 1 (the queued event)", got)
	}
	tr.Close()
}

// A reserved place is kept for its event: once the queue's places are all
// taken, Reserve fails (even failing open: the caller decides), while the
// reserved events go in without waiting, and an unused place comes back.
func TestReservedPlacesAreKept(t *testing.T) {
	t.Parallel()
	for _, failOpen := range []bool{false, true} {
		const size = 3
		tr, hold, reg := openHeld(t, size, failOpen)
		for i := range size {
			if err := tr.Reserve(); err != nil {
				t.Fatalf("reserving place %d of %d: %v", i+1, size, err)
			}
		}
		if err := tr.Reserve(); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Reserve with every place taken = %v, want ErrQueueFull", err)
		}
		if err := tr.Enqueue(newEvent()); failOpen != (err == nil) {
			t.Fatalf("Enqueue with every place reserved (fail open %v) = %v", failOpen, err)
		}
		// A Flush marker does not take a reserved event's place.
		flushed := make(chan error, 1)
		go func() { flushed <- tr.Flush(context.Background()) }()
		for range size - 1 {
			if err := tr.EnqueueReserved(newEvent()); err != nil {
				t.Fatalf("EnqueueReserved: %v", err)
			}
		}
		tr.Unreserve()
		if err := tr.Reserve(); err != nil {
			t.Fatalf("Reserve after Unreserve: %v", err)
		}
		if err := tr.EnqueueReserved(&event.Event{}); !errors.Is(err, ErrUnknownAction) {
			t.Fatalf("EnqueueReserved of an uncatalogued event = %v", err)
		}
		if err := tr.Reserve(); err != nil {
			t.Fatalf("Reserve after a refused EnqueueReserved (its place is given back): %v", err)
		}
		tr.Unreserve()
		close(hold)
		if err := <-flushed; err != nil {
			t.Fatal(err)
		}
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if got := gather(t, reg, "portcullis_audit_events_written_total"); got != size-1 {
			t.Errorf("events_written_total %v, want %d", got, size-1)
		}
	}
}
