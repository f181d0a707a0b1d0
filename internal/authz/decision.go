package authz

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strings"
)

// Decision is the outcome of authorizing one request. It is put in the request
// context for later handlers (audit) and logged by id.
type Decision struct {
	// ID identifies the decision in logs, audit events and the 403 body: 128
	// random bits in hex.
	ID string
	// Allowed is true only when a permit policy matched, no forbid policy
	// matched and no policy failed to evaluate.
	Allowed bool
	// Action is the action the request was mapped to, e.g. "read" (the
	// entity Portcullis::Action::"read"); empty when none applies.
	Action string
	// Resource is the resource entity, e.g. Portcullis::Resource::"/api/x".
	Resource string
	// Policies are the ids of the determining policies: the permits that
	// allowed, or the forbids that denied (empty for a default deny).
	Policies []string
	// Errors explains evaluation failures (each one denies the request).
	Errors []string
	// Shadow is the candidate policy set's opinion when shadow mode is on.
	Shadow *ShadowResult
}

// ShadowResult is what the candidate (shadow) policy set would have decided.
type ShadowResult struct {
	Allowed  bool
	Policies []string
	Errors   []string
	// Disagrees is true when the shadow decision differs from the enforced one.
	Disagrees bool
}

// Outcome is "allow" or "deny", the value of the decision placeholder.
func (d *Decision) Outcome() string {
	if d != nil && d.Allowed {
		return "allow"
	}
	return "deny"
}

// PolicyList is the determining policy ids, comma-separated.
func (d *Decision) PolicyList() string { return strings.Join(d.Policies, ",") }

// ErrorList is the evaluation errors, joined with "; ".
func (d *Decision) ErrorList() string { return strings.Join(d.Errors, "; ") }

type decisionKey struct{}

// WithDecision returns ctx carrying d.
func WithDecision(ctx context.Context, d *Decision) context.Context {
	return context.WithValue(ctx, decisionKey{}, d)
}

// DecisionFromContext returns the decision cedar_authz stored, if any.
func DecisionFromContext(ctx context.Context) (*Decision, bool) {
	d, ok := ctx.Value(decisionKey{}).(*Decision)
	return d, ok && d != nil
}

// newDecisionID returns 128 random bits in hex. The id names a decision; it
// grants nothing, so math/rand/v2's generator (the runtime's per-thread
// ChaCha8, seeded from the OS) is unpredictable enough and, unlike a
// crypto/rand system call per request, costs a few nanoseconds.
func newDecisionID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}
