package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// FuzzBearer feeds untrusted bearer and refresh tokens to Authenticate and
// Refresh: anything but a token the service issued is ErrUnauthenticated,
// never a panic or another error.
func FuzzBearer(f *testing.F) {
	e := newEnv(f, storetest.SQLite(f))
	e.audit.discard.Store(true)
	ctx := context.Background()
	tok := e.login(f, adminName, adminPassword)
	api, err := e.svc.CreateAPIToken(ctx, e.admin, identity.NewAPIToken{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	valid := map[string]bool{tok.AccessToken: true, api.Token: true}
	for _, s := range []string{tok.AccessToken, api.Token, tok.RefreshToken, "", "pcat_", "pcrt_", "a.b.c",
		tok.AccessToken[:len(tok.AccessToken)-2], strings.ToUpper(api.Token), "eyJhbGciOiJub25lIn0.e30."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, bearer string) {
		a, err := e.svc.Authenticate(ctx, bearer)
		switch {
		case err == nil && !valid[bearer]:
			t.Fatalf("Authenticate accepted %q as %+v", bearer, a)
		case err != nil && !errors.Is(err, identity.ErrUnauthenticated):
			t.Fatalf("Authenticate(%q) = %v, want ErrUnauthenticated", bearer, err)
		}
		if bearer == tok.RefreshToken {
			return // spending the seed refresh token would change later runs
		}
		if _, err := e.svc.Refresh(ctx, bearer, identity.ClientInfo{}); err == nil || !errors.Is(err, identity.ErrUnauthenticated) {
			t.Fatalf("Refresh(%q) = %v, want ErrUnauthenticated", bearer, err)
		}
	})
}
