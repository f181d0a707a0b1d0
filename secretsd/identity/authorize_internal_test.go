package identity

import (
	"errors"
	"slices"
	"testing"
)

func TestAuthorize(t *testing.T) {
	t.Parallel()
	session := func(r Role) Actor { return Actor{UserID: "u", Role: r, SessionID: "s"} }
	token := func(r Role, scopes ...string) Actor {
		return Actor{UserID: "u", Role: effectiveRole(r, scopes), TokenID: "t", APIToken: true, Scopes: scopes}
	}
	for _, tc := range []struct {
		name  string
		actor Actor
		act   action
		want  error
	}{
		{"no actor is unauthenticated", Actor{}, actWhoAmI, ErrUnauthenticated},
		{"an actor with neither session nor API token is refused", Actor{UserID: "u", Role: RoleAdmin}, actWhoAmI, ErrForbidden},
		{"an unknown action is refused", session(RoleAdmin), action(999), ErrForbidden},

		{"anyone reads their account", session(RoleViewer), actWhoAmI, nil},
		{"an API token without scopes reads its account", token(RoleViewer), actWhoAmI, nil},
		{"an admin session manages users", session(RoleAdmin), actUsersWrite, nil},
		{"a developer session may not manage users", session(RoleDeveloper), actUsersWrite, ErrForbidden},
		{"an operator session may not read users", session(RoleOperator), actUsersRead, ErrForbidden},
		{"a developer may not rotate keys", session(RoleDeveloper), actKeysRotate, ErrForbidden},
		{"a developer may not revoke others", session(RoleDeveloper), actRevokeAny, ErrForbidden},
		{"a developer revokes their own", session(RoleDeveloper), actRevokeOwn, nil},
		{"a viewer manages their factors", session(RoleViewer), actFactors, nil},

		{"an API token never manages factors", token(RoleAdmin, ActionScopes...), actFactors, ErrForbidden},
		{"an API token never steps up", token(RoleAdmin, ActionScopes...), actStepUp, ErrForbidden},
		{"an API token without tokens:write may not create tokens", token(RoleAdmin, ScopeTokensRead), actTokensWrite, ErrForbidden},
		{"an API token with tokens:write creates tokens", token(RoleDeveloper, ScopeTokensWrite), actTokensWrite, nil},
		{"tokens:write implies tokens:read", token(RoleDeveloper, ScopeTokensWrite), actTokensRead, nil},
		{"an API token without scopes may not list tokens", token(RoleDeveloper), actTokensRead, ErrForbidden},
		{"an admin API token with users:read reads users", token(RoleAdmin, ScopeUsersRead), actUsersRead, nil},
		{"users:read does not write users", token(RoleAdmin, ScopeUsersRead), actUsersWrite, ErrForbidden},
		{"users:write implies users:read", token(RoleAdmin, ScopeUsersWrite), actUsersRead, nil},
		{"an admin API token limited to Viewer is no admin", token(RoleAdmin, "Viewer", ScopeUsersWrite), actUsersWrite, ErrForbidden},
		{"a developer's users:write scope gives no admin rights", token(RoleDeveloper, ScopeUsersWrite), actUsersWrite, ErrForbidden},
		{"keys:rotate lets an admin token rotate", token(RoleAdmin, ScopeKeysRotate), actKeysRotate, nil},
		{"an admin token without keys:rotate may not rotate", token(RoleAdmin, ScopeUsersWrite), actKeysRotate, ErrForbidden},
		{"sessions:revoke lets a token revoke its owner's", token(RoleViewer, ScopeSessionsRevoke), actRevokeOwn, nil},
		{"an API token without sessions:revoke may not revoke", token(RoleAdmin, ScopeUsersWrite), actRevokeOwn, ErrForbidden},
	} {
		err := authorize(tc.actor, tc.act)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: authorize = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestEffectiveRoleNeverExceedsTheOwners(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		owner  Role
		scopes []string
		want   Role
	}{
		{RoleAdmin, nil, RoleAdmin},
		{RoleAdmin, []string{"Developer"}, RoleDeveloper},
		{RoleAdmin, []string{"Developer", "Viewer"}, RoleViewer},
		{RoleViewer, []string{"Admin"}, RoleViewer},
		{RoleDeveloper, []string{ScopeTokensWrite}, RoleDeveloper},
	} {
		if got := effectiveRole(tc.owner, tc.scopes); got != tc.want {
			t.Errorf("effectiveRole(%s, %v) = %s, want %s", tc.owner, tc.scopes, got, tc.want)
		}
	}
}

func TestGrantable(t *testing.T) {
	t.Parallel()
	admin := Actor{UserID: "u", Role: RoleAdmin, SessionID: "s"}
	dev := Actor{UserID: "u", Role: RoleDeveloper, SessionID: "s"}
	devToken := Actor{UserID: "u", Role: RoleDeveloper, APIToken: true, Scopes: []string{"Developer", ScopeTokensWrite}}
	for _, tc := range []struct {
		name   string
		actor  Actor
		scopes []string
		want   []string
		err    error
	}{
		{"an admin grants anything", admin, []string{"Admin", ScopeUsersWrite, ScopeKeysRotate}, []string{"Admin", ScopeUsersWrite, ScopeKeysRotate}, nil},
		{"a developer may not grant Admin", dev, []string{"Admin"}, nil, ErrForbidden},
		{"a developer may not grant users:read", dev, []string{ScopeUsersRead}, nil, ErrForbidden},
		{"a developer grants a lower role", dev, []string{"Viewer", ScopeTokensRead}, []string{"Viewer", ScopeTokensRead}, nil},
		{"a token grants only scopes it holds", devToken, []string{ScopeSessionsRevoke}, nil, ErrForbidden},
		{"a token passes its role limit on", devToken, []string{ScopeTokensRead}, []string{"Developer", ScopeTokensRead}, nil},
		{"a token may lower the role further", devToken, []string{"Viewer"}, []string{"Viewer"}, nil},
	} {
		got, err := grantable(tc.actor, tc.scopes)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: grantable = %v, %v; want %v", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: grantable = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
