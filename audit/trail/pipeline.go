package trail

import (
	"runtime"
	"sync"
	"time"
)

// The queue is emptied by two goroutines in a pipeline, so that encoding a
// batch overlaps the fsync of the one before:
//
//	drain:  gather up to maxBatch items, pseudonymise/seal/marshal them (fanned
//	        out over the CPUs for a big batch), group them by chain;
//	commit: append each group in one chain Append (one write, one fsync),
//	        then answer the batch's Flush markers.
const (
	maxBatch = 2048
	// fanOutChunk is the fewest events worth a goroutine of their own.
	fanOutChunk = 128
)

// batch is one gathered and encoded batch on its way to the chains.
type batch struct {
	payloads [][][]byte // by class index, in queue order
	events   int
	flushes  []chan error
}

func (t *Trail) run() {
	commits := make(chan *batch, 1)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for b := range commits {
			t.commit(b)
		}
	}()
	t.drain(commits)
	close(commits)
	<-committed
	close(t.done)
}

// drain gathers and encodes batches until Close closes the queue.
func (t *Trail) drain(commits chan<- *batch) {
	items := make([]item, 0, maxBatch)
	for {
		if t.hold != nil {
			<-t.hold
		}
		it, ok := <-t.q
		if !ok {
			return
		}
		items = append(items[:0], it)
	gather:
		for len(items) < maxBatch {
			select {
			case it, ok := <-t.q:
				if !ok {
					break gather
				}
				items = append(items, it)
			default:
				break gather
			}
		}
		// The events leave the queue: their places are free again.
		n := 0
		for i := range items {
			if items[i].e != nil {
				n++
			}
		}
		t.places.Add(-int64(n))
		commits <- t.encode(items)
		clear(items) // let the events go
	}
}

// encode prepares the batch's events and groups the payloads by chain.
func (t *Trail) encode(items []item) *batch {
	payloads := make([][]byte, len(items))
	if workers := min(runtime.GOMAXPROCS(0), len(items)/fanOutChunk); workers > 1 {
		var wg sync.WaitGroup
		per := (len(items) + workers - 1) / workers
		for lo := 0; lo < len(items); lo += per {
			hi := min(lo+per, len(items))
			wg.Go(func() { t.encodeRange(items[lo:hi], payloads[lo:hi]) })
		}
		wg.Wait()
	} else {
		t.encodeRange(items, payloads)
	}
	b := &batch{payloads: make([][][]byte, len(t.classes))}
	for i, it := range items {
		if it.e == nil {
			b.flushes = append(b.flushes, it.flush)
			continue
		}
		if payloads[i] != nil {
			b.payloads[it.class] = append(b.payloads[it.class], payloads[i])
			b.events++
		}
	}
	return b
}

// encodeRange fills out[i] with the payload of items[i] (nil for a marker or
// an event that could not be encoded, which breaks the trail).
func (t *Trail) encodeRange(items []item, out [][]byte) {
	cat := catalogue()
	for i, it := range items {
		if it.e == nil {
			continue
		}
		a := cat[it.e.Event.Action].action
		p, err := t.prepare(it.e, a, false)
		if err != nil {
			// Admission checked what pseudonymisation parses, so this is
			// not expected; an event that cannot be written safely is not
			// written raw: the trail fails closed from here.
			t.m.writeErrors.Inc()
			t.breakWith(err)
			continue
		}
		out[i] = p
	}
}

// commit appends the batch, one Append per chain, and answers its markers.
func (t *Trail) commit(b *batch) {
	err := t.brokenErr()
	for class, payloads := range b.payloads {
		if len(payloads) == 0 {
			continue
		}
		if err != nil {
			t.m.dropped.Add(float64(len(payloads)))
			continue
		}
		start := time.Now()
		if _, aerr := t.chains[class].Append(payloads); aerr != nil {
			t.m.writeErrors.Inc()
			t.m.dropped.Add(float64(len(payloads)))
			err = t.breakWith(aerr)
			continue
		}
		t.m.commitSeconds.Observe(time.Since(start).Seconds())
		t.m.written[class].Add(float64(len(payloads)))
	}
	for _, f := range b.flushes {
		f <- err
	}
}

func (t *Trail) brokenErr() error {
	if b := t.broken.Load(); b != nil {
		return *b
	}
	return nil
}
