package server

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// pruneEvery is how often expired challenges and revocation-log entries are
// deleted. They are ignored once expired anyway; pruning only keeps the
// tables small.
const pruneEvery = time.Minute

func (s *Server) pruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn().Err(err).Msg("pruning expired records failed; retrying in a minute")
			}
		}
	}
}

// Prune deletes expired challenges and revocation-log entries now.
func (s *Server) Prune(ctx context.Context) error {
	now := s.opts.clock.Now()
	challenges, err1 := s.svc.Store.PruneChallenges(ctx, now)
	revocations, err2 := s.svc.Store.PruneRevocations(ctx, now)
	if challenges+revocations > 0 {
		s.log.Debug().Int("challenges", challenges).Int("revocations", revocations).Msg("pruned expired records")
	}
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("pruning: %w", err)
	}
	return nil
}
