package revocation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
)

// Backoff between failed polls of the feed: it doubles from the first to the
// cap, and never exceeds a quarter of MaxStaleness, so that a feed that comes
// back is followed again well before the mirror would go stale.
const (
	feedBackoffFirst = 100 * time.Millisecond
	feedBackoffCap   = 5 * time.Second
)

// feedFollower is the mirror's loop over secretsd's feed. Its fields are
// touched by one goroutine at a time: Start's, then the loop's.
type feedFollower struct {
	m      *Mirror
	client *feedClient
	cursor int64
	// caughtUp: the last answer left nothing behind, so the next poll may be
	// held open. Until then polls ask for an answer at once (wait=0), and
	// only the answer with nothing new counts as a completed load: a mirror
	// holding the first page of a long list is not fresh yet.
	caughtUp bool
	// idle: the last answer should not be followed by a poll at once (it
	// was held open and had nothing new, or it repeated a restart of the
	// feed).
	idle        bool
	lastRestart time.Time // real time of the last restart of the feed seen
	failing     bool
	backoff     time.Duration
	backoffCap  time.Duration
}

func newFeedFollower(m *Mirror, client *feedClient) *feedFollower {
	capped := max(min(feedBackoffCap, m.cfg.MaxStaleness/4), 10*time.Millisecond)
	return &feedFollower{m: m, client: client, backoff: min(feedBackoffFirst, capped), backoffCap: capped}
}

// catchUp polls until the mirror holds everything the feed has (the first
// full load, from cursor 0), or until the first failure.
func (f *feedFollower) catchUp(ctx context.Context) error {
	for !f.caughtUp {
		if err := f.step(ctx); err != nil {
			f.failed(err)
			return fmt.Errorf("loading revocations from the feed: %w", err)
		}
		f.succeeded()
	}
	return nil
}

// run follows the feed until ctx ends.
func (f *feedFollower) run(ctx context.Context) {
	defer f.m.wg.Done()
	defer f.client.close()
	for ctx.Err() == nil {
		started := time.Now()
		if err := f.step(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			f.failed(err)
			// Jitter spreads the reconnections of a fleet of gateways
			// after secretsd restarts.
			delay := time.Duration(float64(f.backoff) * (0.8 + 0.4*rand.Float64()))
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			f.backoff = min(2*f.backoff, f.backoffCap)
			continue
		}
		f.succeeded()
		// A server (or a proxy) that answers "nothing new" at once instead
		// of holding the poll would otherwise be asked again in a tight
		// loop; pacing such answers costs no freshness.
		if early := min(time.Second, f.client.wait/2) - time.Since(started); f.idle && early > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(early):
			}
		}
	}
}

// step makes one poll and applies its answer.
func (f *feedFollower) step(ctx context.Context) error {
	wait := f.client.wait
	if !f.caughtUp {
		wait = 0
	}
	page, err := f.client.poll(ctx, f.cursor, wait)
	f.idle = false
	if err != nil {
		f.caughtUp = false // the outage may have lasted; catch up before resting
		return err
	}
	m := f.m
	now := m.cfg.Clock.Now()
	if n := len(page.malformed); n > 0 {
		// Once per answer, not per entry: a broken server must not flood
		// the log.
		m.cfg.Logger.Warn("ignoring malformed entries of the revocation feed",
			zap.String("feed", f.client.name), zap.Int("malformed", n), zap.Int("entries", page.received),
			zap.Error(page.malformed[0]))
	}
	m.applyAll(page.entries, now)
	switch {
	case page.cursor < f.cursor:
		// The feed went back: secretsd's log was recreated. Entries held
		// stay (revocations are never undone); load the new log whole.
		m.cfg.Logger.Warn("the revocation feed restarted from an earlier cursor; loading it again from the start",
			zap.String("feed", f.client.name), zap.Int64("cursor", f.cursor), zap.Int64("feed_cursor", page.cursor))
		f.cursor, f.caughtUp = 0, false
		// Reload at once, unless the feed keeps going back (a broken
		// server would have the mirror reload in a tight loop).
		f.idle = time.Since(f.lastRestart) < time.Minute
		f.lastRestart = time.Now()
		return nil
	case page.cursor == f.cursor && page.received > 0:
		// Answering entries without moving the cursor would have the
		// mirror ask again at once, forever.
		f.caughtUp = false
		return fmt.Errorf("revocation feed %s answered %d entries without advancing its cursor %d",
			f.client.name, page.received, f.cursor)
	}
	f.cursor = page.cursor
	f.idle = wait > 0 && page.received == 0
	if page.received == 0 || f.caughtUp {
		f.caughtUp = true
		m.synced(now)
	}
	return nil
}

func (f *feedFollower) failed(err error) {
	f.m.subscribed.Store(false)
	if !f.failing {
		f.failing = true
		f.m.cfg.Logger.Warn("polling the revocation feed failed; retrying, and failing closed after max_staleness",
			zap.String("feed", f.client.name), zap.Error(err), zap.Duration("max_staleness", f.m.cfg.MaxStaleness))
	}
}

func (f *feedFollower) succeeded() {
	f.m.subscribed.Store(true)
	f.backoff = min(feedBackoffFirst, f.backoffCap)
	if f.failing {
		f.failing = false
		f.m.cfg.Logger.Info("the revocation feed answers again", zap.String("feed", f.client.name))
	}
}

// errBothSources is returned when a config names Redis and a feed.
var errBothSources = errors.New("revocation mirror: redis and a feed are mutually exclusive: " +
	"with redis, revocations come from redis; the feed from secretsd is for gateways without it")
