package authz

import (
	"fmt"
	"path"
	"strings"
)

// DefaultTemplates are the resource templates used when none are configured:
// team-owned resources under /api/teams/{team}/, everything else by kind.
var DefaultTemplates = []string{
	"/api/teams/{team}/{kind}/{id}/{sub...}",
	"/api/teams/{team}/{kind}/{id}",
	"/api/teams/{team}/{kind}",
	"/api/{kind}/{id}/{sub...}",
	"/api/{kind}/{id}",
	"/api/{kind}",
}

// Template maps request paths to resources. Its pattern is a slash-separated
// list of segments, each a literal, a variable `{name}` matching exactly one
// segment, or — last only — `{name...}` matching one or more segments. The
// variables kind, id and team fill the resource's attributes of the same name;
// every variable becomes a tag of the resource.
type Template struct {
	pattern string
	segs    []segment
	kind    string // fixed kind when the pattern has no {kind}
}

type segment struct {
	literal string
	name    string // variable name; "" for a literal
	rest    bool   // {name...}
}

// ParseTemplate parses a template pattern. kind, if not empty, is the fixed
// kind of the resources it matches; it is an error together with a {kind}
// variable.
func ParseTemplate(pattern, kind string) (Template, error) {
	t := Template{pattern: pattern, kind: kind}
	if !strings.HasPrefix(pattern, "/") {
		return t, fmt.Errorf("resource template %q must start with /", pattern)
	}
	if pattern != "/" {
		seen := map[string]bool{}
		parts := strings.Split(pattern[1:], "/")
		for i, p := range parts {
			if p == "" {
				return t, fmt.Errorf("resource template %q has an empty segment", pattern)
			}
			if p == "." || p == ".." {
				return t, fmt.Errorf("resource template %q has a %q segment", pattern, p)
			}
			if !strings.ContainsAny(p, "{}") {
				t.segs = append(t.segs, segment{literal: p})
				continue
			}
			if p[0] != '{' || p[len(p)-1] != '}' {
				return t, fmt.Errorf("resource template %q: segment %q must be a literal or a whole {variable}", pattern, p)
			}
			name, rest := strings.CutSuffix(p[1:len(p)-1], "...")
			if !validVarName(name) {
				return t, fmt.Errorf("resource template %q: %q is not a valid variable name (letters, digits and _, not starting with a digit)", pattern, name)
			}
			if rest && i != len(parts)-1 {
				return t, fmt.Errorf("resource template %q: {%s...} must be the last segment", pattern, name)
			}
			if seen[name] {
				return t, fmt.Errorf("resource template %q: variable {%s} appears twice", pattern, name)
			}
			seen[name] = true
			t.segs = append(t.segs, segment{name: name, rest: rest})
		}
		if seen["kind"] && kind != "" {
			return t, fmt.Errorf("resource template %q has a {kind} variable and a fixed kind %q; use one", pattern, kind)
		}
	}
	return t, nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// String returns the pattern (and fixed kind) as configured.
func (t Template) String() string {
	if t.kind != "" {
		return t.pattern + " " + t.kind
	}
	return t.pattern
}

// Var is a template variable captured from a path.
type Var struct{ Name, Value string }

// match matches a cleaned path, appending the captured variables to vars.
func (t *Template) match(p string, vars []Var) ([]Var, bool) {
	rest := strings.TrimPrefix(p, "/")
	for _, s := range t.segs {
		if rest == "" {
			return vars, false
		}
		if s.rest {
			return append(vars, Var{s.name, rest}), true
		}
		seg, tail, _ := strings.Cut(rest, "/")
		if s.name == "" {
			if seg != s.literal {
				return vars, false
			}
		} else {
			vars = append(vars, Var{s.name, seg})
		}
		rest = tail
	}
	return vars, rest == ""
}

// Resource is what a request path maps to.
type Resource struct {
	// Matched is true when a template matched (a Portcullis::Resource); false
	// for the catch-all Portcullis::Path.
	Matched bool
	// Template is the matching template's pattern ("" when none matched).
	Template string
	Kind     string
	ID       string
	Team     string
	// Path is the cleaned request path; it is also the entity id.
	Path string
	// Vars are all captured variables, in template order.
	Vars []Var
}

// ResourceMapper maps paths to resources with an ordered list of templates:
// the first match wins.
type ResourceMapper struct {
	templates []Template
}

// NewResourceMapper returns a mapper over templates; none means DefaultTemplates.
func NewResourceMapper(templates ...Template) *ResourceMapper {
	if len(templates) == 0 {
		for _, p := range DefaultTemplates {
			t, err := ParseTemplate(p, "")
			if err != nil {
				panic(err) // DefaultTemplates are constants checked by tests
			}
			templates = append(templates, t)
		}
	}
	return &ResourceMapper{templates: templates}
}

// CleanPath returns the path as the resource id: rooted, without dot segments
// or a trailing slash, so that /api/a/../b and /api/b are the same resource.
func CleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return path.Clean(p)
}

// Map returns the resource for a request path.
func (m *ResourceMapper) Map(reqPath string) Resource {
	p := CleanPath(reqPath)
	for i := range m.templates {
		t := &m.templates[i]
		vars, ok := t.match(p, nil)
		if !ok {
			continue
		}
		r := Resource{Matched: true, Template: t.pattern, Kind: t.kind, Path: p, Vars: vars}
		for _, v := range vars {
			switch v.Name {
			case "kind":
				r.Kind = v.Value
			case "id":
				r.ID = v.Value
			case "team":
				r.Team = v.Value
			}
		}
		return r
	}
	return Resource{Path: p}
}
