package auditreport_test

import (
	"context"
	"testing"

	"github.com/portcullis/portcullis/internal/auditreport"
)

func TestTheFirstDenialIsKept(t *testing.T) {
	t.Parallel()
	r := &auditreport.Report{}
	r.Deny("jwt_auth", auditreport.ReasonInvalidToken)
	r.Deny("cedar_authz", auditreport.ReasonForbidden)
	if r.Reason != auditreport.ReasonInvalidToken || r.DeniedBy != "jwt_auth" {
		t.Fatalf("reason %q by %q, want invalid_token by jwt_auth", r.Reason, r.DeniedBy)
	}
}

func TestFromContext(t *testing.T) {
	t.Parallel()
	if got := auditreport.FromContext(context.Background()); got != nil {
		t.Fatalf("no report in a bare context, got %+v", got)
	}
	r := &auditreport.Report{RequestID: "abc"}
	if got := auditreport.FromContext(auditreport.NewContext(context.Background(), r)); got != r {
		t.Fatalf("FromContext = %p, want %p", got, r)
	}
}

// Handlers look the report up on every request: without an audit handler it
// must not allocate.
func TestFromContextWithoutReportDoesNotAllocate(t *testing.T) {
	ctx := context.WithValue(context.Background(), struct{ k int }{1}, "x")
	if n := testing.AllocsPerRun(100, func() { _ = auditreport.FromContext(ctx) }); n != 0 {
		t.Fatalf("FromContext allocates %v times", n)
	}
}
