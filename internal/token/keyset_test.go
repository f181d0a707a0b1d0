package token_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/devtoken"
	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/internal/token/tokentest"
)

func TestParseKeySet(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	cases := []struct {
		name        string
		jwks        string
		wantErr     string
		wantKeys    int
		wantSkipped int
	}{
		{"four algorithms", string(f.JWKS), "", 4, 0},
		{"not JSON", "{", "not a JSON web key set", 0, 0},
		{"no keys member", `{}`, "", 0, 0},
		{"empty set", `{"keys":[]}`, "no keys", 0, 0},
		{"duplicate member name", `{"keys":[],"keys":[]}`, "duplicate", 0, 0},
		{"symmetric key only", `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}`, "no usable signing key", 0, 1},
		{"encryption key is skipped", withMember(t, f.JWKS, 0, "use", "enc"), "", 3, 1},
		{"key_ops without verify is skipped", withMember(t, f.JWKS, 1, "key_ops", []string{"encrypt"}), "", 3, 1},
		{"unsupported alg is skipped", withMember(t, f.JWKS, 0, "alg", "RS512"), "", 3, 1},
		{"alg that does not fit the key type is skipped", withMember(t, f.JWKS, 1, "alg", "RS256"), "", 3, 1},
		{"duplicate kid", withMember(t, f.JWKS, 1, "kid", f.RSA.KeyID()), "two signing keys", 0, 0},
		{"short RSA key", `{"keys":[{"kty":"RSA","kid":"short","n":"AQAB","e":"AQAB"}]}`, "no usable signing key", 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			set, skipped, err := token.ParseKeySet([]byte(c.jwks), nil)
			if c.name == "no keys member" {
				if err == nil {
					t.Fatal("a document without keys was accepted")
				}
				return
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if set.Len() != c.wantKeys {
				t.Fatalf("%d keys, want %d", set.Len(), c.wantKeys)
			}
			if len(skipped) != c.wantSkipped {
				t.Fatalf("skipped %v, want %d", skipped, c.wantSkipped)
			}
		})
	}
}

func TestKeyAlgorithmIsDerivedWhenAbsent(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(f.JWKS, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.Keys {
		delete(k, "alg")
	}
	stripped, _ := json.Marshal(doc)
	set, _, err := token.ParseKeySet(stripped, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range set.Keys() {
		got[k.ID] = k.Algorithm
	}
	// PS256 cannot be told from RS256 by the key alone, so it becomes RS256.
	want := map[string]string{f.RSA.KeyID(): "RS256", f.EC.KeyID(): "ES256", f.Ed.KeyID(): "EdDSA", f.PS.KeyID(): "RS256"}
	for kid, alg := range want {
		if got[kid] != alg {
			t.Fatalf("kid %s: alg %q, want %q", kid, got[kid], alg)
		}
	}
}

func withMember(t *testing.T, jwks []byte, i int, name string, value any) string {
	t.Helper()
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		t.Fatal(err)
	}
	doc.Keys[i][name] = value
	out, _ := json.Marshal(doc)
	return string(out)
}

// jwksServer is a real HTTP server publishing a JWKS that the test can
// replace, and counting the fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(s.status)
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
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

func TestURLSourceRotation(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	srv := newJWKSServer(t, jwksOf(t, f.RSA))
	clk := clock.NewManual(t0)
	src, err := token.NewKeySource(token.SourceOptions{Source: srv.URL + "/jwks.json", Refresh: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	v := newVerifier(t, clk, func(c *token.Config) { c.Keys = src })

	oldTok, newTok := tokentest.Mint(f.RSA, t0), tokentest.Mint(f.EC, t0)
	if _, err := v.Verify(oldTok); err != nil {
		t.Fatalf("token of the published key: %v", err)
	}
	// Rotation: EC added, RSA removed.
	srv.publish(http.StatusOK, jwksOf(t, f.EC))
	if _, err := v.Verify(newTok); err != nil {
		t.Fatalf("token of the new key after an unknown-kid refetch: %v", err)
	}
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2 (start-up and one refetch)", got)
	}
	if _, err := v.Verify(oldTok); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("cached token of the removed key: %v", err)
	}
	// A flood of unknown kids within the interval causes no fetch.
	for range 50 {
		if _, err := v.Verify(tokentest.Mint(f.Stranger, t0)); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("stranger: %v", err)
		}
	}
	if got := srv.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches after a flood of unknown kids, want 2", got)
	}
	// Once the interval has passed, one more refetch is allowed.
	clk.Advance(token.DefaultRefetchInterval)
	_, _ = v.Verify(tokentest.Mint(f.Stranger, t0))
	if got := srv.fetches.Load(); got != 3 {
		t.Fatalf("%d fetches after the interval, want 3", got)
	}
}

func TestURLSourceKeepsLastGoodSet(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	srv := newJWKSServer(t, jwksOf(t, f.RSA))
	src, err := token.NewKeySource(token.SourceOptions{Source: srv.URL, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	for _, bad := range []struct {
		status int
		body   string
	}{{200, "{not json"}, {200, `{"keys":[]}`}, {500, "oops"}, {200, `{"keys":[{"kty":"oct","k":"AAAA"}]}`}} {
		srv.publish(bad.status, []byte(bad.body))
		if changed, err := src.Refresh(context.Background()); err == nil || changed {
			t.Fatalf("refresh with %d %q: changed %v, err %v", bad.status, bad.body, changed, err)
		}
		if _, err := src.Key(f.RSA.KeyID()); err != nil {
			t.Fatalf("last good key lost after a bad refresh: %v", err)
		}
	}
}

func TestFileSourcePicksUpChanges(t *testing.T) {
	t.Parallel()
	f := testFixture(t)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwksOf(t, f.RSA, f.EC), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := token.NewKeySource(token.SourceOptions{Source: path, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	if changed, err := src.Refresh(context.Background()); err != nil || changed {
		t.Fatalf("unchanged file re-read: changed %v, err %v", changed, err)
	}
	if err := os.WriteFile(path, jwksOf(t, f.EC), 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, err := src.Refresh(context.Background()); err != nil || !changed {
		t.Fatalf("changed file: changed %v, err %v", changed, err)
	}
	if _, err := src.Key(f.RSA.KeyID()); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("removed key still known: %v", err)
	}
	if _, err := src.Key(f.EC.KeyID()); err != nil {
		t.Fatalf("kept key lost: %v", err)
	}
}

func TestKeySourceStartupErrorsNameTheSource(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, []byte(`{"keys":[]}`))
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte("{"), 0o600)
	cases := []struct{ source, want string }{
		{filepath.Join(dir, "missing.json"), "missing.json: stat"},
		{bad, "bad.json: not a JSON web key set"},
		{srv.URL + "/jwks", "/jwks: the key set holds no keys"},
		{"ftp://example.com/jwks", "only file paths and http(s) URLs"},
		{"https://user:hunter2@127.0.0.1:1/jwks", "xxxxx@127.0.0.1:1/jwks"},
	}
	for _, c := range cases {
		_, err := token.NewKeySource(token.SourceOptions{Source: c.source})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("source %s: error = %v, want %q", c.source, err, c.want)
		}
	}
}
