package authz

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/schema/resolved"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/suggest"
)

// checkContract verifies that the schema describes what the gateway sends:
// the entity types it builds exist, sample entities conform, and every
// action's context is the gateway's context. Without it, a schema edit could
// make policies validate against a shape requests never have, and they
// would then fail (deny) at request time instead of at load.
func checkContract(schema sourceFile, rs *resolved.Schema, v *validate.Validator) []string {
	schemaFile := schema.name
	var problems []string
	for _, et := range []types.EntityType{UserType, RoleType, TeamType, GroupType, KindType, ResourceType, PathType} {
		_, isEntity := rs.Entities[et]
		_, isEnum := rs.Enums[et]
		if !isEntity && !isEnum {
			problems = append(problems, fmt.Sprintf("%s: the gateway needs entity type %s, which the schema does not declare", schemaFile, et))
		}
	}
	if len(problems) > 0 {
		return problems
	}
	role := "Admin"
	if e, ok := rs.Enums[RoleType]; ok && len(e.Values) > 0 {
		role = string(e.Values[0].ID)
	}
	p := &principal.Principal{Subject: "contract-check", Role: role, Team: "t", Groups: []string{"g"}, ClientID: "c", AMR: []string{"otp"}, AuthTime: time.Unix(0, 0)}
	user := userEntity(p)
	matched := &Resource{Matched: true, Kind: "k", ID: "i", Team: "t", Path: "/k/i", Vars: []Var{{"kind", "k"}, {"id", "i"}}}
	res := resourceEntity(matched)
	path := resourceEntity(&Resource{Path: "/"})
	for _, e := range []types.Entity{user, res, path} {
		if err := v.Entity(e); err != nil {
			problems = append(problems, fmt.Sprintf("%s%s: %s as the gateway builds it does not conform to the schema: %v",
				schemaFile, lineOfDecl(schema.data, "entity", localName(string(e.UID.Type))), e.UID.Type, err))
		}
	}
	env := &environment{name: "contract-check", location: time.UTC}
	ctx := contextRecord(env, p, "GET", netip.MustParseAddr("192.0.2.1"), time.Unix(0, 0))
	var failing []string
	var firstErr error
	var firstAction types.EntityUID
	for uid, a := range rs.Actions {
		if uid.Type != ActionType || a.AppliesTo == nil {
			continue
		}
		for _, e := range []types.Entity{res, path} {
			if !slices.Contains(a.AppliesTo.Resources, e.UID.Type) || !slices.Contains(a.AppliesTo.Principals, UserType) {
				continue
			}
			if err := v.Request(types.Request{Principal: user.UID, Action: uid, Resource: e.UID, Context: ctx}); err != nil {
				failing = append(failing, string(uid.ID))
				if firstErr == nil || string(uid.ID) < string(firstAction.ID) {
					firstErr, firstAction = err, uid
				}
				break
			}
		}
	}
	if firstErr != nil {
		slices.Sort(failing)
		problems = append(problems, fmt.Sprintf("%s%s: the context of action(s) %s is not what the gateway sends: %s",
			schemaFile, lineOfDecl(schema.data, "action", string(firstAction.ID)), strings.Join(failing, ", "),
			contextDiff(rs.Actions[firstAction].AppliesTo.Context, ctx, firstErr)))
	}
	slices.Sort(problems)
	return problems
}

// checkEnums reports references to enum entities (Portcullis::Role::"Admn")
// whose value the enum does not list: the validator accepts them, and such a
// policy would silently never match.
func checkEnums(where, id string, p *xast.Policy, rs *resolved.Schema) []string {
	var problems []string
	check := func(uid types.EntityUID) {
		e, ok := rs.Enums[uid.Type]
		if !ok || slices.Contains(e.Values, uid) {
			return
		}
		vals := make([]string, len(e.Values))
		for i, v := range e.Values {
			vals[i] = string(v.ID)
		}
		hint := ""
		if s := closest(string(uid.ID), vals); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		problems = append(problems, fmt.Sprintf("%s: for policy `%s`, %s %q is not one of %s%s",
			where, id, uid.Type, string(uid.ID), strings.Join(vals, ", "), hint))
	}
	for _, scope := range []any{p.Principal, p.Action, p.Resource} {
		switch s := scope.(type) {
		case xast.ScopeTypeEq:
			check(s.Entity)
		case xast.ScopeTypeIn:
			check(s.Entity)
		case xast.ScopeTypeIsIn:
			check(s.Entity)
		case xast.ScopeTypeInSet:
			for _, e := range s.Entities {
				check(e)
			}
		}
	}
	for _, c := range p.Conditions {
		xast.Inspect(xast.NewNode(c.Body), func(n xast.IsNode) bool {
			if v, ok := n.(xast.NodeValue); ok {
				if uid, ok := v.Value.(types.EntityUID); ok {
					check(uid)
				}
			}
			return true
		})
	}
	return problems
}

var missingAttr = regexp.MustCompile("attribute `([^`]+)` on entity type `([^`]+)` not found")

// explain adds a "did you mean" to validator messages about unknown attributes.
func explain(msg string, rs *resolved.Schema) string {
	var attr, owner string
	var shape resolved.RecordType
	if m := missingAttr.FindStringSubmatch(msg); m != nil {
		ent, ok := rs.Entities[types.EntityType(m[2])]
		if !ok {
			return msg
		}
		attr, owner, shape = m[1], m[2], ent.Shape
	} else if m := missingContextAttr.FindStringSubmatch(msg); m != nil {
		for uid, a := range rs.Actions {
			if uid.Type == ActionType && a.AppliesTo != nil {
				attr, owner, shape = m[1], "context", a.AppliesTo.Context
				break
			}
		}
	}
	if shape == nil {
		return msg
	}
	names := make([]string, 0, len(shape))
	for k := range shape {
		names = append(names, string(k))
	}
	slices.Sort(names)
	if s := closest(attr, names); s != "" {
		return fmt.Sprintf("%s (did you mean %q?)", msg, s)
	}
	return fmt.Sprintf("%s (%s has: %s)", msg, owner, strings.Join(names, ", "))
}

var missingContextAttr = regexp.MustCompile("attribute `([^`]+)` in context not found")

// closest returns the candidate within edit distance 2 of s (case-insensitive),
// or "".
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := suggest.Distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" && len(s) >= 3 {
		// mfa_age → mfa_age_seconds: a truncated name.
		for _, c := range candidates {
			if strings.HasPrefix(c, s) {
				return c
			}
		}
	}
	return best
}

// lineOfDecl returns ":N" for the first line (outside comments) declaring
// name with keyword (entity, action), or "".
func lineOfDecl(data []byte, keyword, name string) string {
	re := regexp.MustCompile(`^\s*` + keyword + `\b.*\b` + regexp.QuoteMeta(name) + `\b`)
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "//")
		if re.MatchString(line) {
			return fmt.Sprintf(":%d", i+1)
		}
	}
	return ""
}

func localName(s string) string {
	if i := strings.LastIndex(s, "::"); i >= 0 {
		return s[i+2:]
	}
	return s
}

// contextDiff explains how a schema's context type differs from the
// gateway's context record.
func contextDiff(want resolved.RecordType, got types.Record, fallback error) string {
	var diffs []string
	for name, attr := range want {
		if _, ok := got.Get(name); !ok && !attr.Optional {
			diffs = append(diffs, fmt.Sprintf("the schema requires attribute %q, which the gateway does not send", string(name)))
		}
	}
	for name := range got.All() {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("the gateway sends attribute %q, which the schema does not declare", string(name)))
		}
	}
	if len(diffs) == 0 {
		return fallback.Error()
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}
