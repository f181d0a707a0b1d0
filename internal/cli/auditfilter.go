package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/portcullis/portcullis/secretsd/client"
)

// auditFilterFlags are the filters query and export share.
type auditFilterFlags struct {
	from, to, outcome, resource, requestID, text, writer string
	actions, actors, users, sources                      []string
}

func (f *auditFilterFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.from, "from", "", "events at or after: RFC 3339 time, a date (2006-01-02), or a duration ago (24h)")
	fs.StringVar(&f.to, "to", "", "events before: same forms as --from")
	fs.StringSliceVar(&f.actions, "action", nil, "event action, e.g. auth.login (repeatable or comma-separated)")
	fs.StringVar(&f.outcome, "outcome", "", "success, failure or unknown")
	fs.StringSliceVar(&f.actors, "actor", nil, "user.id pseudonym (from `portcullis audit hash`; repeatable)")
	fs.StringSliceVar(&f.users, "user", nil, "user id: secretsd turns it into its pseudonyms (repeatable)")
	fs.StringSliceVar(&f.sources, "source", nil, "source address (a full IP matches its hash) or truncated network (repeatable)")
	fs.StringVar(&f.resource, "resource", "", "resource id or gateway path")
	fs.StringVar(&f.requestID, "request-id", "", "request id (X-Request-Id) shared by the gateway and secretsd")
	fs.StringVar(&f.text, "text", "", "free text in the event, case-insensitive")
	fs.StringVar(&f.writer, "writer", "", "only the events of this writer (e.g. secretsd-host1)")
}

// filter builds the client's filter, reading times relative to now.
func (f *auditFilterFlags) filter(now time.Time) (client.AuditFilter, error) {
	from, err := parseWhen("--from", f.from, now)
	if err != nil {
		return client.AuditFilter{}, err
	}
	to, err := parseWhen("--to", f.to, now)
	if err != nil {
		return client.AuditFilter{}, err
	}
	return client.AuditFilter{From: from, To: to, Actions: f.actions, Outcome: f.outcome, Actors: f.actors,
		ActorUsers: f.users, Sources: f.sources, Resource: f.resource, RequestID: f.requestID, Text: f.text, Writer: f.writer}, nil
}

// parseWhen reads a time: RFC 3339, a date (midnight UTC), or a duration
// before now.
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time (2006-01-02T15:04:05Z), a date (2006-01-02) or a duration ago (24h)", flag, s)
}
