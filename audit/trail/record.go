package trail

import (
	"context"
	"time"

	"github.com/portcullis/portcullis/audit/event"
)

// Record writes e durably before returning. e is modified (pseudonymised).
// An error means the event is not known to be on disk: the caller must not
// perform the action. Concurrent Records share the chain's group commit.
func (t *Trail) Record(ctx context.Context, e *event.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := t.admit(e)
	if err != nil {
		return err
	}
	payload, err := t.prepare(e, c.action, true)
	if err != nil {
		return err
	}
	// The read lock keeps Close from closing the chain under this Append.
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return ErrClosed
	}
	if b := t.broken.Load(); b != nil {
		return *b
	}
	start := time.Now()
	if _, err := t.chains[c.class].Append([][]byte{payload}); err != nil {
		t.m.writeErrors.Inc()
		return t.breakWith(err)
	}
	t.m.commitSeconds.Observe(time.Since(start).Seconds())
	t.m.written[c.class].Inc()
	return nil
}
