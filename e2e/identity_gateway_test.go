package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
)

const (
	adminPassword = "correct horse battery staple"
	alicePassword = "alice's long passphrase 42"
)

// deployment is one way of running the two programs together.
type deployment struct {
	name     string
	postgres bool // secretsd on PostgreSQL instead of SQLite
	redis    bool // revocations through Redis instead of secretsd's feed
}

var deployments = []deployment{
	{name: "sqlite, no redis (revocation feed)"},
	{name: "postgres, redis", postgres: true, redis: true},
}

// stack is a running secretsd and a gateway that trusts it.
type stack struct {
	secretsd *testenv.Secretsd
	gateway  string
	anon     *client.Client
}

func startStack(t *testing.T, d deployment) *stack {
	t.Helper()
	opts := testenv.SecretsdOptions{Postgres: d.postgres}
	var redisURL string
	if d.redis {
		// A private Redis: the revocation set of a shared one would leak
		// between tests.
		redisURL = testenv.StartRedis(t).URL()
		opts.RedisURL = redisURL
	}
	sd := testenv.StartSecretsd(t, opts)
	sd.Bootstrap("admin", adminPassword)

	root := testenv.RepoRoot(t)
	caddyfile, err := os.ReadFile(filepath.Join(root, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	upstream := testenv.Upstream(t)
	feed := "revocation_feed " + sd.URL + "/v1/revocations"
	if d.redis {
		feed = "redis " + redisURL
	}
	// The repository's own Caddyfile, pointed at this secretsd: what
	// operators run is what is tested.
	cf := strings.NewReplacer(
		"{$PORTCULLIS_JWKS:http://127.0.0.1:8200/.well-known/jwks.json}", sd.URL+"/.well-known/jwks.json",
		"revocation_feed {$PORTCULLIS_REVOCATION_FEED:http://127.0.0.1:8200/v1/revocations}", feed,
		"{$PORTCULLIS_LISTEN::8080}", fmt.Sprintf("http://127.0.0.1:%d", port),
		"{$PORTCULLIS_UPSTREAM:127.0.0.1:9000}", strings.TrimPrefix(upstream.URL, "http://"),
		"{$PORTCULLIS_STEP_UP_URL:http://localhost:8200/v1/auth/step-up}", sd.URL+"/v1/auth/step-up",
		"./policies", filepath.Join(root, "policies"),
	).Replace(string(caddyfile))
	if !strings.Contains(cf, sd.URL+"/.well-known/jwks.json") || !strings.Contains(cf, feed) {
		t.Fatalf("the repository Caddyfile no longer has the jwks and revocation_feed lines this test replaces:\n%s", cf)
	}
	testenv.StartCaddy(t, cf)

	anon, err := client.New(sd.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{secretsd: sd, gateway: fmt.Sprintf("http://127.0.0.1:%d", port), anon: anon}
}

// call sends one request through the gateway and returns its status and
// JSON error code (empty on success).
func (s *stack) call(t *testing.T, method, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.gateway+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body.Error
}

// refusedWithinASecond polls the gateway until the token is refused; the
// deadline is the requirement (a revocation reaches every gateway within one
// second), not a guess at how long it takes.
func (s *stack) refusedWithinASecond(t *testing.T, token string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		status, code := s.call(t, "GET", "/api/projects", token)
		if status == http.StatusUnauthorized {
			if code != "invalid_token" && code != "unauthenticated" {
				t.Logf("revoked token refused with code %q", code)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked token still passes the gateway after 1s (status %d)", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func login(t *testing.T, c *client.Client, username, password string) client.Tokens {
	t.Helper()
	res, err := c.Login(context.Background(), username, password)
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	if res.Tokens == nil {
		t.Fatalf("login %s: got an MFA challenge, want tokens", username)
	}
	return *res.Tokens
}

// totpCode is the code of secret for the step that contains at.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestLoginStepUpAndRevocationThroughTheGateway is the user's journey of
// issue 3 across both programs: log in, call the API through the gateway, be
// asked for a second factor on a change, step up with TOTP, pass, log in
// again with TOTP, log out and be refused within a second.
func TestLoginStepUpAndRevocationThroughTheGateway(t *testing.T) {
	t.Parallel()
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := startStack(t, d)

			admin := s.anon.WithBearer(login(t, s.anon, "admin", adminPassword).AccessToken)
			if _, err := admin.CreateUser(ctx, client.NewUser{Username: "alice", Password: alicePassword, Role: "Developer", Team: "platform"}); err != nil {
				t.Fatalf("create alice: %v", err)
			}

			// Password only: reads pass, changes get the RFC 9470 challenge.
			pwd := login(t, s.anon, "alice", alicePassword)
			if status, code := s.call(t, "GET", "/api/projects", pwd.AccessToken); status != 200 {
				t.Fatalf("GET with a secretsd token: %d %s", status, code)
			}
			if status, code := s.call(t, "POST", "/api/teams/platform/projects", pwd.AccessToken); status != 401 || code != "insufficient_user_authentication" {
				t.Fatalf("POST without MFA: %d %q, want 401 insufficient_user_authentication", status, code)
			}

			// Enrol TOTP, then step up with the next step's code (the
			// confirming code cannot be used twice; ±1 step is accepted).
			alice := s.anon.WithBearer(pwd.AccessToken)
			enr, err := alice.EnrollTOTP(ctx, "phone")
			if err != nil {
				t.Fatalf("enroll totp: %v", err)
			}
			now := time.Now()
			if _, err := alice.ConfirmTOTP(ctx, enr.Device.ID, totpCode(t, enr.Secret, now)); err != nil {
				t.Fatalf("confirm totp: %v", err)
			}
			ch, err := alice.StepUp(ctx)
			if err != nil {
				t.Fatalf("step-up: %v", err)
			}
			stepped, err := alice.StepUpVerify(ctx, ch.MFAToken, client.TOTPProof(totpCode(t, enr.Secret, now.Add(30*time.Second))))
			if err != nil {
				t.Fatalf("step-up verify: %v", err)
			}
			if status, code := s.call(t, "POST", "/api/teams/platform/projects", stepped.AccessToken); status != 200 {
				t.Fatalf("POST after step-up: %d %q, want 200", status, code)
			}

			// A new login now asks for the second factor. Both TOTP codes
			// within reach (±1 step) are spent, so it is completed with a
			// backup code (the CLI tests log in with TOTP).
			codes, err := alice.GenerateBackupCodes(ctx)
			if err != nil || len(codes) != 10 {
				t.Fatalf("backup codes: %d, %v", len(codes), err)
			}
			res, err := s.anon.Login(ctx, "alice", alicePassword)
			if err != nil || res.MFA == nil || !res.MFA.Offers(client.MethodTOTP) || !res.MFA.Offers(client.MethodBackupCode) {
				t.Fatalf("login with TOTP enrolled: %+v, %v; want a totp and backup_code challenge", res, err)
			}
			mfaTokens, err := s.anon.VerifyMFA(ctx, res.MFA.MFAToken, client.BackupCodeProof(codes[0]))
			if err != nil {
				t.Fatalf("verify mfa: %v", err)
			}
			if status, code := s.call(t, "POST", "/api/teams/platform/projects", mfaTokens.AccessToken); status != 200 {
				t.Fatalf("POST with a TOTP login: %d %q", status, code)
			}

			// Logout revokes the session: the gateway refuses its token
			// within a second, while the other session still works.
			if err := s.anon.WithBearer(mfaTokens.AccessToken).Logout(ctx); err != nil {
				t.Fatalf("logout: %v", err)
			}
			s.refusedWithinASecond(t, mfaTokens.AccessToken)
			if status, _ := s.call(t, "GET", "/api/projects", stepped.AccessToken); status != 200 {
				t.Fatalf("the other session's token is refused too: %d", status)
			}

			// An admin revokes every token of the user.
			me, err := alice.WhoAmI(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := admin.Revoke(ctx, client.Revocation{UserID: me.User.ID}); err != nil {
				t.Fatalf("admin revokes alice: %v", err)
			}
			s.refusedWithinASecond(t, stepped.AccessToken)
		})
	}
}

// A refresh token is single use: presenting a spent one revokes the whole
// family, so the thief's and the victim's newer tokens stop working, at the
// gateway too.
func TestRefreshReuseRevokesTheFamilyAtTheGateway(t *testing.T) {
	t.Parallel()
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := startStack(t, d)
			first := login(t, s.anon, "admin", adminPassword)
			second, err := s.anon.Refresh(ctx, first.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if second.RefreshToken == first.RefreshToken || second.SessionID != first.SessionID {
				t.Fatalf("refresh did not rotate within the session: %+v", second)
			}
			if status, _ := s.call(t, "GET", "/api/projects", second.AccessToken); status != 200 {
				t.Fatalf("refreshed token refused: %d", status)
			}
			_, err = s.anon.Refresh(ctx, first.RefreshToken)
			if !client.IsCode(err, "invalid_grant") {
				t.Fatalf("reusing a refresh token: %v, want invalid_grant", err)
			}
			if _, err := s.anon.Refresh(ctx, second.RefreshToken); !client.IsCode(err, "invalid_grant") {
				t.Fatalf("the family's newest refresh token still works after reuse: %v", err)
			}
			s.refusedWithinASecond(t, second.AccessToken)
		})
	}
}
