package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/portcullis/portcullis/audit/forward"
	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/secretsd/config"
)

// forwardPoll is how often an idle forwarder looks for new events.
const forwardPoll = time.Second

// auditReaders are what serving adds to the trail: the index that answers
// queries, the legal holds, and the forwarders.
type auditReaders struct {
	index      *index.Index
	holds      *retention.Holds
	forwarders []*forward.Forwarder
}

func (s *Server) openAuditReaders(ctx context.Context, cfg config.Audit) (err error) {
	r := &auditReaders{}
	s.audit = r
	onSync := func(_ index.SyncReport, err error) {
		// A chain that stops indexing (a changed writer key, a malformed
		// line) must be seen: queries would miss its newer events.
		if err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error().Err(err).Msg("audit index: sync failed")
		}
	}
	if r.index, err = index.Open(ctx, index.Options{Path: cfg.Index, Root: cfg.Dir, Clock: s.opts.clock, OnSync: onSync}); err != nil {
		return fmt.Errorf("audit index: %w", err)
	}
	if r.holds, err = retention.OpenHolds(cfg.Dir); err != nil {
		return fmt.Errorf("audit legal holds: %w", err)
	}
	if len(cfg.Forward) == 0 {
		return nil
	}
	dir := cfg.ForwardCursorDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit forward cursors: %w", err)
	}
	cursors, err := forward.FileCursors(dir)
	if err != nil {
		return fmt.Errorf("audit forward cursors: %w", err)
	}
	for _, d := range cfg.Forward {
		f, err := forward.New(forward.Destination{Name: d.Name, Kind: d.Kind, URL: d.URL, Token: d.Token, Index: d.Index}, r.index, cursors)
		if err != nil {
			return fmt.Errorf("audit forward %q: %w", d.Name, err)
		}
		r.forwarders = append(r.forwarders, f)
	}
	return nil
}

// runAudit starts the trail's background work: indexing, forwarding and
// retention, until ctx ends.
func (s *Server) runAudit(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { s.audit.index.Run(ctx, s.cfg.Audit.IndexInterval) })
	for _, f := range s.audit.forwarders {
		wg.Go(func() { f.Run(ctx, forwardPoll) })
	}
	wg.Go(func() { s.retentionLoop(ctx) })
}

func (s *Server) retentionLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Audit.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Retain(ctx); err != nil && ctx.Err() == nil {
				s.log.Error().Err(err).Msg("audit retention failed; retrying at the next interval")
			}
		}
	}
}

// Retain applies retention to this secretsd's chains now, honouring the
// legal holds.
func (s *Server) Retain(ctx context.Context) error {
	holds, err := s.audit.holds.List()
	if err != nil {
		return fmt.Errorf("audit retention: reading legal holds: %w", err)
	}
	res, err := s.svc.Audit.Trail.Retain(ctx, s.opts.clock.Now(), holds)
	if err != nil {
		return fmt.Errorf("audit retention: %w", err)
	}
	for _, r := range res {
		if len(r.Deleted) > 0 || r.Held > 0 {
			s.log.Info().Str("class", string(r.Class)).Int("deleted_segments", len(r.Deleted)).Int("held_segments", r.Held).Msg("audit retention")
		}
	}
	return nil
}

func (r *auditReaders) close() error {
	if r == nil || r.index == nil {
		return nil
	}
	return r.index.Close()
}
