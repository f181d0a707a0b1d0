package authz

import (
	"fmt"
	"path"
	"strings"
)

// DefaultMethodActions maps HTTP methods to actions when no ActionRule
// matches. Methods not listed (TRACE, CONNECT, WebDAV ...) have no action and
// are denied.
var DefaultMethodActions = map[string]string{
	"GET":     "read",
	"HEAD":    "read",
	"OPTIONS": "read",
	"POST":    "write",
	"PUT":     "write",
	"PATCH":   "write",
	"DELETE":  "delete",
}

// ActionRule maps requests to an action by method and path, before the
// method defaults apply.
type ActionRule struct {
	// Methods the rule applies to (upper case); empty or "*" means any.
	Methods []string
	// Path is an exact path, a prefix ending in "*" (/api/deploy/*), or a
	// path.Match pattern (/api/*/restart, where * matches one segment).
	Path string
	// Action is the action name (without the Portcullis::Action prefix); it
	// must be declared in the schema.
	Action string
}

// ParseActionRule parses the Caddyfile form `<methods> <path> <action>` where
// methods is `*` or a comma-separated list such as `POST,PUT`.
func ParseActionRule(methods, pathPattern, action string) (ActionRule, error) {
	r := ActionRule{Path: pathPattern, Action: action}
	if methods != "*" {
		for m := range strings.SplitSeq(methods, ",") {
			if m == "" || strings.ToUpper(m) != m || strings.ContainsFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) {
				return r, fmt.Errorf("action rule: method %q must be an upper-case HTTP method (or * for any)", m)
			}
			r.Methods = append(r.Methods, m)
		}
	}
	return r, r.Validate()
}

// Validate checks the rule's syntax (not whether the schema knows the action).
func (r ActionRule) Validate() error {
	if !strings.HasPrefix(r.Path, "/") && r.Path != "*" {
		return fmt.Errorf("action rule: path %q must start with / (or be *)", r.Path)
	}
	if _, err := path.Match(r.Path, "/"); err != nil {
		return fmt.Errorf("action rule: path %q: %w", r.Path, err)
	}
	if !validVarName(r.Action) {
		return fmt.Errorf("action rule: action %q is not a valid action name", r.Action)
	}
	return nil
}

func (r *ActionRule) matches(method, p string) bool {
	if len(r.Methods) > 0 && !(len(r.Methods) == 1 && r.Methods[0] == "*") {
		found := false
		for _, m := range r.Methods {
			if m == method {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	switch {
	case r.Path == "*":
		return true
	case strings.HasSuffix(r.Path, "*") && strings.Count(r.Path, "*") == 1 && !strings.ContainsAny(r.Path, "?["):
		prefix := r.Path[:len(r.Path)-1]
		// "/api/deploy/*" also covers "/api/deploy" itself.
		return strings.HasPrefix(p, prefix) || p == strings.TrimSuffix(prefix, "/")
	default:
		ok, _ := path.Match(r.Path, p)
		return ok
	}
}

// actionFor returns the action name for a request, or "" when there is none.
func actionFor(rules []ActionRule, method, cleanPath string) string {
	for i := range rules {
		if rules[i].matches(method, cleanPath) {
			return rules[i].Action
		}
	}
	return DefaultMethodActions[method]
}
