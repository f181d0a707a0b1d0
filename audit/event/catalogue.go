package event

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The catalogue is closed: only actions defined below may be written. Adding one
// is one line in the table at the bottom of this file; its codes are stable
// forever (exports, SIEM rules and compliance evidence refer to them), so never
// renumber or reuse a code, only add.
//
// Code ranges: 1xxx authentication, 2xxx tokens, 3xxx MFA devices, 4xxx
// authorization and rate limits, 5xxx gateway, 6xxx policy and keys, 7xxx user
// administration, 8xxx secrets and SSH, 9xxx break-glass, 10xxx compliance,
// 11xxx the audit trail itself. Within a range the success code is odd and the
// failure code is the next even number.

// Retention is the class an event is kept under. Each class is its own hash
// chain, so expiring one never breaks another.
type Retention string

// The retention classes.
const (
	// Standard events are kept 365 days by default.
	Standard Retention = "standard"
	// BreakGlassRetention events are kept 7 years, counted by calendar date.
	BreakGlassRetention Retention = "break_glass"
)

// ExpiresAt is when an event written at t may be deleted under the class's
// default period (the store may configure longer). Calendar arithmetic, so that
// "7 years" is 7 years whatever the leap days.
func (r Retention) ExpiresAt(t time.Time) time.Time {
	if r == BreakGlassRetention {
		return t.AddDate(7, 0, 0)
	}
	return t.AddDate(0, 0, 365)
}

// flags are the yes/no properties of an action in the table.
type flags uint8

const (
	// ordinary: a per-request event, written through the bounded queue.
	ordinary flags = 0
	// privileged: the event must be durable before the action takes effect, and
	// the action fails if it cannot be written (DESIGN.md, security invariants).
	privileged flags = 1 << iota
	// alert: the event is a detection (ECS event.kind "alert").
	alert
)

// Action is one entry of the catalogue.
type Action struct {
	// Name is the stable ECS event.action, e.g. "auth.login".
	Name string
	// SuccessCode and FailureCode are the stable event.code values for the two
	// outcomes; they differ from each other and from every other action's.
	SuccessCode int
	FailureCode int
	// Category and Type are the ECS event.category and event.type lists.
	Category []string
	Type     []string
	// Kind is the ECS event.kind, "event" or "alert".
	Kind string
	// Retention is the class the event is kept under.
	Retention Retention
	// Privileged actions are written durably before they take effect.
	Privileged bool
}

// CodeFor returns event.code for outcome: the success or failure code, or ""
// when the outcome is unknown.
func (a Action) CodeFor(o Outcome) string {
	switch o {
	case Success:
		return strconv.Itoa(a.SuccessCode)
	case Failure:
		return strconv.Itoa(a.FailureCode)
	}
	return ""
}

var byName = map[string]Action{}

func def(name string, success, failure int, category, typ []string, r Retention, f flags) Action {
	if _, dup := byName[name]; dup {
		panic(fmt.Sprintf("audit event catalogue: action %q defined twice", name))
	}
	a := Action{Name: name, SuccessCode: success, FailureCode: failure,
		Category: category, Type: typ, Kind: KindEvent, Retention: r, Privileged: f&privileged != 0}
	if f&alert != 0 {
		a.Kind = KindAlert
	}
	byName[name] = a
	return a
}

// Lookup returns the action named name, and false if it is not in the catalogue.
func Lookup(name string) (Action, bool) {
	a, ok := byName[name]
	return a.clone(), ok
}

// clone copies the lists so that a caller cannot change the catalogue.
func (a Action) clone() Action {
	a.Category = slices.Clone(a.Category)
	a.Type = slices.Clone(a.Type)
	return a
}

// Actions returns the whole catalogue ordered by success code.
func Actions() []Action {
	out := make([]Action, 0, len(byName))
	for _, a := range byName {
		out = append(out, a.clone())
	}
	slices.SortFunc(out, func(a, b Action) int { return a.SuccessCode - b.SuccessCode })
	return out
}

// Shorthands for the ECS allowed values used in the table (ECS 8.11,
// event.category and event.type).
var (
	authn    = []string{"authentication"}
	authnSes = []string{"authentication", "session"}
	session  = []string{"session"}
	iam      = []string{"iam"}
	config   = []string{"configuration"}
	network  = []string{"network"}
	web      = []string{"web"}
	file     = []string{"file"}
	database = []string{"database"}
	intrude  = []string{"authentication", "intrusion_detection"}

	start    = []string{"start"}
	end      = []string{"end"}
	info     = []string{"info"}
	access   = []string{"access"}
	change   = []string{"change"}
	creation = []string{"creation"}
	deletion = []string{"deletion"}
	denied   = []string{"denied"}
	userNew  = []string{"user", "creation"}
	userMod  = []string{"user", "change"}
	admin    = []string{"admin", "change"}
	adminNew = []string{"admin", "creation"}
	adminDel = []string{"admin", "deletion"}
	adminOn  = []string{"start", "admin"}
)

// The catalogue: one line per action.
var (
	AuthLogin              = def("auth.login", 1001, 1002, authnSes, start, Standard, ordinary)
	AuthLogout             = def("auth.logout", 1003, 1004, authnSes, end, Standard, ordinary)
	AuthMFAChallenge       = def("auth.mfa.challenge", 1005, 1006, authn, start, Standard, ordinary)
	AuthMFAVerify          = def("auth.mfa.verify", 1007, 1008, authn, info, Standard, ordinary)
	AuthMFATooManyAttempts = def("auth.mfa.too_many_attempts", 1009, 1010, intrude, denied, Standard, alert)
	AuthStepUp             = def("auth.step_up", 1011, 1012, authn, start, Standard, ordinary)

	TokenIssue         = def("token.issue", 2001, 2002, authnSes, start, Standard, ordinary)
	TokenRefresh       = def("token.refresh", 2003, 2004, session, start, Standard, ordinary)
	TokenRefreshReuse  = def("token.refresh.reuse", 2005, 2006, intrude, denied, Standard, alert)
	TokenRevoke        = def("token.revoke", 2007, 2008, session, end, Standard, ordinary)
	TokenRevokeSession = def("token.revoke.session", 2009, 2010, session, end, Standard, ordinary)
	TokenRevokeUser    = def("token.revoke.user", 2011, 2012, session, end, Standard, privileged)
	TokenAPICreate     = def("token.api.create", 2013, 2014, iam, creation, Standard, ordinary)
	TokenAPIRevoke     = def("token.api.revoke", 2015, 2016, iam, deletion, Standard, ordinary)

	MFAEnroll              = def("mfa.enroll", 3001, 3002, iam, creation, Standard, ordinary)
	MFAConfirm             = def("mfa.confirm", 3003, 3004, iam, change, Standard, ordinary)
	MFARemove              = def("mfa.remove", 3005, 3006, iam, deletion, Standard, ordinary)
	MFAReset               = def("mfa.reset", 3007, 3008, iam, adminDel, Standard, privileged)
	MFABackupCodesGenerate = def("mfa.backup_codes.generate", 3009, 3010, iam, creation, Standard, ordinary)
	MFABackupCodeUse       = def("mfa.backup_codes.use", 3011, 3012, authn, info, Standard, ordinary)

	// AuthzDecision: success is "allow", failure is "deny".
	AuthzDecision     = def("authz.decision", 4001, 4002, iam, access, Standard, ordinary)
	RateLimitExceeded = def("ratelimit.exceeded", 4101, 4102, network, denied, Standard, ordinary)

	GatewayRequest = def("gateway.request", 5001, 5002, web, access, Standard, ordinary)

	PolicyChange = def("policy.change", 6001, 6002, config, change, Standard, privileged)
	PolicyReload = def("policy.reload", 6003, 6004, config, change, Standard, privileged)
	KeyRotate    = def("key.rotate", 6101, 6102, config, change, Standard, privileged)

	UserCreate     = def("user.create", 7001, 7002, iam, userNew, Standard, privileged)
	UserUpdate     = def("user.update", 7003, 7004, iam, userMod, Standard, privileged)
	UserDisable    = def("user.disable", 7005, 7006, iam, userMod, Standard, privileged)
	UserEnable     = def("user.enable", 7007, 7008, iam, userMod, Standard, privileged)
	UserRoleChange = def("user.role.change", 7009, 7010, iam, []string{"user", "group", "change"}, Standard, privileged)

	SecretIssue  = def("secret.issue", 8001, 8002, iam, creation, Standard, ordinary)
	SecretRenew  = def("secret.renew", 8003, 8004, iam, change, Standard, ordinary)
	SecretRevoke = def("secret.revoke", 8005, 8006, iam, deletion, Standard, ordinary)
	SSHSign      = def("ssh.sign", 8101, 8102, iam, creation, Standard, ordinary)

	BreakGlassRequest  = def("breakglass.request", 9001, 9002, iam, adminNew, BreakGlassRetention, privileged)
	BreakGlassApprove  = def("breakglass.approve", 9003, 9004, iam, admin, BreakGlassRetention, privileged)
	BreakGlassActivate = def("breakglass.activate", 9005, 9006, session, adminOn, BreakGlassRetention, privileged)
	BreakGlassRevoke   = def("breakglass.revoke", 9007, 9008, session, end, BreakGlassRetention, privileged)
	BreakGlassExpire   = def("breakglass.expire", 9009, 9010, session, end, BreakGlassRetention, privileged)

	ComplianceRequest = def("compliance.request", 10001, 10002, config, access, Standard, ordinary)

	AuditExport    = def("audit.export", 11001, 11002, file, access, Standard, ordinary)
	AuditVerify    = def("audit.verify", 11003, 11004, file, info, Standard, ordinary)
	AuditRetention = def("audit.retention", 11005, 11006, file, deletion, Standard, privileged)
	AuditLegalHold = def("audit.legal_hold", 11007, 11008, config, change, Standard, privileged)
	AuditQuery     = def("audit.query", 11009, 11010, database, access, Standard, ordinary)
	AuditHash      = def("audit.hash", 11011, 11012, database, access, Standard, ordinary)
	AuditErase     = def("audit.erase", 11013, 11014, file, deletion, Standard, privileged)
)
