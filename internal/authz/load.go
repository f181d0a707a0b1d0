package authz

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	"github.com/cedar-policy/cedar-go/x/exp/schema/resolved"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"
)

// The entity types the gateway puts in requests: the contract between this
// package and policies/portcullis.cedarschema, checked at every load.
const (
	Namespace    = "Portcullis"
	UserType     = types.EntityType("Portcullis::User")
	RoleType     = types.EntityType("Portcullis::Role")
	TeamType     = types.EntityType("Portcullis::Team")
	GroupType    = types.EntityType("Portcullis::Group")
	KindType     = types.EntityType("Portcullis::Kind")
	ResourceType = types.EntityType("Portcullis::Resource")
	PathType     = types.EntityType("Portcullis::Path")
	ActionType   = types.EntityType("Portcullis::Action")
)

// ErrInvalidPolicies is wrapped by every error about the content of a policy
// set (syntax, schema validation), as opposed to unreadable files.
var ErrInvalidPolicies = errors.New("invalid policy set")

// LoadError lists every problem found in a policy set, each prefixed with
// file:line.
type LoadError struct {
	Problems []string
}

func (e *LoadError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%s (and %d more: %s)", e.Problems[0], len(e.Problems)-1, strings.Join(e.Problems[1:], "; "))
}

func (e *LoadError) Unwrap() error { return ErrInvalidPolicies }

// PolicySet is a loaded, validated and indexed set of policies. It is
// immutable: a reload builds a new one and swaps it in atomically.
type PolicySet struct {
	source      Source
	schemaFile  string
	files       []string
	fingerprint [32]byte
	ids         []string
	schema      *resolved.Schema
	validator   *validate.Validator
	actions     map[string]types.EntityUID // declared action name → uid
	actionEnts  types.EntityMap            // action entities with their groups, for `action in`
	index       *index
	all         policyList // every policy, in load order (for tests and diagnostics)
}

// Len is the number of policies.
func (s *PolicySet) Len() int { return len(s.ids) }

// IDs are the policy ids in load order.
func (s *PolicySet) IDs() []string { return slices.Clone(s.ids) }

// Files are the policy files the set was loaded from.
func (s *PolicySet) Files() []string { return slices.Clone(s.files) }

// HasAction reports whether the schema declares the action.
func (s *PolicySet) HasAction(name string) bool { _, ok := s.actions[name]; return ok }

// Load reads, parses and validates a policy set.
func Load(src Source) (*PolicySet, error) {
	snap, err := src.read()
	if err != nil {
		return nil, err
	}
	return compile(src, snap)
}

// LoadBytes compiles a policy set from memory (tests, benchmarks, fuzzing).
// The names are used in messages as file names.
func LoadBytes(schemaName string, schemaText []byte, policies map[string][]byte) (*PolicySet, error) {
	snap := &snapshot{schema: sourceFile{name: schemaName, data: schemaText}}
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		snap.policies = append(snap.policies, sourceFile{name: n, data: policies[n]})
	}
	return compile(Source{Schema: schemaName, Files: names}, snap)
}

func compile(src Source, snap *snapshot) (*PolicySet, error) {
	rs, err := parseSchema(snap.schema)
	if err != nil {
		return nil, err
	}
	set := &PolicySet{
		source:      src,
		schemaFile:  snap.schema.name,
		fingerprint: snap.fingerprint,
		schema:      rs,
		validator:   validate.New(rs, validate.WithStrict()),
		actions:     map[string]types.EntityUID{},
		actionEnts:  types.EntityMap{},
	}
	var problems []string
	problems = append(problems, checkContract(snap.schema, rs, set.validator)...)
	for uid, a := range rs.Actions {
		if uid.Type == ActionType {
			set.actions[string(uid.ID)] = uid
		}
		set.actionEnts[uid] = a.Entity
	}

	var entries []policyEntry
	seen := map[string]string{} // id → where
	for _, f := range snap.policies {
		set.files = append(set.files, f.name)
		list, err := cedar.NewPolicyListFromBytes(f.name, f.data)
		if err != nil {
			problems = append(problems, parseProblem(f.name, err))
			continue
		}
		if len(list) == 0 {
			problems = append(problems, f.name+": no policies (an empty file is most likely a mistake)")
			continue
		}
		for _, p := range list {
			pos := p.Position()
			where := f.name + ":" + strconv.Itoa(pos.Line)
			id := string(p.Annotations()["id"])
			if id == "" {
				id = where
			}
			if prev, dup := seen[id]; dup {
				problems = append(problems, fmt.Sprintf("%s: policy id %q is already used at %s; ids must be unique", where, id, prev))
				continue
			}
			seen[id] = where
			pa := (*xast.Policy)(p.AST())
			if err := set.validator.Policy(id, pa); err != nil {
				problems = append(problems, policyProblems(where, id, err, rs)...)
			}
			problems = append(problems, checkEnums(where, id, pa, rs)...)
			entries = append(entries, policyEntry{id: cedar.PolicyID(id), where: where, policy: p, ast: pa})
			set.ids = append(set.ids, id)
		}
	}
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	set.index = buildIndex(entries, set.actions, set.actionEnts)
	for i := range entries {
		set.all = append(set.all, &entries[i])
	}
	return set, nil
}

func parseSchema(f sourceFile) (*resolved.Schema, error) {
	var s schema.Schema
	s.SetFilename(f.name)
	if err := s.UnmarshalCedar(f.data); err != nil {
		// The parser reports "file:line:col: problem" already.
		return nil, &LoadError{Problems: []string{err.Error()}}
	}
	rs, err := s.Resolve()
	if err != nil {
		// Resolution errors name the declaration but no position: find the
		// line of the first quoted name they mention.
		var out []string
		for _, e := range flatten(err) {
			out = append(out, f.name+lineOfQuoted(f.data, e.Error())+": "+e.Error())
		}
		return nil, &LoadError{Problems: out}
	}
	return rs, nil
}

var inputPos = regexp.MustCompile(`<input>:(\d+):(\d+)`)

// parseProblem rewrites the parser's "<input>:line:col" with the file name.
func parseProblem(file string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "parser error: ")
	if m := inputPos.FindStringSubmatchIndex(msg); m != nil {
		line, col := msg[m[2]:m[3]], msg[m[4]:m[5]]
		rest := strings.TrimPrefix(msg[m[1]:], " ")
		prefix := strings.TrimSpace(strings.TrimSuffix(msg[:m[0]], "at "))
		return fmt.Sprintf("%s:%s:%s: %s %s", file, line, col, prefix, rest)
	}
	return file + ": " + msg
}

var quoted = regexp.MustCompile(`"([^"]+)"`)

// lineOfQuoted returns ":N" for the first line of data containing the last
// segment of a name quoted in msg, or "" when none does.
func lineOfQuoted(data []byte, msg string) string {
	for _, m := range quoted.FindAllStringSubmatch(msg, -1) {
		name := localName(m[1])
		re, err := regexp.Compile(`\b` + regexp.QuoteMeta(name) + `\b`)
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			line, _, _ = strings.Cut(line, "//")
			if re.MatchString(line) {
				return ":" + strconv.Itoa(i+1)
			}
		}
	}
	return ""
}

func flatten(err error) []error {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range u.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

var perAction = regexp.MustCompile(` for Portcullis::Action::"[^"]*"`)

// policyProblems formats validation errors as "file:line: for policy `id`,
// ...", once per distinct problem: the validator repeats a context error for
// every action the policy could apply to.
func policyProblems(where, id string, err error, rs *resolved.Schema) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range flatten(err) {
		msg := perAction.ReplaceAllString(e.Error(), "")
		if !strings.HasPrefix(msg, "for policy ") {
			msg = "for policy `" + id + "`, " + msg
		}
		msg = where + ": " + explain(msg, rs)
		if !seen[msg] {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	return out
}
