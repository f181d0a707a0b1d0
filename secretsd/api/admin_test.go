package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/store"
)

func TestAdminManagesUsersAndADeveloperMayNot(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		as := h.as(admin.AccessToken)

		dev := h.createUser(admin.AccessToken, "Dev.One", "Developer")
		if dev.Username != "dev.one" || dev.Role != "Developer" || dev.Team != "platform" || dev.Disabled || dev.MFAEnabled || dev.ID == "" {
			t.Fatalf("created user = %+v", dev)
		}
		_, err := as.CreateUser(h.ctx(), client.NewUser{Username: "dev.one", Password: "another-password-1", Role: "Viewer"})
		wantCode(t, err, client.CodeConflict)
		_, err = as.CreateUser(h.ctx(), client.NewUser{Username: "x", Password: "another-password-1", Role: "Root"})
		wantCode(t, err, "invalid_request")

		users, err := as.ListUsers(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].Username != "admin" || users[1].Username != "dev.one" {
			t.Fatalf("users = %+v", users)
		}
		got, err := as.GetUser(h.ctx(), dev.ID)
		if err != nil || got.ID != dev.ID {
			t.Fatalf("get user = %+v, %v", got, err)
		}
		_, err = as.GetUser(h.ctx(), "no-such-user")
		wantCode(t, err, client.CodeNotFound)

		// A Developer may not administer users, nor rotate keys.
		asDev := h.as(h.login("dev.one", "Dev.One-password-1").AccessToken)
		_, err = asDev.ListUsers(h.ctx())
		wantCode(t, err, client.CodeForbidden)
		_, err = asDev.GetUser(h.ctx(), dev.ID)
		wantCode(t, err, client.CodeForbidden)
		_, err = asDev.CreateUser(h.ctx(), client.NewUser{Username: "evil", Password: "evil-password-1", Role: "Admin"})
		wantCode(t, err, client.CodeForbidden)
		_, err = asDev.UpdateUser(h.ctx(), dev.ID, client.UserChange{Role: new("Admin")})
		wantCode(t, err, client.CodeForbidden)
		err = asDev.ResetMFA(h.ctx(), dev.ID)
		wantCode(t, err, client.CodeForbidden)
		_, err = asDev.RotateKeys(h.ctx())
		wantCode(t, err, client.CodeForbidden)

		role, team, groups := "Operator", "sre", []string{"oncall", "db"}
		changed, err := as.UpdateUser(h.ctx(), dev.ID, client.UserChange{Role: &role, Team: &team, Groups: &groups})
		if err != nil {
			t.Fatal(err)
		}
		if changed.Role != "Operator" || changed.Team != "sre" || !slices.Equal(changed.Groups, groups) {
			t.Fatalf("updated user = %+v", changed)
		}

		// As an Operator they may not administer users either.
		asOp := h.as(h.login("dev.one", "Dev.One-password-1").AccessToken)
		_, err = asOp.ListUsers(h.ctx())
		wantCode(t, err, client.CodeForbidden)

		if err := as.ResetMFA(h.ctx(), dev.ID); err != nil {
			t.Fatal(err)
		}

		// Disabling the account refuses its tokens at once.
		disabled, err := as.UpdateUser(h.ctx(), dev.ID, client.UserChange{Disabled: new(true)})
		if err != nil || !disabled.Disabled {
			t.Fatalf("disable = %+v, %v", disabled, err)
		}
		_, err = asOp.WhoAmI(h.ctx())
		wantCode(t, err, client.CodeUnauthorized)
		_, err = h.Client.Login(h.ctx(), "dev.one", "Dev.One-password-1")
		wantCode(t, err, client.CodeInvalidCredentials)
	})
}

func TestAPITokens(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		as := h.as(admin.AccessToken)

		created, err := as.CreateAPIToken(h.ctx(), client.NewAPIToken{Name: "ci", Scopes: []string{"Viewer"}, TTL: 720 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(created.Token, "pcat_") || created.ID == "" || created.Name != "ci" ||
			!strings.HasPrefix(created.Token, created.Prefix) || !created.ExpiresAt.Equal(h.Clock.Now().Add(720*time.Hour)) {
			t.Fatalf("created = %+v", created)
		}
		_, err = as.CreateAPIToken(h.ctx(), client.NewAPIToken{Name: "ci"})
		wantCode(t, err, client.CodeConflict)

		me, err := h.as(created.Token).WhoAmI(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if !me.APIToken || me.User.Username != "admin" || me.TokenID != created.ID {
			t.Fatalf("whoami with an API token = %+v", me)
		}
		// A Viewer-scoped token cannot act as the Admin who owns it.
		_, err = h.as(created.Token).ListUsers(h.ctx())
		wantCode(t, err, client.CodeForbidden)

		r := h.request(http.MethodGet, "/v1/tokens", admin.AccessToken, "", nil)
		if r.Status != 200 || strings.Contains(string(r.Body), created.Token) {
			t.Fatalf("list: %d %s (must never hold the value)", r.Status, r.Body)
		}
		list, err := as.ListAPITokens(h.ctx())
		if err != nil || len(list) != 1 || list[0].ID != created.ID || list[0].LastUsedAt.IsZero() {
			t.Fatalf("list = %+v, %v (want the token, with its last use)", list, err)
		}

		if err := as.RevokeAPIToken(h.ctx(), created.ID); err != nil {
			t.Fatal(err)
		}
		_, err = h.as(created.Token).WhoAmI(h.ctx())
		wantCode(t, err, client.CodeUnauthorized)
		err = as.RevokeAPIToken(h.ctx(), "no-such-token")
		wantCode(t, err, client.CodeNotFound)
	})
}

func TestJWKSPublishesTheSigningKeysAndRotation(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()

		r := h.request(http.MethodGet, "/.well-known/jwks.json", "", "", nil)
		if r.Status != 200 || r.Header.Get("Cache-Control") != "max-age=60" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("JWKS answer %d %v", r.Status, r.Header)
		}
		set, err := jwk.Parse(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		kid := tokenKID(t, admin.AccessToken)
		if _, ok := set.LookupKeyID(kid); !ok {
			t.Fatalf("the JWKS lacks the kid %q of the access token", kid)
		}
		var raw map[string][]map[string]any
		_ = json.Unmarshal(r.Body, &raw)
		for _, k := range raw["keys"] {
			if _, private := k["d"]; private {
				t.Fatal("the JWKS holds a private key")
			}
		}

		newKID, err := h.as(admin.AccessToken).RotateKeys(h.ctx())
		if err != nil || newKID == "" || newKID == kid {
			t.Fatalf("rotate = %q, %v", newKID, err)
		}
		body, err := h.Client.JWKS(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		set, _ = jwk.Parse(body)
		_, hasOld := set.LookupKeyID(kid)
		_, hasNew := set.LookupKeyID(newKID)
		if !hasOld || !hasNew {
			t.Fatalf("after rotation the JWKS must hold the new key and the old one until its tokens expire: %s", body)
		}
		fresh := h.login("admin", adminPassword)
		if got := tokenKID(t, fresh.AccessToken); got != newKID {
			t.Fatalf("new tokens signed by %q, want %q", got, newKID)
		}
		if _, err := h.as(admin.AccessToken).WhoAmI(h.ctx()); err != nil {
			t.Fatalf("a token of the retired key must still verify: %v", err)
		}
	})
}

func tokenKID(t *testing.T, token string) string {
	t.Helper()
	msg, err := jws.Parse([]byte(token))
	if err != nil || len(msg.Signatures()) != 1 {
		t.Fatalf("parsing the access token: %v", err)
	}
	return msg.Signatures()[0].ProtectedHeaders().KeyID()
}
