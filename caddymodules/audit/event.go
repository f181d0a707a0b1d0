package audit

import (
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/clock"
)

// Reasons of a failure that no gateway handler denied.
const (
	ReasonHandlerError  = "handler_error"  // a handler (e.g. reverse_proxy) returned an error
	ReasonUpstreamError = "upstream_error" // the upstream answered 5xx
	ReasonClientError   = "client_error"   // the upstream answered 4xx
)

// buildEvent is the gateway.request event of one request: success below
// 400, failure from 400 on.
func buildEvent(rep *auditreport.Report, r *http.Request, ip string, status int, bytes int64, took time.Duration, handlerErr bool) *event.Event {
	outcome := event.Success
	if status >= 400 {
		outcome = event.Failure
	}
	e := new(event.Event)
	*e = event.New(event.GatewayRequest, outcome, clock.System)
	e.Event.Duration = took.Nanoseconds()
	if outcome == event.Failure {
		e.Event.Reason = failureReason(rep, status, handlerErr)
	}
	p := &event.Product{RequestID: rep.RequestID}
	if a := rep.Auth; a != nil && a.Subject != "" {
		e.User = &event.User{ID: a.Subject}
		if a.Role != "" {
			e.User.Roles = []string{a.Role}
		}
		p.SessionID, p.TokenID = a.SessionID, a.TokenID
	}
	if ip != "" {
		e.Source = &event.Source{IP: ip}
	}
	e.HTTP = &event.HTTP{
		Request:  &event.HTTPRequest{Method: r.Method},
		Response: &event.HTTPResponse{StatusCode: status, Body: &event.HTTPBody{Bytes: bytes}},
	}
	// The path as the client sent it (before any rewrite), never the query:
	// query strings may carry secrets.
	path := r.URL.Path
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.URL != nil {
		path = or.URL.Path
	}
	e.URL = &event.URL{Path: path}
	if z := rep.Authz; z != nil {
		p.DecisionID, p.PolicyIDs = z.DecisionID, z.PolicyIDs
	}
	if rl := rep.RateLimit; rl != nil {
		p.RateLimit = &event.RateLimit{Zone: rl.Zone, Limit: rl.Limit, Remaining: rl.Remaining, RetryAfterMS: rl.RetryAfterMS}
	}
	if a := rep.Auth; a != nil && a.Subject != "" {
		p.MFA = &event.MFA{Method: mfaMethod(a.AMR), Verified: a.MFA}
	}
	p.Details = details(rep)
	e.Portcullis = p
	return e
}

// failureReason is the first denying handler's reason, else what the status says.
func failureReason(rep *auditreport.Report, status int, handlerErr bool) string {
	switch {
	case rep.Reason != "":
		return rep.Reason
	case handlerErr:
		return ReasonHandlerError
	case status >= 500:
		return ReasonUpstreamError
	}
	return ReasonClientError
}

// mfaMethod is the last amr value, by RFC 8176 convention the factor added
// last (e.g. "otp" in ["pwd", "otp"]).
func mfaMethod(amr []string) string {
	if len(amr) == 0 {
		return ""
	}
	return amr[len(amr)-1]
}

// details carries the verdicts that have no ECS or product field.
func details(rep *auditreport.Report) map[string]string {
	if rep.DeniedBy == "" && rep.Auth == nil && rep.StepUp == nil && rep.Authz == nil && rep.RateLimit == nil {
		return nil
	}
	d := make(map[string]string, 6)
	if rep.DeniedBy != "" {
		d["denied_by"] = rep.DeniedBy
	}
	if rep.RateLimit != nil && rep.RateLimit.Limited {
		d["rate_limited"] = "true"
	}
	if rep.Auth != nil {
		d["auth"] = rep.Auth.Outcome
	}
	if s := rep.StepUp; s != nil {
		d["step_up"] = s.Outcome
	}
	if z := rep.Authz; z != nil {
		d["authz"] = "deny"
		if z.Allowed {
			d["authz"] = "allow"
		}
		if z.Shadow != "" {
			d["authz_shadow"] = z.Shadow
		}
	}
	return d
}
