package identity

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// Limits on the fields of an account and of an API token.
const (
	maxUsernameLength = 64
	maxTeamLength     = 64
	maxGroups         = 32
	maxEmailLength    = 254 // RFC 5321 §4.5.3.1.3 path limit
	maxTokenName      = 64
)

// NormalizeUsername trims white space and lower-cases ASCII letters, then
// requires 1 to 64 characters of [a-z0-9._-]. Only ASCII is lowered: Unicode
// case folding maps look-alikes (the Kelvin sign K) onto ASCII letters, and a
// username must have one spelling. Errors wrap ErrInvalidInput.
func NormalizeUsername(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: username: must not be empty", ErrInvalidInput)
	}
	if len(s) > maxUsernameLength {
		return "", fmt.Errorf("%w: username: at most %d characters", ErrInvalidInput, maxUsernameLength)
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			b[i] = c
		}
		if !usernameByte(c) {
			return "", fmt.Errorf("%w: username: only letters a-z, digits, '.', '_' and '-' are allowed", ErrInvalidInput)
		}
	}
	return string(b), nil
}

func usernameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// nameByte is the charset of teams and groups: they appear in Cedar
// policies and token claims, so they keep their case but nothing exotic.
func nameByte(c byte) bool {
	return usernameByte(c) || 'A' <= c && c <= 'Z'
}

// validateTeam allows an empty team (none) or 1..64 of [A-Za-z0-9._-].
func validateTeam(team string) (string, error) {
	team = strings.TrimSpace(team)
	if err := checkName("team", team, maxTeamLength); err != nil {
		return "", err
	}
	return team, nil
}

// validateGroups trims each group, requires 1..64 of [A-Za-z0-9._-], at most
// 32 groups, and drops duplicates (keeping the first).
func validateGroups(groups []string) ([]string, error) {
	if len(groups) > maxGroups {
		return nil, fmt.Errorf("%w: groups: at most %d", ErrInvalidInput, maxGroups)
	}
	out := make([]string, 0, len(groups))
	for i, g := range groups {
		g = strings.TrimSpace(g)
		if g == "" {
			return nil, fmt.Errorf("%w: groups[%d]: must not be empty", ErrInvalidInput, i)
		}
		if err := checkName(fmt.Sprintf("groups[%d]", i), g, maxTeamLength); err != nil {
			return nil, err
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

func checkName(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return fmt.Errorf("%w: %s: at most %d characters", ErrInvalidInput, field, maxLen)
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return fmt.Errorf("%w: %s: only letters, digits, '.', '_' and '-' are allowed", ErrInvalidInput, field)
		}
	}
	return nil
}

// validateEmail allows no address, or one bare address (no display name).
func validateEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	if len(email) > maxEmailLength {
		return "", fmt.Errorf("%w: email: at most %d characters", ErrInvalidInput, maxEmailLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", fmt.Errorf("%w: email: not an address of the form name@example.com", ErrInvalidInput)
	}
	return email, nil
}

// validateRole requires one of the five roles (case-insensitive).
func validateRole(r Role) (Role, error) { return ParseRole(string(r)) }

// validateTokenName requires 1..64 printable ASCII characters after trimming.
func validateTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("%w: name: must not be empty", ErrInvalidInput)
	}
	if len(name) > maxTokenName {
		return "", fmt.Errorf("%w: name: at most %d characters", ErrInvalidInput, maxTokenName)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] > 0x7e {
			return "", fmt.Errorf("%w: name: only printable ASCII characters are allowed", ErrInvalidInput)
		}
	}
	return name, nil
}

// validateNewUser checks and normalises everything an admin gives.
func validateNewUser(in NewUser) (NewUser, error) {
	var err error
	if in.Username, err = NormalizeUsername(in.Username); err != nil {
		return in, err
	}
	if err = ValidatePassword("password", in.Password); err != nil {
		return in, err
	}
	if in.Email, err = validateEmail(in.Email); err != nil {
		return in, err
	}
	if in.Role, err = validateRole(in.Role); err != nil {
		return in, err
	}
	if in.Team, err = validateTeam(in.Team); err != nil {
		return in, err
	}
	if in.Groups, err = validateGroups(in.Groups); err != nil {
		return in, err
	}
	return in, nil
}

// validateUserChange checks and normalises the fields that are set.
func validateUserChange(ch UserChange) (UserChange, error) {
	if ch.Role != nil {
		r, err := validateRole(*ch.Role)
		if err != nil {
			return ch, err
		}
		ch.Role = &r
	}
	if ch.Team != nil {
		t, err := validateTeam(*ch.Team)
		if err != nil {
			return ch, err
		}
		ch.Team = &t
	}
	if ch.Groups != nil {
		g, err := validateGroups(*ch.Groups)
		if err != nil {
			return ch, err
		}
		ch.Groups = &g
	}
	if ch.Password != nil {
		if err := ValidatePassword("password", *ch.Password); err != nil {
			return ch, err
		}
	}
	if ch.Role == nil && ch.Team == nil && ch.Groups == nil && ch.Disabled == nil && ch.Password == nil {
		return ch, fmt.Errorf("%w: nothing to change (give role, team, groups, disabled or password)", ErrInvalidInput)
	}
	return ch, nil
}
