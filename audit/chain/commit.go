package chain

import (
	"fmt"
	"os"
	"time"
)

// maxBatchRecords bounds one group commit, so one fsync never waits on an
// unbounded write.
const maxBatchRecords = 1 << 16

func (w *Writer) commitLoop() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.opts.CheckpointInterval > 0 {
		t := time.NewTicker(w.opts.CheckpointInterval)
		defer t.Stop()
		tick = t.C
	}
	batch := make([]*request, 0, 64)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
			n := len(r.payloads)
		gather:
			for n < maxBatchRecords {
				select {
				case r := <-w.reqs:
					batch = append(batch, r)
					n += len(r.payloads)
				default:
					break gather
				}
			}
			w.commit(batch)
		case <-tick:
			w.commit(nil)
		case <-w.stop:
			// Close holds no senders any more: drain what was queued.
			batch = batch[:0]
			for {
				select {
				case r := <-w.reqs:
					batch = append(batch, r)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				w.commit(batch)
			}
			w.closeErr = w.finish()
			return
		}
	}
}

// commit writes the batch with one fsync (two when it seals a segment) and
// answers every request.
func (w *Writer) commit(batch []*request) {
	err := w.err
	if err == nil {
		err = w.writeBatch(batch)
		w.err = err
	}
	for _, r := range batch {
		r.err = err
		close(r.done)
	}
}

func (w *Writer) writeBatch(batch []*request) error {
	w.buf = w.buf[:0]
	if len(batch) == 0 && w.sinceCP == 0 {
		return nil // timer tick with nothing to seal
	}
	for _, r := range batch {
		r.first = w.seq + 1
		for _, p := range r.payloads {
			if w.f == nil || w.segSize+int64(len(w.buf)) >= w.opts.SegmentBytes {
				if err := w.roll(); err != nil {
					return err
				}
			}
			w.seq++
			start := len(w.buf)
			w.buf = appendRecord(w.buf, w.seq, w.prev, p)
			w.prev = lineHash(w.buf[start:])
			w.lastRecHash = w.prev
			w.buf = append(w.buf, '\n')
			w.sinceCP++
			if w.opts.CheckpointEvery > 0 && w.sinceCP >= w.opts.CheckpointEvery {
				w.appendCheckpoint()
			}
		}
	}
	if w.opts.CheckpointInterval > 0 && w.sinceCP > 0 &&
		w.opts.Clock.Now().Sub(w.lastCP) >= w.opts.CheckpointInterval {
		w.appendCheckpoint()
	}
	return w.flush(true)
}

// appendCheckpoint adds a checkpoint covering the last record to the buffer.
func (w *Writer) appendCheckpoint() {
	now := w.opts.Clock.Now()
	start := len(w.buf)
	w.buf = appendCheckpoint(w.buf, w.seq, w.lastRecHash, now, w.opts.KeyID, w.opts.Signer)
	w.prev = lineHash(w.buf[start:])
	w.buf = append(w.buf, '\n')
	w.sinceCP = 0
	w.lastCP = now
}

// flush writes the buffer to the current segment and, if sync, fsyncs it.
func (w *Writer) flush(sync bool) error {
	if len(w.buf) > 0 {
		if w.f == nil {
			return fmt.Errorf("audit chain: no open segment")
		}
		n, err := w.f.Write(w.buf)
		w.segSize += int64(n)
		if err != nil {
			return fmt.Errorf("audit chain: writing segment: %w", err)
		}
		w.buf = w.buf[:0]
	}
	if sync && w.f != nil {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("audit chain: syncing segment: %w", err)
		}
	}
	return nil
}

// seal writes a checkpoint if records wait for one, syncs and closes the segment.
func (w *Writer) seal() error {
	if w.f == nil {
		return nil
	}
	if w.sinceCP > 0 {
		w.appendCheckpoint()
	}
	if err := w.flush(true); err != nil {
		return err
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("audit chain: closing segment: %w", err)
	}
	return nil
}

// roll seals the current segment (if any) and creates the next one.
func (w *Writer) roll() error {
	// The buffer holds lines of the current segment; seal writes them first.
	if err := w.seal(); err != nil {
		return err
	}
	w.segNum++
	f, err := os.OpenFile(segmentPath(w.dir, w.segNum), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit chain: creating segment: %w", err)
	}
	w.f, w.segSize = f, 0
	return syncDir(w.dir)
}

// finish is Close's last step: seal the open segment.
func (w *Writer) finish() error {
	if w.err != nil {
		if w.f != nil {
			w.f.Close()
		}
		return w.err
	}
	return w.seal()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit chain: syncing directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit chain: syncing directory: %w", err)
	}
	return nil
}
