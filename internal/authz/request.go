package authz

import (
	"math"
	"net/netip"
	"time"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/portcullis/portcullis/internal/principal"
)

// Request is what the gateway knows about an HTTP request when authorizing it.
type Request struct {
	// Principal is the verified caller; nil denies.
	Principal *principal.Principal
	// Method is the HTTP method, upper case.
	Method string
	// Path is the decoded request path. A path with dot segments or empty
	// segments is denied rather than cleaned: the upstream may resolve it
	// differently from the gateway, so authorizing either reading is unsafe.
	Path string
	// EscapedPath is the path as sent (URL.EscapedPath); when it encodes a
	// slash (%2F), the request is denied for the same reason. Optional.
	EscapedPath string
	// SourceIP is the client address (after trusted-proxy handling). An
	// invalid address is sent as 0.0.0.0, which no sensible allow-list holds.
	SourceIP netip.Addr
	// Time is when the request arrived; zero means the authorizer's clock.
	Time time.Time
}

// environment is the per-gateway part of the context.
type environment struct {
	name       string
	mfaMethods []string
	location   *time.Location
}

// requestEntities serves the request's principal and resource plus the
// set's action entities without building a map per request.
type requestEntities struct {
	principal *types.Entity
	resource  *types.Entity
	actions   types.EntityMap
}

func (e *requestEntities) Get(uid types.EntityUID) (types.Entity, bool) {
	switch uid {
	case e.principal.UID:
		return *e.principal, true
	case e.resource.UID:
		return *e.resource, true
	}
	ent, ok := e.actions[uid]
	return ent, ok
}

// userEntity is Portcullis::User::"<sub>", a member of its role, team and
// groups so that `principal in Portcullis::Role::"Admin"` works.
func userEntity(p *principal.Principal) types.Entity {
	parents := make([]types.EntityUID, 0, 2+len(p.Groups))
	if p.Role != "" {
		parents = append(parents, types.NewEntityUID(RoleType, types.String(p.Role)))
	}
	if p.Team != "" {
		parents = append(parents, types.NewEntityUID(TeamType, types.String(p.Team)))
	}
	groups := make([]types.Value, len(p.Groups))
	for i, g := range p.Groups {
		parents = append(parents, types.NewEntityUID(GroupType, types.String(g)))
		groups[i] = types.String(g)
	}
	return types.Entity{
		UID:     types.NewEntityUID(UserType, types.String(p.Subject)),
		Parents: types.NewEntityUIDSet(parents...),
		Attributes: types.NewRecord(types.RecordMap{
			"role":      types.String(p.Role),
			"team":      types.String(p.Team),
			"groups":    types.NewSet(groups...),
			"client_id": types.String(p.ClientID),
		}),
	}
}

// resourceEntity is Portcullis::Resource::"<path>" in its kind, or the
// catch-all Portcullis::Path::"<path>".
func resourceEntity(r *Resource) types.Entity {
	if !r.Matched {
		return types.Entity{
			UID:        types.NewEntityUID(PathType, types.String(r.Path)),
			Attributes: types.NewRecord(types.RecordMap{"path": types.String(r.Path)}),
		}
	}
	var parents types.EntityUIDSet
	if r.Kind != "" {
		parents = types.NewEntityUIDSet(types.NewEntityUID(KindType, types.String(r.Kind)))
	}
	var tags types.Record
	if len(r.Vars) > 0 {
		m := make(types.RecordMap, len(r.Vars))
		for _, v := range r.Vars {
			m[types.String(v.Name)] = types.String(v.Value)
		}
		tags = types.NewRecord(m)
	}
	return types.Entity{
		UID:     types.NewEntityUID(ResourceType, types.String(r.Path)),
		Parents: parents,
		Attributes: types.NewRecord(types.RecordMap{
			"kind": types.String(r.Kind),
			"id":   types.String(r.ID),
			"team": types.String(r.Team),
			"path": types.String(r.Path),
		}),
		Tags: tags,
	}
}

// unknownAge is mfa_age_seconds when the token has no auth_time: older than
// any bound a policy can state.
const unknownAge = math.MaxInt64

// contextFacts are the per-request inputs of the context, reduced to what
// the context holds: time to the second, MFA as a flag and an age.
func contextFacts(env *environment, p *principal.Principal, method string, ip netip.Addr, now time.Time) contextKey {
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	k := contextKey{ip: ip.Unmap(), method: method, unix: now.Unix(), age: unknownAge}
	if p != nil {
		k.mfa = p.HasAMR(env.mfaMethods...)
		k.breakGlass = p.BreakGlass
		if !p.AuthTime.IsZero() {
			k.age = max(0, k.unix-p.AuthTime.Unix())
		}
	}
	return k
}

// contextRecord is the request context described in the schema's
// RequestContext type.
func contextRecord(env *environment, p *principal.Principal, method string, ip netip.Addr, now time.Time) types.Record {
	return buildContext(env, contextFacts(env, p, method, ip, now))
}

func buildContext(env *environment, k contextKey) types.Record {
	now := time.Unix(k.unix, 0).UTC()
	local := now.In(env.location)
	return types.NewRecord(types.RecordMap{
		"source_ip":       types.IPAddr(netip.PrefixFrom(k.ip, k.ip.BitLen())),
		"time":            types.NewDatetime(now),
		"hour":            types.Long(local.Hour()),
		"weekday":         types.String(local.Weekday().String()),
		"mfa":             types.Boolean(k.mfa),
		"mfa_age_seconds": types.Long(k.age),
		"environment":     types.String(env.name),
		"break_glass":     types.Boolean(k.breakGlass),
		"method":          types.String(k.method),
	})
}
