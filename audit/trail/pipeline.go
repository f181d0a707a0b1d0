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
	// linger is how long the writer waits for more events after the first
	// one of a batch, so that the fsync of a batch covers more of them.
	linger   = 2 * time.Millisecond
	maxBatch = 2048
	// fanOutChunk is the fewest events worth a goroutine of their own.
	fanOutChunk = 128
)

// batch is one gathered and encoded batch on its way to the chains.
type batch struct {
	payloads [][][]byte // by class index, in queue order
	events   int
	flushes  []chan error
	arenas   []*[]byte // the buffers payloads point into, reused once committed
}

// arenas recycles the buffers a batch's payloads are encoded into: one per
// encoding goroutine, about 1 KiB per event, so a busy writer allocates no
// payload memory at all. The chain copies payloads into its own write
// buffer, so a buffer is free again once its Append has returned.
var arenas = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// maxArena is the largest buffer kept for reuse: a batch of huge events must
// not pin its memory.
const maxArena = 8 << 20

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
		// Linger: at a few thousand events per second a batch would hold a
		// handful of events and cost an fsync each (measured: secretsd's CPU
		// per token refresh 0.77 ms without, 0.55 ms with, the same as with
		// no trail at all). Queued events are acknowledged before they are
		// durable anyway; a Flush marker ends the wait at once.
		deadline := time.NewTimer(linger)
	gather:
		for len(items) < maxBatch {
			select {
			case it, ok := <-t.q:
				if !ok {
					break gather
				}
				items = append(items, it)
				if it.e == nil {
					break gather
				}
			case <-deadline.C:
				break gather
			}
		}
		deadline.Stop()
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
	b := &batch{payloads: make([][][]byte, len(t.classes))}
	if workers := min(runtime.GOMAXPROCS(0), len(items)/fanOutChunk); workers > 1 {
		var wg sync.WaitGroup
		per := (len(items) + workers - 1) / workers
		for lo := 0; lo < len(items); lo += per {
			hi := min(lo+per, len(items))
			arena := arenas.Get().(*[]byte)
			b.arenas = append(b.arenas, arena)
			wg.Go(func() { t.encodeRange(items[lo:hi], payloads[lo:hi], arena) })
		}
		wg.Wait()
	} else {
		arena := arenas.Get().(*[]byte)
		b.arenas = append(b.arenas, arena)
		t.encodeRange(items, payloads, arena)
	}
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
// an event that could not be encoded, which breaks the trail), encoded one
// after the other into *arena.
func (t *Trail) encodeRange(items []item, out [][]byte, arena *[]byte) {
	cat := catalogue()
	buf := (*arena)[:0]
	// ends[i] is where payload i ends in buf; slices are taken only at the
	// end, since appending may move buf.
	ends := make([]int, len(items))
	for i, it := range items {
		ends[i] = -1
		if it.e == nil {
			continue
		}
		a := cat[it.e.Event.Action].action
		start := len(buf)
		var err error
		buf, err = t.prepareAppend(buf, it.e, a, false)
		if err != nil {
			// Admission checked what pseudonymisation parses, so this is
			// not expected; an event that cannot be written safely is not
			// written raw: the trail fails closed from here.
			t.m.writeErrors.Inc()
			t.breakWith(err)
			buf = buf[:start]
			continue
		}
		ends[i] = len(buf)
	}
	start := 0
	for i, end := range ends {
		if end >= 0 {
			out[i] = buf[start:end:end]
			start = end
		}
	}
	*arena = buf
}

// release gives the batch's buffers back for reuse; its payloads are
// invalid afterwards.
func (b *batch) release() {
	for _, a := range b.arenas {
		if cap(*a) <= maxArena {
			arenas.Put(a)
		}
	}
	b.arenas, b.payloads = nil, nil
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
		// The payloads come from event.AppendJSON, whose output is
		// json.Marshal's (fuzz-tested): the chain's full JSON parse would
		// only cost CPU on this serial path.
		if _, aerr := t.chains[class].AppendTrusted(payloads); aerr != nil {
			t.m.writeErrors.Inc()
			t.m.dropped.Add(float64(len(payloads)))
			err = t.breakWith(aerr)
			continue
		}
		t.m.commitSeconds.Observe(time.Since(start).Seconds())
		t.m.written[class].Add(float64(len(payloads)))
	}
	b.release()
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
