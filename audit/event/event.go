package event

import (
	"time"

	"github.com/portcullis/portcullis/internal/clock"
)

// ECSVersion is the Elastic Common Schema version the events follow.
const ECSVersion = "8.11"

// Outcome is ECS event.outcome: whether the action succeeded.
type Outcome string

// The ECS event.outcome values.
const (
	Success Outcome = "success"
	Failure Outcome = "failure"
	Unknown Outcome = "unknown"
)

// Event kinds (ECS event.kind) that Portcullis writes. Most records are "event";
// "alert" marks a detection such as refresh-token reuse.
const (
	KindEvent = "event"
	KindAlert = "alert"
)

// Event is one audit record. Field order here is the order in the JSON written to
// the trail; do not reorder fields, hashes and exports depend on it.
type Event struct {
	// Timestamp is when the action happened, in UTC.
	Timestamp time.Time `json:"@timestamp"`
	ECS       ECS       `json:"ecs"`
	Event     Fields    `json:"event"`
	User      *User     `json:"user,omitempty"`
	Source    *Source   `json:"source,omitempty"`
	HTTP      *HTTP     `json:"http,omitempty"`
	URL       *URL      `json:"url,omitempty"`
	// Portcullis holds the product fields, under one namespace so they never
	// collide with a future ECS field.
	Portcullis *Product `json:"portcullis,omitempty"`
}

// ECS is the ecs.* field set.
type ECS struct {
	Version string `json:"version"`
}

// Fields is the ECS event.* field set.
type Fields struct {
	// ID is unique per event: a UUIDv7, so ids sort by time.
	ID string `json:"id,omitempty"`
	// Code is the catalogue's numeric code for this action and outcome, as the
	// ECS keyword event.code.
	Code     string   `json:"code,omitempty"`
	Kind     string   `json:"kind"`
	Category []string `json:"category"`
	Type     []string `json:"type"`
	Action   string   `json:"action"`
	Outcome  Outcome  `json:"outcome"`
	// Reason says why, for a failure or a denial (never a secret).
	Reason string `json:"reason,omitempty"`
	// Duration is in nanoseconds, as ECS requires.
	Duration int64 `json:"duration,omitempty"`
}

// User is the ECS user.* field set. ID and Name are pseudonymised before writing.
type User struct {
	ID    string   `json:"id,omitempty"`
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles,omitempty"`
}

// Source is the ECS source.* field set. IP is truncated before writing.
type Source struct {
	IP      string `json:"ip,omitempty"`
	Address string `json:"address,omitempty"`
}

// HTTP is the ECS http.* field set.
type HTTP struct {
	Request  *HTTPRequest  `json:"request,omitempty"`
	Response *HTTPResponse `json:"response,omitempty"`
}

// HTTPRequest is http.request.*.
type HTTPRequest struct {
	Method string `json:"method,omitempty"`
}

// HTTPResponse is http.response.*.
type HTTPResponse struct {
	StatusCode int       `json:"status_code,omitempty"`
	Body       *HTTPBody `json:"body,omitempty"`
}

// HTTPBody is http.response.body.*.
type HTTPBody struct {
	Bytes int64 `json:"bytes"`
}

// URL is the ECS url.* field set. Only the path: query strings may carry secrets.
type URL struct {
	Path string `json:"path,omitempty"`
}

// Product is the portcullis.* namespace.
type Product struct {
	// RequestID follows one user action from the gateway to the upstream and secretsd.
	RequestID  string   `json:"request_id,omitempty"`
	SessionID  string   `json:"session_id,omitempty"`
	TokenID    string   `json:"token_id,omitempty"`
	DecisionID string   `json:"decision_id,omitempty"`
	PolicyIDs  []string `json:"policy_ids,omitempty"`
	// SourceIPHash is the keyed hash of the full source address, so that one
	// address can be found although source.ip is truncated.
	SourceIPHash string     `json:"source_ip_hash,omitempty"`
	RateLimit    *RateLimit `json:"rate_limit,omitempty"`
	MFA          *MFA       `json:"mfa,omitempty"`
	Resource     *Resource  `json:"resource,omitempty"`
	// Personal holds the personal values that must stay readable later (the
	// user's name, the full source address), sealed with a key of the
	// subject's own (package audit/shred), so deleting that key erases them
	// without touching the chained bytes. Format: see shred.Seal.
	Personal string `json:"personal,omitempty"`
	// Details carries action-specific values. Map keys are encoded sorted, so the
	// bytes stay deterministic. Never put a secret here.
	Details map[string]string `json:"details,omitempty"`
}

// RateLimit is the rate limiter's verdict for the request.
type RateLimit struct {
	Zone      string `json:"zone,omitempty"`
	Limit     int64  `json:"limit"`
	Remaining int64  `json:"remaining"`
	// RetryAfterMS is how long the client was told to wait, in milliseconds.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
}

// MFA is the multi-factor state of the subject at the time of the action.
type MFA struct {
	Method   string `json:"method,omitempty"`
	Verified bool   `json:"verified"`
}

// Resource is what the action was about (a secret path, a policy file, a user).
type Resource struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id,omitempty"`
}

// New starts an event for action with outcome at the clock's current time: the
// ECS header, id, code, category and type are filled from the catalogue; the
// caller adds user, source, http and product fields.
func New(action Action, outcome Outcome, clk clock.Clock) Event {
	now := clk.Now().UTC()
	kind := action.Kind
	if kind == "" {
		kind = KindEvent
	}
	return Event{
		Timestamp: now,
		ECS:       ECS{Version: ECSVersion},
		Event: Fields{
			ID:       newID(now),
			Code:     action.CodeFor(outcome),
			Kind:     kind,
			Category: append([]string(nil), action.Category...),
			Type:     append([]string(nil), action.Type...),
			Action:   action.Name,
			Outcome:  outcome,
		},
	}
}
