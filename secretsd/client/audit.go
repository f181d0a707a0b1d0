package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The audit trail of API.md; the bearer must be an Auditor or an Admin
// (retention and erasure: an Admin), logged in (not an API token).

// MaxAuditPageBytes bounds one page of GET /v1/audit/events (1000 events).
const MaxAuditPageBytes = 64 << 20

// AuditFilter selects audit events; zero fields do not filter.
type AuditFilter struct {
	From, To time.Time // @timestamp in [From, To)
	Actions  []string  // event.action, any of
	Outcome  string    // success, failure or unknown
	// Actors are user.id pseudonyms; ActorUsers raw user ids, which the
	// server turns into their pseudonyms.
	Actors     []string
	ActorUsers []string
	// Sources are truncated addresses or address hashes; a full IP address
	// also matches its hash.
	Sources   []string
	Resource  string
	RequestID string
	Text      string // free text, case-insensitive
	Writer    string
}

// Values is the filter as query parameters.
func (f AuditFilter) Values() url.Values {
	q := url.Values{}
	if !f.From.IsZero() {
		q.Set("from", f.From.UTC().Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.UTC().Format(time.RFC3339Nano))
	}
	add := func(k string, vs []string) {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	add("action", f.Actions)
	add("actor", f.Actors)
	add("actor_user", f.ActorUsers)
	add("source", f.Sources)
	for k, v := range map[string]string{"outcome": f.Outcome, "resource": f.Resource, "request_id": f.RequestID, "q": f.Text, "writer": f.Writer} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// AuditRecord is one event of the trail: where it was written and the
// ECS event itself.
type AuditRecord struct {
	Writer string          `json:"writer"`
	Class  string          `json:"class"`
	Seq    uint64          `json:"seq"`
	Time   time.Time       `json:"time"`
	Event  json.RawMessage `json:"event"`
}

// AuditPage is one page of events, newest first.
type AuditPage struct {
	Events     []AuditRecord `json:"events"`
	NextCursor string        `json:"next_cursor"`
}

// AuditEvents returns one page of matching events (limit 0: the server's
// default). Pass the page's NextCursor to get the next one.
func (c *Client) AuditEvents(ctx context.Context, f AuditFilter, cursor string, limit int) (AuditPage, error) {
	q := f.Values()
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var page AuditPage
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/audit/events", query: q, want: http.StatusOK, out: &page, maxBytes: MaxAuditPageBytes})
	return page, err
}

// AuditExport streams every matching event in format (json, jsonl, csv,
// hec or ecs) to w and returns the bytes written. The client's timeout
// bounds the wait for the answer to start, not the transfer; ctx bounds both.
func (c *Client) AuditExport(ctx context.Context, f AuditFilter, format string, w io.Writer) (int64, error) {
	q := f.Values()
	q.Set("format", format)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.AfterFunc(c.timeout, cancel)
	k := call{method: http.MethodGet, path: "/v1/audit/export", query: q}
	resp, id, err := c.open(ctx, k)
	stopped := timer.Stop()
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if !stopped {
		return 0, fmt.Errorf("GET /v1/audit/export: no answer within %s", c.timeout)
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
		return 0, responseError(resp, raw, id)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("GET /v1/audit/export: the export was cut after %d bytes: %w", n, err)
	}
	return n, nil
}

// AuditChainReport is the verification of one chain.
type AuditChainReport struct {
	Writer      string  `json:"writer"`
	Class       string  `json:"class"`
	Intact      bool    `json:"intact"`
	Segments    int     `json:"segments"`
	Records     uint64  `json:"records"`
	Checkpoints int     `json:"checkpoints"`
	LastSeq     uint64  `json:"last_seq"`
	Unsealed    uint64  `json:"unsealed"`
	AnchorSeq   *uint64 `json:"anchor_seq,omitempty"`
	Problem     *struct {
		Kind   string `json:"kind"`
		Seq    uint64 `json:"seq"`
		File   string `json:"file,omitempty"`
		Line   int    `json:"line,omitempty"`
		Detail string `json:"detail,omitempty"`
		Error  string `json:"error"`
	} `json:"problem,omitempty"`
}

// AuditVerification is the verification of every chain of the trail.
type AuditVerification struct {
	Intact bool               `json:"intact"`
	Chains []AuditChainReport `json:"chains"`
}

// AuditVerify checks every chain and checkpoint of the trail.
func (c *Client) AuditVerify(ctx context.Context) (AuditVerification, error) {
	var v AuditVerification
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/audit/verify", want: http.StatusOK, out: &v, maxBytes: MaxAuditPageBytes})
	return v, err
}

// AuditHash returns the pseudonyms value has as field (user.id, user.name,
// user.email, source.ip, source.address) under every key, active key first.
func (c *Client) AuditHash(ctx context.Context, field, value string) ([]string, error) {
	var res struct {
		Pseudonyms []string `json:"pseudonyms"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/audit/hash", want: http.StatusOK, out: &res,
		body: map[string]string{"field": field, "value": value}})
	return res.Pseudonyms, err
}

// LegalHold stops retention from deleting the events of its period.
type LegalHold struct {
	ID        string    `json:"id"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	From      time.Time `json:"from,omitzero"`
	To        time.Time `json:"to,omitzero"`
}

// LegalHolds lists the holds, oldest first.
func (c *Client) LegalHolds(ctx context.Context) ([]LegalHold, error) {
	var res struct {
		Holds []LegalHold `json:"holds"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/audit/holds", want: http.StatusOK, out: &res})
	return res.Holds, err
}

// PlaceLegalHold places a hold over [from, to] (zero: unbounded).
func (c *Client) PlaceLegalHold(ctx context.Context, reason string, from, to time.Time) (LegalHold, error) {
	body := struct {
		Reason string    `json:"reason"`
		From   time.Time `json:"from,omitzero"`
		To     time.Time `json:"to,omitzero"`
	}{reason, from, to}
	var res struct {
		Hold LegalHold `json:"hold"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/audit/holds", want: http.StatusCreated, body: body, out: &res})
	return res.Hold, err
}

// ReleaseLegalHold removes a hold.
func (c *Client) ReleaseLegalHold(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/audit/holds/" + url.PathEscape(id), want: http.StatusNoContent})
}

// RetentionSegment is one segment retention deleted.
type RetentionSegment struct {
	Num      int       `json:"num"`
	FirstSeq uint64    `json:"first_seq"`
	LastSeq  uint64    `json:"last_seq"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}

// RetentionResult is what retention did to one chain.
type RetentionResult struct {
	Class   string             `json:"class"`
	Deleted []RetentionSegment `json:"deleted"`
	Held    int                `json:"held"`
}

// RunRetention applies retention to the server's chains now (Admin).
func (c *Client) RunRetention(ctx context.Context) ([]RetentionResult, error) {
	var res struct {
		Chains []RetentionResult `json:"chains"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/audit/retention", want: http.StatusOK, out: &res})
	return res.Chains, err
}

// EraseAuditSubject crypto-shreds a user's personal values in the trail
// (Admin); erased is false when the user had none.
func (c *Client) EraseAuditSubject(ctx context.Context, userID string) (erased bool, err error) {
	var res struct {
		Erased bool `json:"erased"`
	}
	err = c.do(ctx, call{method: http.MethodDelete, path: "/v1/audit/subjects/" + url.PathEscape(userID) + "/key", want: http.StatusOK, out: &res})
	return res.Erased, err
}
