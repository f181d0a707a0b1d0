package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/internal/cli"
	"github.com/portcullis/portcullis/internal/cli/session"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/mfa/mfatest"
)

// These tests run the real secretsd (built from cmd/secretsd) and drive the
// CLI in process, as a user would at a terminal.

const adminPassword = "admin password for the e2e test"

// e2e is one CLI user against one secretsd.
type e2e struct {
	t    *testing.T
	srv  *testenv.Secretsd
	dir  string // the CLI's config dir
	glob []string
}

func newE2E(t *testing.T, srv *testenv.Secretsd) *e2e {
	dir := t.TempDir()
	return &e2e{t: t, srv: srv, dir: dir, glob: []string{"--server", srv.URL, "--config-dir", dir}}
}

// run executes the CLI with stdin (a string or an io.Reader).
func (e *e2e) run(stdin any, args ...string) (int, string, string) {
	e.t.Helper()
	var in io.Reader
	switch v := stdin.(type) {
	case string:
		in = strings.NewReader(v)
	case io.Reader:
		in = v
	}
	var out, errOut bytes.Buffer
	code := cli.ExecuteWithInput(append(args, e.glob...), in, &out, &errOut)
	return code, out.String(), errOut.String()
}

// ok runs a command that must succeed and returns its stdout.
func (e *e2e) ok(stdin any, args ...string) string {
	e.t.Helper()
	code, stdout, stderr := e.run(stdin, args...)
	if code != 0 {
		e.t.Fatalf("portcullis %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// fails runs a command that must fail with a one-line error containing want.
func (e *e2e) fails(want string, stdin any, args ...string) {
	e.t.Helper()
	code, stdout, stderr := e.run(stdin, args...)
	if code != 1 || stdout != "" {
		e.t.Fatalf("portcullis %s: exit %d, stdout %q (want exit 1 and nothing)", strings.Join(args, " "), code, stdout)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "portcullis: ") || !strings.Contains(stderr, want) {
		e.t.Fatalf("portcullis %s: stderr %q, want one line containing %q", strings.Join(args, " "), stderr, want)
	}
}

func (e *e2e) whoami() client.WhoAmI {
	e.t.Helper()
	var me client.WhoAmI
	if err := json.Unmarshal([]byte(e.ok("", "whoami", "-o", "json")), &me); err != nil {
		e.t.Fatalf("whoami -o json: %v", err)
	}
	return me
}

func (e *e2e) session() session.Session {
	e.t.Helper()
	s, err := session.Store{Dir: e.dir}.Load()
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// totpCode is the code of secret for the 30-second step at now+ahead.
// Codes run one step ahead of the clock, within secretsd's ±1 tolerance,
// so that a test never presents the code of a step already used (a code
// cannot be used twice).
func totpCode(t *testing.T, secret string, ahead time.Duration) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, time.Now().Add(ahead), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("generating a TOTP code: %v", err)
	}
	return code
}

// lazyInput is a stdin whose content is computed when it is first read:
// after the command printed what the input depends on (the TOTP secret).
type lazyInput struct {
	make func() string
	r    *strings.Reader
}

func (l *lazyInput) Read(p []byte) (int, error) {
	if l.r == nil {
		l.r = strings.NewReader(l.make())
	}
	return l.r.Read(p)
}

// nextSecond waits for the next whole second of the wall clock. JWT times
// (iat, auth_time) are whole seconds; there is no event to await instead.
func nextSecond() { time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) }

// registerWebAuthn registers a software authenticator for the bearer of
// accessToken, through the API (the CLI has no WebAuthn).
func registerWebAuthn(t *testing.T, server, accessToken string) {
	t.Helper()
	c, err := client.New(server)
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithBearer(accessToken)
	me, err := c.WhoAmI(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.BeginWebAuthnRegistration(t.Context(), "key")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(reg.Options))
	if err != nil {
		t.Fatal(err)
	}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(me.User.ID)})
	cred := mfatest.Credential(t)
	auth.AddCredential(cred)
	rp := virtualwebauthn.RelyingParty{Name: "Portcullis", ID: "localhost", Origin: server}
	att := virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *opts)
	if _, err := c.FinishWebAuthnRegistration(t.Context(), reg.Handle, json.RawMessage(att)); err != nil {
		t.Fatalf("registering a WebAuthn key: %v", err)
	}
}

var secretLine = regexp.MustCompile(`(?m)^Or enter this secret by hand: ([A-Z2-7]+=*)$`)

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			srv := testenv.StartSecretsd(t, testenv.SecretsdOptions{Postgres: backend.postgres})
			srv.Bootstrap("admin", adminPassword)
			endToEnd(t, srv)
		})
	}
}

func endToEnd(t *testing.T, srv *testenv.Secretsd) {
	admin := newE2E(t, srv)

	// A wrong password: one line, exit 1, and the password is not echoed.
	admin.fails("invalid_credentials", "not the password\n", "login", "--username", "admin", "--password-stdin")

	out := admin.ok(adminPassword+"\n", "login", "--username", "admin", "--password-stdin")
	if !strings.Contains(out, "Logged in to "+srv.URL+" as admin") {
		t.Fatalf("login said %q", out)
	}

	// whoami, as a table and as the API object.
	out = admin.ok("", "whoami")
	for _, want := range []string{"USERNAME   admin", "ROLE       Admin", "AMR        pwd"} {
		if !strings.Contains(out, want) {
			t.Errorf("whoami table lacks %q:\n%s", want, out)
		}
	}
	me := admin.whoami()
	if me.User.Username != "admin" || me.User.Role != "Admin" || me.SessionID != admin.session().SessionID || me.TokenID == "" {
		t.Errorf("whoami -o json = %+v", me)
	}

	// Accounts.
	out = admin.ok("alice's password, long enough\n", "users", "create", "--username", "alice", "--role", "Developer",
		"--team", "platform", "--groups", "oncall,db", "--email", "alice@example.com", "--password-stdin")
	if !strings.Contains(out, "USERNAME  alice") || !strings.Contains(out, "GROUPS    oncall,db") {
		t.Errorf("users create printed:\n%s", out)
	}
	admin.fails("409", "another password, long enough\n", "users", "create", "--username", "alice", "--role", "Viewer", "--password-stdin")
	out = admin.ok("", "users", "list")
	if !regexp.MustCompile(`(?m)^\S+\s+alice\s+Developer\s+platform\s+oncall,db\s+no\s+no\s`).MatchString(out) {
		t.Errorf("users list:\n%s", out)
	}
	var shown struct{ User client.User }
	if err := json.Unmarshal([]byte(admin.ok("", "users", "show", "alice", "-o", "json")), &shown); err != nil || shown.User.Team != "platform" {
		t.Errorf("users show alice -o json: %+v, %v", shown, err)
	}
	out = admin.ok("", "users", "update", "alice", "--role", "Operator")
	if !strings.Contains(out, "ROLE      Operator") {
		t.Errorf("users update:\n%s", out)
	}

	// TOTP: the QR code and the secret are printed, then the first code is
	// asked and confirms the device.
	var secret string
	var enrollOut bytes.Buffer
	enrollIn := &lazyInput{make: func() string {
		m := secretLine.FindStringSubmatch(enrollOut.String())
		if m == nil {
			t.Errorf("no secret in the enrollment output:\n%s", enrollOut.String())
			return "\n"
		}
		secret = m[1]
		return totpCode(t, secret, 0) + "\n"
	}}
	var enrollErr bytes.Buffer
	if code := cli.ExecuteWithInput(append([]string{"mfa", "totp", "enroll", "--name", "phone"}, admin.glob...), enrollIn, &enrollOut, &enrollErr); code != 0 {
		t.Fatalf("mfa totp enroll: %s", enrollErr.String())
	}
	if !strings.ContainsAny(enrollOut.String(), "▀▄█") || !strings.Contains(enrollOut.String(), `TOTP device "phone"`) {
		t.Errorf("enroll printed:\n%s", enrollOut.String())
	}
	out = admin.ok("", "mfa", "devices")
	if !regexp.MustCompile(`(?m)^\S+\s+totp\s+phone\s+yes\s`).MatchString(out) {
		t.Errorf("mfa devices:\n%s", out)
	}

	// Log out, and in again through the TOTP prompt.
	if out = admin.ok("", "logout"); !strings.Contains(out, "Logged out") {
		t.Errorf("logout said %q", out)
	}
	admin.fails("not logged in", "", "whoami")
	admin.ok(adminPassword+"\n"+totpCode(t, secret, 30*time.Second)+"\n", "login", "--username", "admin", "--password-stdin")
	if me := admin.whoami(); len(me.AMR) < 2 {
		t.Errorf("amr after a TOTP login = %v, want pwd and a second factor", me.AMR)
	}

	// token prints the access token; --refresh rotates it.
	tok := strings.TrimSpace(admin.ok("", "token"))
	if tok != admin.session().AccessToken || strings.Count(tok, ".") != 2 {
		t.Errorf("token printed %q", tok)
	}
	oldRefresh := admin.session().RefreshToken
	refreshed := strings.TrimSpace(admin.ok("", "token", "--refresh"))
	if refreshed == tok || admin.session().RefreshToken == oldRefresh {
		t.Error("token --refresh kept the old tokens")
	}
	admin.whoami()

	// Backup codes: shown once, each works once.
	var codesOut, codesErr bytes.Buffer
	if code := cli.ExecuteWithInput(append([]string{"mfa", "backup-codes"}, admin.glob...), strings.NewReader(""), &codesOut, &codesErr); code != 0 {
		t.Fatal(codesErr.String())
	}
	codes := strings.Fields(codesOut.String())
	if len(codes) != 10 || !strings.Contains(codesErr.String(), "shown only now") {
		t.Fatalf("backup codes: %q (stderr %q)", codes, codesErr.String())
	}
	if out = admin.ok("", "mfa", "devices"); !strings.Contains(out, "Backup codes left: 10") {
		t.Errorf("mfa devices:\n%s", out)
	}
	admin.ok("", "logout")
	admin.ok(adminPassword+"\n"+codes[0]+"\n", "login", "--username", "admin", "--password-stdin")
	admin.ok("", "logout")
	admin.fails("invalid_mfa", adminPassword+"\n"+codes[0]+"\n", "login", "--username", "admin", "--password-stdin")
	admin.ok(adminPassword+"\n", "login", "--username", "admin", "--password-stdin", "--backup-code", codes[1])

	// Step-up with a second factor: a new access token, fresh auth_time.
	before := admin.whoami()
	nextSecond() // auth_time has a resolution of one second
	out = admin.ok("", "step-up", "--backup-code", codes[2])
	after := admin.whoami()
	if !strings.HasPrefix(out, "Stepped up") || !after.AuthTime.After(before.AuthTime) || after.SessionID != before.SessionID {
		t.Errorf("step-up: %q; auth_time %s -> %s", out, before.AuthTime, after.AuthTime)
	}

	// API tokens: the value once, listed without it, usable, revocable.
	var created client.CreatedAPIToken
	if err := json.Unmarshal([]byte(admin.ok("", "tokens", "create", "--name", "ci", "--ttl", "1h", "-o", "json")), &created); err != nil || created.Token == "" || created.ID == "" {
		t.Fatalf("tokens create: %+v, %v", created, err)
	}
	out = admin.ok("", "tokens", "list")
	if !strings.Contains(out, created.ID) || !strings.Contains(out, "ci") || strings.Contains(out, created.Token) {
		t.Errorf("tokens list:\n%s", out)
	}
	api, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if me, err := api.WithBearer(created.Token).WhoAmI(t.Context()); err != nil || !me.APIToken || me.User.Username != "admin" {
		t.Errorf("whoami with the API token: %+v, %v", me, err)
	}
	admin.ok("", "tokens", "revoke", created.ID)
	if _, err := api.WithBearer(created.Token).WhoAmI(t.Context()); !client.IsCode(err, client.CodeUnauthorized) {
		t.Errorf("a revoked API token still works: %v", err)
	}

	// Key rotation: the new key and the old one are both published.
	if out = admin.ok("", "keys", "rotate"); !strings.HasPrefix(out, "Signing with new key ") {
		t.Errorf("keys rotate said %q", out)
	}
	jwks, err := api.JWKS(t.Context())
	if err != nil || strings.Count(string(jwks), `"kid"`) < 2 {
		t.Errorf("JWKS after rotation: %s, %v", jwks, err)
	}

	// Disabling an account ends its logins.
	alice := newE2E(t, srv)
	alice.ok("alice's password, long enough\n", "login", "--username", "alice", "--password-stdin")
	admin.ok("", "users", "disable", "alice")
	alice.fails("", "", "whoami")
	alice.fails("invalid_credentials", "alice's password, long enough\n", "login", "--username", "alice", "--password-stdin")
	admin.ok("", "users", "enable", "alice")
	// Disabling revoked every token of alice issued before that instant;
	// a token's iat has a resolution of one second, so one issued in the
	// same second reads as issued before it. Log in again in the next.
	nextSecond()
	alice.ok("alice's password, long enough\n", "login", "--username", "alice", "--password-stdin")

	// Revoking one's own session logs out.
	out = alice.ok("", "revoke", "--session-id", alice.session().SessionID)
	if !strings.Contains(out, "Revoked session") {
		t.Errorf("revoke said %q", out)
	}
	alice.fails("not logged in", "", "whoami")

	// alice's own factors: enroll now, confirm later, remove.
	alice.ok("alice's password, long enough\n", "login", "--username", "alice", "--password-stdin")
	out = alice.ok("", "mfa", "totp", "enroll", "--name", "tablet", "--no-confirm")
	m, id := secretLine.FindStringSubmatch(out), regexp.MustCompile(`confirm (\S+)\n`).FindStringSubmatch(out)
	if m == nil || id == nil {
		t.Fatalf("enroll --no-confirm printed:\n%s", out)
	}
	alice.fails("invalid", "", "mfa", "totp", "confirm", id[1], "--code", "000000")
	alice.ok("", "mfa", "totp", "confirm", id[1], "--code", totpCode(t, m[1], 0))
	alice.ok("", "mfa", "devices", "remove", id[1])
	if out = alice.ok("", "mfa", "devices", "-o", "json"); !strings.Contains(out, `"devices": []`) {
		t.Errorf("devices after removal:\n%s", out)
	}

	// A WebAuthn key as the only factor: the CLI says it cannot use it.
	registerWebAuthn(t, srv.URL, alice.session().AccessToken)
	alice.ok("", "logout")
	alice.fails("WebAuthn security key, which needs a browser", "alice's password, long enough\n", "login", "--username", "alice", "--password-stdin")
	admin.ok("", "users", "reset-mfa", "alice")
	alice.ok("alice's password, long enough\n", "login", "--username", "alice", "--password-stdin")

	// Revoking a user's tokens, and one token.
	admin.ok("", "revoke", "--user-id", alice.whoami().User.ID)
	alice.fails("401", "", "whoami")
	me = admin.whoami()
	admin.ok("", "revoke", "--token-id", me.TokenID)
	admin.fails("401", "", "whoami")
	admin.ok("", "token", "--refresh") // the session lives on: a new access token

	// A refresh token presented twice ends the whole session.
	spent := admin.session().RefreshToken
	admin.ok("", "token", "--refresh")
	if _, err := api.Refresh(t.Context(), spent); !client.IsCode(err, client.CodeInvalidGrant) {
		t.Fatalf("reusing a refresh token: %v, want invalid_grant", err)
	}
	admin.fails("the session has ended", "", "token", "--refresh")
}
