package authz

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/stepup"
)

// DefaultReloadInterval is how often the policy files are checked for
// changes when Config.ReloadInterval is zero.
const DefaultReloadInterval = 2 * time.Second

// Counter is the part of a Prometheus counter the authorizer uses.
type Counter interface{ Inc() }

// Config configures an Authorizer.
type Config struct {
	// Policies is the enforced policy set.
	Policies Source
	// Shadow, when set, is a candidate policy set evaluated on live traffic
	// but never enforced. Without its own schema it uses the enforced one's.
	Shadow *Source
	// Environment is context.environment, e.g. "production".
	Environment string
	// ActionRules map requests to actions before the method defaults.
	ActionRules []ActionRule
	// Templates map paths to resources; none means DefaultTemplates.
	Templates []Template
	// MFAMethods are the amr values that set context.mfa. Default:
	// stepup.DefaultMethods.
	MFAMethods []string
	// Location is the time zone of context.hour and context.weekday.
	// Default: UTC.
	Location *time.Location
	// ReloadInterval is how often Run checks the files. Default: 2s.
	ReloadInterval time.Duration
	// Clock tells the request time when Request.Time is zero. Default: the
	// system clock.
	Clock clock.Clock
	// Logger receives reload and shadow-disagreement messages. Default: none.
	Logger *zap.Logger
	// ShadowDisagreements, if set, counts shadow decisions that differ.
	ShadowDisagreements Counter
	// ReloadFailures, if set, counts rejected reloads.
	ReloadFailures Counter
	// OnReload, when set, is told of every policy set before it takes effect
	// (the initial load in New and each reload) and of every rejected one
	// (ReloadEvent.Err set, once per distinct content). For a set about to
	// take effect, an error keeps the previous set in force (in New: New
	// fails), so a change that cannot be audited never applies; a reload is
	// tried again at the next check. Its error for a rejected set is ignored.
	OnReload func(ReloadEvent) error
}

// Authorizer decides requests with the current policy set, which Reload and
// Run replace atomically.
type Authorizer struct {
	cfg      Config
	env      environment
	mapper   *ResourceMapper
	users    *slotCache[string, types.Entity]
	paths    *slotCache[string, *mappedResource]
	contexts *slotCache[contextKey, types.Record]
	current  atomic.Pointer[PolicySet]
	shadow   atomic.Pointer[PolicySet]

	reloadMu sync.Mutex
	rejected map[bool]string // what was last rejected per set (true = shadow)

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// New loads and validates the policy sets; any problem is an error, so a
// gateway with invalid policies does not start.
func New(cfg Config) (*Authorizer, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.ReloadInterval == 0 {
		cfg.ReloadInterval = DefaultReloadInterval
	}
	if len(cfg.MFAMethods) == 0 {
		cfg.MFAMethods = stepup.DefaultMethods
	}
	for _, r := range cfg.ActionRules {
		if err := r.Validate(); err != nil {
			return nil, err
		}
	}
	a := &Authorizer{
		cfg:      cfg,
		env:      environment{name: cfg.Environment, mfaMethods: cfg.MFAMethods, location: cfg.Location},
		mapper:   NewResourceMapper(cfg.Templates...),
		users:    newSlotCache[string, types.Entity](),
		paths:    newSlotCache[string, *mappedResource](),
		contexts: newSlotCache[contextKey, types.Record](),
		rejected: map[bool]string{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	set, err := a.initialLoad(false)
	if err != nil {
		return nil, err
	}
	a.current.Store(set)
	if cfg.Shadow != nil {
		sh, err := a.initialLoad(true)
		if err != nil {
			return nil, fmt.Errorf("shadow policies: %w", err)
		}
		a.shadow.Store(sh)
	}
	return a, nil
}

// initialLoad loads a set for New and tells OnReload.
func (a *Authorizer) initialLoad(shadow bool) (*PolicySet, error) {
	src := a.source(shadow)
	snap, err := src.read()
	var set *PolicySet
	if err == nil {
		set, err = a.compile(shadow, snap)
	}
	ev := ReloadEvent{Set: setName(shadow), Source: src.String(), Initial: true, Fingerprint: fingerprintHex(snap), Err: err}
	if err != nil {
		_ = a.notifyReload(ev)
		return nil, err
	}
	ev.Policies = set.Len()
	if herr := a.notifyReload(ev); herr != nil {
		return nil, fmt.Errorf("%w: %w", ErrReloadNotRecorded, herr)
	}
	return set, nil
}

func (a *Authorizer) source(shadow bool) Source {
	if !shadow {
		return a.cfg.Policies
	}
	src := *a.cfg.Shadow
	if src.Schema == "" && !dirHasSchema(src.Dir) {
		// A candidate set of policy files only: validate it against the
		// enforced schema.
		if p, _, err := a.cfg.Policies.resolve(); err == nil {
			src.Schema = p
		}
	}
	return src
}

func (a *Authorizer) load(shadow bool) (*PolicySet, error) {
	snap, err := a.source(shadow).read()
	if err != nil {
		return nil, err
	}
	return a.compile(shadow, snap)
}

func (a *Authorizer) compile(shadow bool, snap *snapshot) (*PolicySet, error) {
	set, err := compile(a.source(shadow), snap)
	if err != nil {
		return nil, err
	}
	// The configured action rules must name actions the schema declares, or
	// those requests could never be allowed.
	if !shadow {
		for _, r := range a.cfg.ActionRules {
			if !set.HasAction(r.Action) {
				return nil, fmt.Errorf("%s: action rule %s %s → %q: the schema declares no action %q",
					set.schemaFile, methodsString(r.Methods), r.Path, r.Action, r.Action)
			}
		}
	}
	return set, nil
}

func methodsString(m []string) string {
	if len(m) == 0 {
		return "*"
	}
	s := m[0]
	for _, x := range m[1:] {
		s += "," + x
	}
	return s
}

// Policies returns the enforced policy set.
func (a *Authorizer) Policies() *PolicySet { return a.current.Load() }

// ShadowPolicies returns the shadow policy set, or nil.
func (a *Authorizer) ShadowPolicies() *PolicySet { return a.shadow.Load() }

// Authorize decides a request. It never returns nil, and it allows only when
// a permit matched, no forbid matched and no policy failed to evaluate.
func (a *Authorizer) Authorize(r Request) *Decision {
	d := &Decision{ID: newDecisionID()}
	if r.Time.IsZero() {
		r.Time = a.cfg.Clock.Now()
	}
	p := CleanPath(r.Path)
	action := actionFor(a.cfg.ActionRules, r.Method, p)
	// Entities are immutable, so those of a path or user seen before are
	// reused: building Cedar records is most of a request's cost.
	mr := a.paths.get(p, func() *mappedResource {
		m := &mappedResource{res: a.mapper.Map(p)}
		m.ent = resourceEntity(&m.res)
		m.display = string(m.ent.UID.Type) + "::" + strconv.Quote(m.res.Path)
		return m
	})
	res, resEnt := &mr.res, &mr.ent
	d.Action = action
	d.Resource = mr.display

	set := a.current.Load()
	switch {
	case r.Principal == nil:
		d.Errors = []string{"no authenticated principal (jwt_auth must run before cedar_authz)"}
		return d
	case action == "":
		d.Errors = []string{"no action for method " + strconv.Quote(r.Method)}
		return d
	case !canonical(r.Path, r.EscapedPath):
		d.Errors = []string{"request path is not canonical (dot segments, empty segments or an encoded slash)"}
		return d
	}
	user := a.users.get(userKey(r.Principal), func() types.Entity { return userEntity(r.Principal) })
	req := cedar.Request{
		Principal: user.UID,
		Resource:  resEnt.UID,
	}
	ck := contextFacts(&a.env, r.Principal, r.Method, r.SourceIP, r.Time)
	req.Context = a.contexts.get(ck, func() types.Record { return buildContext(&a.env, ck) })
	d.Allowed, d.Policies, d.Errors = evaluate(set, action, res, &user, resEnt, req)

	if sh := a.shadow.Load(); sh != nil {
		allowed, policies, errs := evaluate(sh, action, res, &user, resEnt, req)
		d.Shadow = &ShadowResult{Allowed: allowed, Policies: policies, Errors: errs, Disagrees: allowed != d.Allowed}
		if d.Shadow.Disagrees {
			a.reportDisagreement(d)
		}
	}
	return d
}

// evaluate runs the policies of one set that can apply to the request.
func evaluate(set *PolicySet, action string, res *Resource, user, resEnt *types.Entity, req cedar.Request) (bool, []string, []string) {
	uid, ok := set.actions[action]
	if !ok {
		return false, nil, []string{"action " + strconv.Quote(action) + " is not declared in the schema"}
	}
	req.Action = uid
	ents := &requestEntities{principal: user, resource: resEnt, actions: set.actionEnts}
	dec, diag := cedar.Authorize(set.index.lookup(action, res.Matched, res.Kind), ents, req)
	var errs []string
	var failed []string
	for _, e := range diag.Errors {
		errs = append(errs, fmt.Sprintf("policy %s (%s:%d): %s", e.PolicyID, e.Position.Filename, e.Position.Line, e.Message))
		failed = append(failed, string(e.PolicyID))
	}
	var ids []string
	for _, r := range diag.Reasons {
		ids = append(ids, string(r.PolicyID))
	}
	if len(errs) > 0 {
		// Fail closed: an erroring forbid might have denied, so an error
		// denies even when a permit matched (Cedar alone would allow).
		if dec == cedar.Allow {
			ids = failed
		}
		return false, ids, errs
	}
	return dec == cedar.Allow, ids, nil
}

// ErrReloadRejected is wrapped by Reload errors for an invalid new set.
var ErrReloadRejected = errors.New("policy reload rejected; the previous policies stay in force")

// canonical reports whether a path means the same to every reasonable
// server: no "." or ".." segments, no empty segments (a trailing slash is
// fine) and no encoded slash.
func canonical(p, escaped string) bool {
	if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") || p == "." || p == ".." {
		return false
	}
	return !strings.Contains(escaped, "%2F") && !strings.Contains(escaped, "%2f")
}
