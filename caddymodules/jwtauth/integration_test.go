package jwtauth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/internal/token/tokentest"
)

// jwksServer publishes a JWKS over real HTTP, lets the test replace it and
// counts the fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(body []byte) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func jwksOf(t *testing.T, signers ...*devtoken.Signer) []byte {
	t.Helper()
	b, err := devtoken.JWKS(signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countingUpstream is a real upstream that counts what reaches it.
func countingUpstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, url string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if errors.Is(err, io.EOF) {
		// Right after a config reload, a connection can land on the old
		// server as it closes and read EOF before any response: Caddy's
		// handover, not what these tests are about. A GET is safe to send
		// again, on a new connection.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		resp, err = http.DefaultClient.Do(req)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, body}
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func siteBlock(port int, handler, upstream string) string {
	return fmt.Sprintf(`
http://127.0.0.1:%d {
	log
	%s
	reverse_proxy %s
}
`, port, handler, strings.TrimPrefix(upstream, "http://"))
}

const handlerBlock = `jwt_auth {
		issuer ` + tokentest.Issuer + `
		audience ` + tokentest.Audience + `
		forward_claim sub X-Portcullis-User
		forward_claim role X-Portcullis-Role
	}`

func TestGatewayPassesValidTokensWithForwardedIdentity(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	jwks := newJWKSServer(t, f.JWKS)
	up := testenv.Upstream(t)
	port := testenv.FreePort(t)
	c := testenv.StartCaddy(t, fmt.Sprintf("{\n\tportcullis {\n\t\tjwks %s/jwks.json\n\t}\n}\n", jwks.URL)+siteBlock(port, handlerBlock, up.URL))
	site := fmt.Sprintf("http://127.0.0.1:%d/api/things", port)

	for _, s := range f.Signers() {
		tok, err := s.Mint(devtoken.Claims{Subject: "alice-" + s.Alg.String(), Role: "Viewer"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		forged := []string{"X-Portcullis-User", "root", "X-Portcullis-Role", "Admin", "X_Portcullis_Role", "Admin", "x-portcullis-user", "root2"}
		resp := get(t, site, append(bearer(tok), forged...)...)
		if resp.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", s.Alg, resp.status, resp.body)
		}
		var echo testenv.Echo
		if err := json.Unmarshal(resp.body, &echo); err != nil {
			t.Fatalf("upstream answer: %v: %s", err, resp.body)
		}
		if got := echo.Headers["X-Portcullis-User"]; len(got) != 1 || got[0] != "alice-"+s.Alg.String() {
			t.Fatalf("%s: X-Portcullis-User upstream = %q", s.Alg, got)
		}
		if got := echo.Headers["X-Portcullis-Role"]; len(got) != 1 || got[0] != "Viewer" {
			t.Fatalf("%s: X-Portcullis-Role upstream = %q", s.Alg, got)
		}
		for name := range echo.Headers {
			if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-Portcullis-Role") && name != "X-Portcullis-Role" {
				t.Fatalf("client-supplied %s reached the upstream", name)
			}
		}
	}
	// Caddy's access log names the user from {http.auth.user.id}.
	c.WaitLog(`"user_id":"alice-RS256"`, 5*time.Second)

	// A rejected request never reaches the upstream, forged headers or not.
	resp := get(t, site, append(bearer(tokentest.Mint(f.Stranger, time.Now())), "X-Portcullis-User", "root")...)
	if resp.status != http.StatusUnauthorized || strings.Contains(string(resp.body), "root") {
		t.Fatalf("stranger token: %d %s", resp.status, resp.body)
	}
	if resp := get(t, site); resp.status != http.StatusUnauthorized || resp.header.Get("WWW-Authenticate") != `Bearer realm="portcullis"` {
		t.Fatalf("no token: %d %q", resp.status, resp.header.Get("WWW-Authenticate"))
	}
	if resp := get(t, site+"?access_token="+tokentest.Mint(f.RSA, time.Now())); resp.status != http.StatusBadRequest {
		t.Fatalf("query token: %d %s", resp.status, resp.body)
	}
	tok := tokentest.Mint(f.RSA, time.Now())
	if resp := get(t, site, append(bearer(tok), bearer(tok)...)...); resp.status != http.StatusBadRequest {
		t.Fatalf("two Authorization headers: %d %s", resp.status, resp.body)
	}
}

func TestGatewayRejectsHostileTokens(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	cases, err := f.Hostile(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwksFile, f.JWKS, 0o600); err != nil {
		t.Fatal(err)
	}
	up, reached := countingUpstream(t)
	port := testenv.FreePort(t)
	handler := strings.Replace(handlerBlock, "jwt_auth {", "jwt_auth {\n\t\tjwks "+jwksFile, 1)
	testenv.StartCaddy(t, siteBlock(port, handler, up.URL))
	site := fmt.Sprintf("http://127.0.0.1:%d/", port)

	// The gateway does let a good token through (so the 401s below are
	// about the tokens, not a broken setup).
	if resp := get(t, site, bearer(tokentest.Mint(f.RSA, time.Now()))...); resp.status != http.StatusOK {
		t.Fatalf("valid token: %d %s", resp.status, resp.body)
	}
	baseline := reached.Load()
	t.Run("hostile", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				resp := get(t, site, bearer(c.Token)...)
				if resp.status != http.StatusUnauthorized {
					t.Fatalf("status %d: %s", resp.status, resp.body)
				}
				if chal := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(chal, `Bearer realm="portcullis", error="invalid_token", error_description="`) {
					t.Fatalf("WWW-Authenticate = %q", chal)
				}
				var body errorBody
				if err := json.Unmarshal(resp.body, &body); err != nil || body.Error != "invalid_token" || body.Status != 401 || body.Message == "" {
					t.Fatalf("body = %s", resp.body)
				}
				if len(c.Token) > 30 && strings.Contains(string(resp.body), c.Token[len(c.Token)-30:]) {
					t.Fatal("the response echoes the token")
				}
			})
		}
	})
	if n := reached.Load() - baseline; n != 0 {
		t.Fatalf("%d hostile requests reached the upstream", n)
	}
}

func TestGatewayFollowsJWKSRotationOverHTTP(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	jwks := newJWKSServer(t, jwksOf(t, f.RSA))
	up, _ := countingUpstream(t)
	port := testenv.FreePort(t)
	// A long refresh interval: only the unknown-kid refetch can find the new key.
	caddyfile := fmt.Sprintf("{\n\tportcullis {\n\t\tjwks %s\n\t\tjwks_refresh 1h\n\t}\n}\n", jwks.URL) + siteBlock(port, handlerBlock, up.URL)
	c := testenv.StartCaddy(t, caddyfile)
	site := fmt.Sprintf("http://127.0.0.1:%d/", port)

	oldTok, newTok := tokentest.Mint(f.RSA, time.Now()), tokentest.Mint(f.EC, time.Now())
	if resp := get(t, site, bearer(oldTok)...); resp.status != http.StatusOK {
		t.Fatalf("token of the published key: %d %s", resp.status, resp.body)
	}
	// A reload keeps the shared key source: no new fetch.
	before := jwks.fetches.Load()
	if err := c.Reload(strings.Replace(caddyfile, "\tlog\n", "\tlog\n\theader X-Reloaded yes\n", 1)); err != nil {
		t.Fatal(err)
	}
	if resp := get(t, site, bearer(oldTok)...); resp.status != http.StatusOK || resp.header.Get("X-Reloaded") != "yes" {
		t.Fatalf("after reload: %d %s", resp.status, resp.body)
	}
	if got := jwks.fetches.Load(); got != before {
		t.Fatalf("a reload fetched the key set again (%d → %d fetches)", before, got)
	}

	// Rotation: EC added, RSA removed, without restarting the gateway.
	jwks.publish(jwksOf(t, f.EC))
	if resp := get(t, site, bearer(newTok)...); resp.status != http.StatusOK {
		t.Fatalf("token of the new key: %d %s", resp.status, resp.body)
	}
	if got := jwks.fetches.Load(); got != before+1 {
		t.Fatalf("%d fetches, want %d (one refetch for the unknown kid)", got, before+1)
	}
	resp := get(t, site, bearer(oldTok)...)
	if resp.status != http.StatusUnauthorized || !strings.Contains(string(resp.body), "signing key is unknown") {
		t.Fatalf("token of the removed key: %d %s", resp.status, resp.body)
	}
	// Made-up kids cannot make the gateway hammer the key server.
	for range 30 {
		if resp := get(t, site, bearer(tokentest.Mint(f.Stranger, time.Now()))...); resp.status != http.StatusUnauthorized {
			t.Fatalf("stranger: %d", resp.status)
		}
	}
	if got := jwks.fetches.Load(); got != before+1 {
		t.Fatalf("%d fetches after 30 unknown kids, want %d: the refetch is not rate-limited", got, before+1)
	}
}

func TestGatewayPicksUpJWKSFileChanges(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwksOf(t, f.RSA, f.EC), 0o600); err != nil {
		t.Fatal(err)
	}
	up, _ := countingUpstream(t)
	port := testenv.FreePort(t)
	testenv.StartCaddy(t, fmt.Sprintf("{\n\tportcullis {\n\t\tjwks %s\n\t\tjwks_refresh 100ms\n\t}\n}\n", path)+siteBlock(port, handlerBlock, up.URL))
	site := fmt.Sprintf("http://127.0.0.1:%d/", port)

	rsaTok, edTok := tokentest.Mint(f.RSA, time.Now()), tokentest.Mint(f.Ed, time.Now())
	if resp := get(t, site, bearer(rsaTok)...); resp.status != http.StatusOK {
		t.Fatalf("token of a key in the file: %d %s", resp.status, resp.body)
	}
	// Write the new set atomically, as a deployment would.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, jwksOf(t, f.EC, f.Ed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	// RSA's kid stays known until the file is re-read, so only the refresh
	// tick can make this token fail. The gateway gives no signal to await.
	testenv.WaitFor(t, 10*time.Second, "the removed key to stop verifying", func() bool {
		return get(t, site, bearer(rsaTok)...).status == http.StatusUnauthorized
	})
	if resp := get(t, site, bearer(edTok)...); resp.status != http.StatusOK {
		t.Fatalf("token of a key added to the file: %d %s", resp.status, resp.body)
	}
}
