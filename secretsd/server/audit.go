package server

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/secretsd/identity"
)

// logAuditor writes identity events to the "audit" logger, one structured
// line each, until the audit trail (issue 4) replaces it. The events carry
// no secrets (identity.Event's contract); with [audit] log_events = false
// they are dropped.
type logAuditor struct {
	log     zerolog.Logger
	enabled bool
}

func newLogAuditor(log zerolog.Logger, enabled bool) *logAuditor {
	return &logAuditor{log: log.With().Str("logger", "audit").Logger(), enabled: enabled}
}

// Record implements identity.Auditor. Writing a log line cannot fail in a
// way worth refusing an action for, so it returns nil.
func (a *logAuditor) Record(_ context.Context, e identity.Event) error {
	if !a.enabled {
		return nil
	}
	ev := a.log.Info().Str("action", e.Action).Str("outcome", e.Outcome)
	if e.Reason != "" {
		ev.Str("reason", e.Reason)
	}
	if e.ActorID != "" {
		ev.Str("actor", e.ActorID)
	}
	if e.Subject != "" {
		ev.Str("subject", e.Subject)
	}
	if e.Session != "" {
		ev.Str("session", e.Session)
	}
	if len(e.Details) > 0 {
		ev.Interface("details", e.Details)
	}
	ev.Msg("audit event")
	return nil
}

var _ identity.Auditor = (*logAuditor)(nil)
