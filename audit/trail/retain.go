package trail

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/retention"
)

// RetentionResult is what Retain did to one chain.
type RetentionResult struct {
	Class   event.Retention     `json:"class"`
	Deleted []retention.Segment `json:"deleted"`
	Held    int                 `json:"held"`
}

// Retain applies retention at now to this writer's chains: it plans each
// chain's deletion (retention.Plan, with Config.Retention's periods), records an audit.retention event per
// chain with something to delete (durably, before deleting), then deletes.
// A chain whose deletion cannot be recorded is left whole. A failed deletion
// is recorded as a failed audit.retention. Every chain is tried; the error
// joins what went wrong, and the results say what was done.
func (t *Trail) Retain(ctx context.Context, now time.Time, holds []retention.Hold) ([]RetentionResult, error) {
	var out []RetentionResult
	var errs []error
	for _, class := range t.classes {
		if err := ctx.Err(); err != nil {
			return out, errors.Join(append(errs, err)...)
		}
		dir := ChainDir(t.cfg.Root, t.cfg.Writer, class)
		due, held, err := retention.Plan(dir, class, t.cfg.Retention, now, holds)
		res := RetentionResult{Class: class, Held: held}
		if err != nil {
			out = append(out, res)
			errs = append(errs, fmt.Errorf("%s chain: %w", class, err))
			continue
		}
		if len(due) > 0 {
			if err := t.deleteAudited(ctx, class, dir, due); err != nil {
				errs = append(errs, fmt.Errorf("%s chain: %w", class, err))
			} else {
				res.Deleted = due
			}
		}
		out = append(out, res)
	}
	return out, errors.Join(errs...)
}

// deleteAudited records the deletion, then deletes.
func (t *Trail) deleteAudited(ctx context.Context, class event.Retention, dir string, due []retention.Segment) error {
	e := t.retentionEvent(class, due, event.Success, "")
	if err := t.Record(ctx, &e); err != nil {
		return fmt.Errorf("recording the deletion (nothing deleted): %w", err)
	}
	err := retention.Delete(dir, due, t.cfg.Signer, t.cfg.KeyID)
	if err == nil {
		return nil
	}
	f := t.retentionEvent(class, due, event.Failure, "delete_failed")
	if rerr := t.Record(ctx, &f); rerr != nil {
		return errors.Join(err, fmt.Errorf("recording the failed deletion: %w", rerr))
	}
	return err
}

// retentionEvent describes the deletion of due from this writer's class chain.
func (t *Trail) retentionEvent(class event.Retention, due []retention.Segment, outcome event.Outcome, reason string) event.Event {
	e := event.New(event.AuditRetention, outcome, t.cfg.Clock)
	e.Event.Reason = reason
	first, last := due[0], due[len(due)-1]
	e.Portcullis = &event.Product{
		Resource: &event.Resource{Type: "audit_chain", ID: t.cfg.Writer + "/" + string(class)},
		Details: map[string]string{
			"class":     string(class),
			"segments":  strconv.Itoa(len(due)),
			"first_seq": strconv.FormatUint(first.FirstSeq, 10),
			"last_seq":  strconv.FormatUint(last.LastSeq, 10),
			"from":      first.From.UTC().Format(time.RFC3339Nano),
			"to":        last.To.UTC().Format(time.RFC3339Nano),
		},
	}
	return e
}
