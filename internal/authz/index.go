package authz

import (
	"iter"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
)

// The index makes evaluation cost depend on the policies that can apply to a
// request rather than on the size of the whole set. A policy's scope names
// the actions it covers (action == / in / in [...]), the resource type (is)
// and the resource kind (resource in Portcullis::Kind::"k"); a policy is put
// in the bucket of every (action, resource type, kind) its scope can match,
// so unconstrained policies land in every bucket. Putting a policy in a
// bucket it cannot match is harmless (Cedar still evaluates its scope);
// leaving it out of one it can match would be a wrong decision, so every
// doubt resolves to "include".

type policyEntry struct {
	id     cedar.PolicyID
	where  string // file:line
	policy *cedar.Policy
	ast    *xast.Policy
}

// policyList is a cedar.PolicyIterator over a slice: cheaper to iterate
// than a PolicySet's map.
type policyList []*policyEntry

func (l policyList) All() iter.Seq2[cedar.PolicyID, *cedar.Policy] {
	return func(yield func(cedar.PolicyID, *cedar.Policy) bool) {
		for _, e := range l {
			if !yield(e.id, e.policy) {
				return
			}
		}
	}
}

// resource types the gateway produces, as index positions.
const (
	resourceSlot = 0 // Portcullis::Resource
	pathSlot     = 1 // Portcullis::Path
)

type kindBuckets struct {
	anyKind policyList            // for kinds no policy names
	byKind  map[string]policyList // policies naming the kind + those naming none
}

type index struct {
	byAction map[string]*[2]kindBuckets
}

// lookup returns the policies that can apply to a request.
func (ix *index) lookup(action string, matched bool, kind string) policyList {
	b := ix.byAction[action]
	if b == nil {
		return nil
	}
	slot := pathSlot
	if matched {
		slot = resourceSlot
	}
	kb := &b[slot]
	if l, ok := kb.byKind[kind]; ok {
		return l
	}
	return kb.anyKind
}

// scopeTargets is what a policy's scope can match.
type scopeTargets struct {
	actions []string // action names
	slots   []int
	kind    string // "" = any kind
}

func buildIndex(entries []policyEntry, actions map[string]types.EntityUID, actionEnts types.EntityMap) *index {
	ancestors := actionAncestors(actions, actionEnts)
	all := make([]string, 0, len(actions))
	for name := range actions {
		all = append(all, name)
	}

	targets := make([]scopeTargets, len(entries))
	for i := range entries {
		targets[i] = targetsOf(entries[i].ast, all, ancestors)
	}

	ix := &index{byAction: make(map[string]*[2]kindBuckets, len(actions))}
	for _, name := range all {
		ix.byAction[name] = &[2]kindBuckets{{byKind: map[string]policyList{}}, {byKind: map[string]policyList{}}}
	}
	// First the kind-specific buckets must exist, so that the policies of
	// any kind can be added to each of them.
	for i, t := range targets {
		if t.kind == "" {
			continue
		}
		for _, a := range t.actions {
			for _, s := range t.slots {
				kb := &ix.byAction[a][s]
				kb.byKind[t.kind] = append(kb.byKind[t.kind], &entries[i])
			}
		}
	}
	for i, t := range targets {
		if t.kind != "" {
			continue
		}
		for _, a := range t.actions {
			for _, s := range t.slots {
				kb := &ix.byAction[a][s]
				kb.anyKind = append(kb.anyKind, &entries[i])
				for k := range kb.byKind {
					kb.byKind[k] = append(kb.byKind[k], &entries[i])
				}
			}
		}
	}
	return ix
}

// actionAncestors maps each action name to the set of action uids it is in,
// transitively, itself included.
func actionAncestors(actions map[string]types.EntityUID, ents types.EntityMap) map[string]map[types.EntityUID]bool {
	out := make(map[string]map[types.EntityUID]bool, len(actions))
	for name, uid := range actions {
		seen := map[types.EntityUID]bool{uid: true}
		queue := []types.EntityUID{uid}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for p := range ents[cur].Parents.All() {
				if !seen[p] {
					seen[p] = true
					queue = append(queue, p)
				}
			}
		}
		out[name] = seen
	}
	return out
}

func targetsOf(p *xast.Policy, all []string, ancestors map[string]map[types.EntityUID]bool) scopeTargets {
	var t scopeTargets
	inAny := func(uids ...types.EntityUID) {
		for _, name := range all {
			for _, u := range uids {
				if ancestors[name][u] {
					t.actions = append(t.actions, name)
					break
				}
			}
		}
	}
	switch s := p.Action.(type) {
	case xast.ScopeTypeEq:
		for _, name := range all {
			if ancestors[name] != nil && s.Entity.Type == ActionType && string(s.Entity.ID) == name {
				t.actions = append(t.actions, name)
			}
		}
	case xast.ScopeTypeIn:
		inAny(s.Entity)
	case xast.ScopeTypeInSet:
		inAny(s.Entities...)
	default:
		t.actions = all
	}

	slotsOf := func(et types.EntityType) []int {
		switch et {
		case ResourceType:
			return []int{resourceSlot}
		case PathType:
			return []int{pathSlot}
		}
		return nil // a type the gateway never sends: the policy cannot apply
	}
	both := []int{resourceSlot, pathSlot}
	switch s := p.Resource.(type) {
	case xast.ScopeTypeEq:
		t.slots = slotsOf(s.Entity.Type)
	case xast.ScopeTypeIn:
		t.slots = both
		if s.Entity.Type == KindType {
			t.kind = string(s.Entity.ID)
		}
	case xast.ScopeTypeIs:
		t.slots = slotsOf(s.Type)
	case xast.ScopeTypeIsIn:
		t.slots = slotsOf(s.Type)
		if s.Entity.Type == KindType {
			t.kind = string(s.Entity.ID)
		}
	default:
		t.slots = both
	}
	return t
}
