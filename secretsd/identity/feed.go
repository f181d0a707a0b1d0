package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/store"
)

// The revocation feed (GET /v1/revocations) for gateways without Redis.
const (
	// MaxFeedWait bounds a long poll; longer waits are cut to it.
	MaxFeedWait = 30 * time.Second
	// feedPoll is how often a waiting long poll reads the store, to see
	// revocations made by other secretsd nodes (this node's wake it at once).
	feedPoll = 200 * time.Millisecond
	// feedPage bounds the entries of one answer; the gateway asks again with
	// the cursor.
	feedPage = 1000
)

// RevocationsAfter is the revocation feed for gateways without Redis: entries
// after the cursor, waiting up to wait for one to appear (long poll). It
// returns the entries and the next cursor: the Seq of the last entry, the
// given cursor when there is none, or the log's end when the given cursor is
// beyond it. A revocation made by this process ends
// the wait at once; one made by another node within 200 ms. Entries no
// longer in force are left out; cursor 0 returns every entry still in force.
func (s *Service) RevocationsAfter(ctx context.Context, cursor int64, wait time.Duration) ([]revocation.Entry, int64, error) {
	if cursor < 0 {
		return nil, cursor, fmt.Errorf("%w: after: must not be negative", ErrInvalidInput)
	}
	wait = min(max(wait, 0), MaxFeedWait)
	var timeout, tick <-chan time.Time
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		ticker := time.NewTicker(feedPoll)
		defer ticker.Stop()
		timeout, tick = timer.C, ticker.C
	}
	first := true
	for {
		// Take the wake-up channel before reading, so that a revocation
		// committed after the read still ends the wait.
		woken := s.wakeChannel()
		rs, err := s.deps.Store.RevocationsAfter(ctx, cursor, s.clock.Now(), feedPage)
		if err != nil {
			return nil, cursor, fmt.Errorf("reading the revocation log: %w", err)
		}
		if len(rs) > 0 {
			return feedEntries(rs), rs[len(rs)-1].Seq, nil
		}
		if first {
			// A cursor beyond the end of the log belongs to another log (the
			// database was recreated): answering with this log's end makes
			// the gateway start over rather than wait for seqs it will
			// never see again.
			first = false
			last, err := s.deps.Store.LastRevocationSeq(ctx)
			if err != nil {
				return nil, cursor, fmt.Errorf("reading the revocation log: %w", err)
			}
			if cursor > last {
				return nil, last, nil
			}
		}
		if wait == 0 {
			return nil, cursor, nil
		}
		select {
		case <-ctx.Done():
			return nil, cursor, ctx.Err()
		case <-timeout:
			return nil, cursor, nil
		case <-woken:
		case <-tick:
		}
	}
}

func feedEntries(rs []store.Revocation) []revocation.Entry {
	out := make([]revocation.Entry, len(rs))
	for i, r := range rs {
		out[i] = revocation.Entry{Kind: revocation.Kind(r.Kind), ID: r.Value, Before: r.Before, Until: r.Until}
	}
	return out
}

// wakeChannel returns the channel the next local revocation closes.
func (s *Service) wakeChannel() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notify
}

// wake ends every long poll waiting on the current channel.
func (s *Service) wake() {
	s.notifyMu.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.notifyMu.Unlock()
}
