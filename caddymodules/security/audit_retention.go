package security

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/audit/trail"
)

// auditRetentionInterval is how often the gateway applies retention to its
// own chains (each writer deletes only what it wrote; secretsd does the same
// for its chains). Expiry is by calendar date, so once a day is on time.
const auditRetentionInterval = 24 * time.Hour

// runRetention applies retention to t's chains at once and then every
// auditRetentionInterval until ctx ends, honouring the legal holds kept
// under the trail directory. Deletions are audited by the trail before they
// happen; failures are logged and tried again at the next round.
func runRetention(ctx context.Context, t *trail.Trail, dir string, logger *zap.Logger) {
	holds, err := retention.OpenHolds(dir)
	if err != nil {
		logger.Error("audit retention disabled: cannot open the legal holds", zap.Error(err))
		return
	}
	tick := time.NewTicker(auditRetentionInterval)
	defer tick.Stop()
	for {
		retainOnce(ctx, t, holds, logger)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func retainOnce(ctx context.Context, t *trail.Trail, holds *retention.Holds, logger *zap.Logger) {
	list, err := holds.List()
	if err != nil {
		// Deleting without knowing the holds could destroy held evidence.
		logger.Error("audit retention skipped: cannot read the legal holds", zap.Error(err))
		return
	}
	res, err := t.Retain(ctx, time.Now(), list)
	for _, r := range res {
		if len(r.Deleted) > 0 || r.Held > 0 {
			logger.Info("audit retention", zap.String("class", string(r.Class)),
				zap.Int("deleted_segments", len(r.Deleted)), zap.Int("held_segments", r.Held))
		}
	}
	if err != nil && ctx.Err() == nil {
		logger.Error("audit retention failed; retrying at the next round", zap.Error(err))
	}
}
