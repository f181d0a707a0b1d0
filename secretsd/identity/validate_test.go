package identity_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/identity"
)

func TestNormalizeUsername(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"lower-case is kept", "alice", "alice", true},
		{"upper-case ASCII is lowered", "Alice.Smith", "alice.smith", true},
		{"white space around is trimmed", "  bob_1-x \t", "bob_1-x", true},
		{"64 characters is the maximum", strings.Repeat("a", 64), strings.Repeat("a", 64), true},
		{"65 characters is too long", strings.Repeat("a", 65), "", false},
		{"empty is refused", "", "", false},
		{"white space only is refused", "   ", "", false},
		{"inner space is refused", "alice smith", "", false},
		{"@ is refused", "alice@example.com", "", false},
		{"the Kelvin sign is not folded onto k", "\u212aelly", "", false},
		{"non-ASCII letters are refused", "zoë", "", false},
		{"a NUL is refused", "al\x00ice", "", false},
	} {
		got, err := identity.NormalizeUsername(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("%s: NormalizeUsername(%q) = %q, %v", tc.name, tc.in, got, err)
		}
		if err != nil && (!errors.Is(err, identity.ErrInvalidInput) || !strings.Contains(err.Error(), "username")) {
			t.Errorf("%s: error %q does not wrap ErrInvalidInput and name the field", tc.name, err)
		}
	}
}

func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"alice", " Bob ", "\u212aelly", "a.b_c-d", strings.Repeat("x", 70), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := identity.NormalizeUsername(in)
		if err != nil {
			if !errors.Is(err, identity.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		if len(got) < 1 || len(got) > 64 {
			t.Fatalf("NormalizeUsername(%q) = %q: length out of 1..64", in, got)
		}
		for _, c := range []byte(got) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				t.Fatalf("NormalizeUsername(%q) = %q holds %q", in, got, c)
			}
		}
		if again, err := identity.NormalizeUsername(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
	})
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]identity.Role{
		"Admin": identity.RoleAdmin, "admin": identity.RoleAdmin, " developer ": identity.RoleDeveloper,
		"OPERATOR": identity.RoleOperator, "Viewer": identity.RoleViewer, "auditor": identity.RoleAuditor,
	} {
		if got, err := identity.ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "root", "Admins", "Adm in"} {
		if _, err := identity.ParseRole(in); !errors.Is(err, identity.ErrInvalidInput) || !strings.Contains(err.Error(), "role") {
			t.Errorf("ParseRole(%q) = %v, want ErrInvalidInput naming the role", in, err)
		}
	}
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []string
		want []string
		ok   bool
	}{
		{"none is none", nil, []string{}, true},
		{"roles are canonical and ordered by privilege", []string{"viewer", "ADMIN"}, []string{"Admin", "Viewer"}, true},
		{"actions follow roles, in a fixed order, once", []string{"keys:rotate", "Users:Read", "developer", "users:read"},
			[]string{"Developer", "users:read", "keys:rotate"}, true},
		{"an unknown scope is refused", []string{"users:delete"}, nil, false},
		{"an empty scope is refused", []string{""}, nil, false},
		{"too many scopes are refused", slices.Repeat([]string{"Admin"}, 17), nil, false},
	} {
		got, err := identity.ParseScopes(tc.in)
		if tc.ok != (err == nil) || tc.ok && !slices.Equal(got, tc.want) {
			t.Errorf("%s: ParseScopes(%q) = %q, %v", tc.name, tc.in, got, err)
		}
		if err != nil && (!errors.Is(err, identity.ErrInvalidInput) || !strings.Contains(err.Error(), "scopes")) {
			t.Errorf("%s: error %q does not wrap ErrInvalidInput and name the field", tc.name, err)
		}
	}
}

func FuzzParseScopes(f *testing.F) {
	f.Add("Admin", "users:read")
	f.Add("viewer", "tokens:write")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		got, err := identity.ParseScopes([]string{a, b})
		if err != nil {
			if !errors.Is(err, identity.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
			return
		}
		again, err := identity.ParseScopes(got)
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", []string{a, b}, got, again, err)
		}
		for _, s := range got {
			if !identity.Role(s).Valid() && !slices.Contains(identity.ActionScopes, s) {
				t.Fatalf("ParseScopes returned %q, outside the closed set", s)
			}
		}
	})
}
