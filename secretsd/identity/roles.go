package identity

import (
	"fmt"
	"slices"
	"strings"
)

// ParseRole returns the role named s, ignoring case ("admin" is RoleAdmin).
// An unknown name wraps ErrInvalidInput.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if strings.EqualFold(string(r), strings.TrimSpace(s)) {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: role: %q is not one of %s", ErrInvalidInput, truncate(s, 32), roleNames())
}

// Valid reports whether r is one of the five roles, spelt exactly.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// rank orders roles by privilege: higher is more. An unknown role ranks
// below every known one, so it never gains anything.
func (r Role) rank() int {
	i := slices.Index(Roles, r)
	if i < 0 {
		return -1
	}
	return len(Roles) - i
}

// atMost returns the lower of r and limit.
func (r Role) atMost(limit Role) Role {
	if limit.rank() < r.rank() {
		return limit
	}
	return r
}

func roleNames() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// requiresMFA reports whether users of role r must keep a second factor.
func (s *Service) requiresMFA(r Role) bool { return slices.Contains(s.cfg.MFARequiredRoles, r) }
