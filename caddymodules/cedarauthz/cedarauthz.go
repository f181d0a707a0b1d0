// Package cedarauthz is the `cedar_authz` Caddy handler: it authorizes every
// request with Cedar policies (internal/authz) for the principal that
// jwt_auth verified, and answers 403 with a JSON body carrying the decision
// id when the policies do not allow it. The decision is put in the request
// context (authz.DecisionFromContext) and in placeholders for the audit
// handler:
//
//	{http.portcullis.authz.decision}     allow | deny
//	{http.portcullis.authz.decision_id}  128-bit hex id, also in the 403 body and logs
//	{http.portcullis.authz.policies}     determining policy ids, comma-separated
//	{http.portcullis.authz.errors}       evaluation errors (each one denies)
//	{http.portcullis.authz.action}       the action, e.g. read
//	{http.portcullis.authz.resource}     the resource entity, e.g. Portcullis::Resource::"/api/x"
//	{http.portcullis.authz.shadow}       the shadow set's decision (allow | deny), when shadow is on
//
// A request without a principal (jwt_auth not in front of the route) is
// answered 401 with `WWW-Authenticate: Bearer realm="portcullis"` rather
// than 403: the caller is not known, so the RFC 6750 §3 challenge to
// authenticate is the actionable answer, and it is never a pass.
//
// Caddyfile:
//
//	cedar_authz {
//	    policies    ./policies             # directory: one *.cedarschema + *.cedar files (default ./policies)
//	    schema      ./policies/portcullis.cedarschema  # default: the directory's *.cedarschema
//	    files       production.cedar admin.cedar       # subset of the directory (default: all *.cedar)
//	    environment production             # context.environment (default production)
//	    action      POST /api/deployments/*/deploy deploy   # <methods|*> <path> <action>, first match wins
//	    action      *    /api/admin/users*  manage_users     # (default: GET/HEAD/OPTIONS read, POST/PUT/PATCH write, DELETE delete)
//	    resource    /api/teams/{team}/{kind}/{id}           # path templates, first match wins
//	    resource    /v1/deploy/{id} deployments             # optional fixed kind when there is no {kind}
//	    shadow      ./policies-candidate   # directory, or candidate *.cedar files (validated against the schema)
//	    reload_interval 2s                 # how often the files are checked; 0 or off disables (default 2s)
//	    mfa_methods otp hwk webauthn       # amr values that set context.mfa (default: mfa otp hwk swk fido webauthn sms)
//	    time_zone   Europe/Helsinki        # zone of context.hour/weekday (default UTC)
//	}
//
// When the portcullis app has an audit block, every policy set is recorded
// in the trail (policy.reload, durably) before it takes effect: at start a
// set that cannot be recorded makes provisioning fail, on a hot reload the
// previous set stays in force and the change is tried again at the next
// check. Rejected sets are recorded as failures.
//
// Policies are validated against the schema at start (an invalid set makes
// Caddy refuse to start and `caddy validate` fail, naming file:line) and on
// every change of the files (an invalid new set is logged and rejected; the
// previous one stays in force). Relative paths are relative to Caddy's
// working directory.
package cedarauthz

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/caddymodules/security"
	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/internal/principal"
)

func init() {
	caddy.RegisterModule(CedarAuthz{})
}

// DefaultPolicyDir is where policies are read from when neither a directory
// nor a schema is configured.
const DefaultPolicyDir = "./policies"

// DefaultEnvironment is context.environment when none is configured: the
// strictest set of rules.
const DefaultEnvironment = "production"

// CedarAuthz authorizes requests with Cedar policies.
type CedarAuthz struct {
	// PolicyDir is the directory holding the schema (*.cedarschema) and the
	// policy files (*.cedar). Default: ./policies (unless Schema and Files
	// name the files directly).
	PolicyDir string `json:"policies,omitempty"`

	// Schema is the Cedar schema file. Default: the only *.cedarschema file
	// in PolicyDir.
	Schema string `json:"schema,omitempty"`

	// Files are the policy files, relative to PolicyDir when it is set.
	// Default: every *.cedar file in PolicyDir.
	Files []string `json:"files,omitempty"`

	// Environment is the value of context.environment, which the shipped
	// policies use to select production or development rules. Default:
	// production.
	Environment string `json:"environment,omitempty"`

	// Actions map requests to Cedar actions by method and path, first match
	// first, before the method defaults (GET/HEAD/OPTIONS read,
	// POST/PUT/PATCH write, DELETE delete). Every action must be declared in
	// the schema. Default: none.
	Actions []ActionRule `json:"actions,omitempty"`

	// Resources are the path templates that map request paths to
	// Portcullis::Resource entities, first match first; an unmatched path
	// is a Portcullis::Path. Default: authz.DefaultTemplates
	// (/api/teams/{team}/{kind}/{id}/..., /api/{kind}/{id}/...).
	Resources []ResourceTemplate `json:"resources,omitempty"`

	// Shadow names a candidate policy set evaluated on live traffic without
	// being enforced: one directory, or policy files validated against the
	// enforced schema. Disagreements are logged and counted. Default: off.
	Shadow []string `json:"shadow,omitempty"`

	// ReloadInterval is how often the policy files are checked for changes.
	// Default: 2s. A negative value disables hot reload.
	ReloadInterval caddy.Duration `json:"reload_interval,omitempty"`

	// MFAMethods are the amr values (RFC 8176) that set context.mfa.
	// Default: mfa, otp, hwk, swk, fido, webauthn, sms.
	MFAMethods []string `json:"mfa_methods,omitempty"`

	// TimeZone is the IANA zone of context.hour and context.weekday.
	// Default: UTC.
	TimeZone string `json:"time_zone,omitempty"`

	authorizer *authz.Authorizer
	logger     *zap.Logger
	metrics    *metrics
}

// ActionRule maps requests to an action.
type ActionRule struct {
	// Methods the rule applies to; empty means any.
	Methods []string `json:"methods,omitempty"`
	// Path is an exact path, a prefix ending in * or a path.Match pattern.
	Path string `json:"path"`
	// Action is the Cedar action name (Portcullis::Action::"<name>").
	Action string `json:"action"`
}

// ResourceTemplate maps paths to resources.
type ResourceTemplate struct {
	// Template is the path pattern, e.g. /api/{kind}/{id}.
	Template string `json:"template"`
	// Kind is the fixed kind of the resources it matches when the template
	// has no {kind} variable. Default: none.
	Kind string `json:"kind,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (CedarAuthz) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.cedar_authz",
		New: func() caddy.Module { return new(CedarAuthz) },
	}
}

// config translates the JSON configuration into the engine's.
func (c *CedarAuthz) config() (authz.Config, error) {
	cfg := authz.Config{
		Policies:       authz.Source{Dir: c.PolicyDir, Schema: c.Schema, Files: c.Files},
		Environment:    c.Environment,
		MFAMethods:     c.MFAMethods,
		ReloadInterval: time.Duration(c.ReloadInterval),
	}
	if cfg.Policies.Dir == "" && cfg.Policies.Schema == "" {
		cfg.Policies.Dir = DefaultPolicyDir
	}
	if cfg.Environment == "" {
		cfg.Environment = DefaultEnvironment
	}
	for _, r := range c.Actions {
		rule := authz.ActionRule{Methods: r.Methods, Path: r.Path, Action: r.Action}
		if err := rule.Validate(); err != nil {
			return cfg, err
		}
		cfg.ActionRules = append(cfg.ActionRules, rule)
	}
	for _, r := range c.Resources {
		t, err := authz.ParseTemplate(r.Template, r.Kind)
		if err != nil {
			return cfg, err
		}
		cfg.Templates = append(cfg.Templates, t)
	}
	if c.TimeZone != "" {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return cfg, fmt.Errorf("time_zone %q: %w", c.TimeZone, err)
		}
		cfg.Location = loc
	}
	switch {
	case len(c.Shadow) == 1 && !strings.HasSuffix(c.Shadow[0], ".cedar"):
		cfg.Shadow = &authz.Source{Dir: c.Shadow[0]}
	case len(c.Shadow) > 0:
		cfg.Shadow = &authz.Source{Files: c.Shadow}
	}
	return cfg, nil
}

// Provision loads, validates and indexes the policies, and starts watching
// their files.
func (c *CedarAuthz) Provision(ctx caddy.Context) error {
	c.logger = ctx.Logger()
	cfg, err := c.config()
	if err != nil {
		return fmt.Errorf("cedar_authz: %w", err)
	}
	var reg prometheus.Registerer
	if r := ctx.GetMetricsRegistry(); r != nil {
		reg = r
	}
	c.metrics = registerMetrics(reg)
	cfg.Logger = c.logger
	cfg.ShadowDisagreements = c.metrics.shadowDisagreements
	cfg.ReloadFailures = c.metrics.reloadFailures
	sink, _, err := security.AuditSinkFromContext(ctx)
	if err != nil {
		return fmt.Errorf("cedar_authz: %w", err)
	}
	if sink != nil {
		cfg.OnReload = reloadRecorder(sink)
	}
	a, err := authz.New(cfg)
	if err != nil {
		return fmt.Errorf("cedar_authz: %w", err)
	}
	c.authorizer = a
	a.Start()
	set := a.Policies()
	c.logger.Info("cedar policies loaded",
		zap.Strings("files", set.Files()),
		zap.Int("policies", set.Len()),
		zap.String("environment", cfg.Environment),
		zap.Bool("shadow", cfg.Shadow != nil))
	return nil
}

// Cleanup stops watching the policy files.
func (c *CedarAuthz) Cleanup() error {
	if c.authorizer != nil {
		c.authorizer.Close(true)
	}
	return nil
}

// Authorizer returns the engine (for tests and benchmarks).
func (c *CedarAuthz) Authorizer() *authz.Authorizer { return c.authorizer }

// ServeHTTP passes the request on only when the policies allow it.
func (c *CedarAuthz) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	p, _ := principal.FromContext(r.Context())
	d := c.authorizer.Authorize(authz.Request{
		Principal:   p,
		Method:      r.Method,
		Path:        r.URL.Path,
		EscapedPath: r.URL.EscapedPath(),
		SourceIP:    clientIP(r),
	})
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.portcullis.authz.decision", d.Outcome())
		repl.Set("http.portcullis.authz.decision_id", d.ID)
		repl.Set("http.portcullis.authz.policies", d.PolicyList())
		repl.Set("http.portcullis.authz.errors", d.ErrorList())
		repl.Set("http.portcullis.authz.action", d.Action)
		repl.Set("http.portcullis.authz.resource", d.Resource)
		if d.Shadow != nil {
			repl.Set("http.portcullis.authz.shadow", outcome(d.Shadow.Allowed))
		}
	}
	c.metrics.decisions.WithLabelValues(d.Outcome()).Inc()
	if rep := auditreport.FromContext(r.Context()); rep != nil {
		report(rep, d, p != nil)
	}
	r = r.WithContext(authz.WithDecision(r.Context(), d))
	if d.Allowed {
		return next.ServeHTTP(w, r)
	}
	details := map[string]any{"decision_id": d.ID}
	if p == nil {
		// jwt_auth did not run before us: a configuration error, and never a pass.
		w.Header().Set("WWW-Authenticate", `Bearer realm="portcullis"`)
		return httperr.Write(w, httperr.Body{Status: http.StatusUnauthorized, Code: "unauthenticated",
			Message: "an authenticated user is required", Details: details})
	}
	if len(d.Errors) > 0 {
		c.logger.Warn("cedar authorization failed to evaluate; denied",
			zap.String("decision_id", d.ID), zap.Strings("errors", d.Errors))
	}
	// The policy ids are not disclosed to the client: they describe the
	// rule set. The decision id lets an operator find them in the logs.
	return httperr.Write(w, httperr.Body{Status: http.StatusForbidden, Code: "access_denied",
		Message: "the access policy does not allow this request", Details: details})
}

// report tells the audit handler the decision.
func report(rep *auditreport.Report, d *authz.Decision, authenticated bool) {
	a := &auditreport.Authz{Allowed: d.Allowed, DecisionID: d.ID, PolicyIDs: d.Policies}
	if d.Shadow != nil {
		a.Shadow = outcome(d.Shadow.Allowed)
	}
	rep.Authz = a
	switch {
	case d.Allowed:
	case !authenticated:
		rep.Deny("cedar_authz", auditreport.ReasonUnauthenticated)
	default:
		rep.Deny("cedar_authz", auditreport.ReasonForbidden)
	}
}

func outcome(allowed bool) string {
	if allowed {
		return "allow"
	}
	return "deny"
}

// clientIP is Caddy's client IP (which honours trusted_proxies), else the
// connection's peer.
func clientIP(r *http.Request) netip.Addr {
	s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	if s == "" {
		s = r.RemoteAddr
		if host, _, err := net.SplitHostPort(s); err == nil {
			s = host
		}
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return ip.WithZone("")
}

var (
	_ caddy.Provisioner           = (*CedarAuthz)(nil)
	_ caddy.CleanerUpper          = (*CedarAuthz)(nil)
	_ caddyhttp.MiddlewareHandler = (*CedarAuthz)(nil)
)
