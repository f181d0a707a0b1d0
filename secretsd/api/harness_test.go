package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/config"
	"github.com/portcullis/portcullis/secretsd/server"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// The end-to-end tests run the real services (server.New) on a real SQLite
// file and a real PostgreSQL schema, behind a real listener, with a manual
// clock so that TOTP codes are computed, never waited for.

const adminPassword = "correct horse battery staple"

// harness is one running secretsd.
type harness struct {
	t      *testing.T
	URL    string
	Client *client.Client // no bearer; use as(token)
	Clock  *clock.Manual
	Server *server.Server
	Store  store.Store
	// AuditDir is the trail root (every writer's chains).
	AuditDir string
	logs     *testenv.LogBuffer

	watchMu sync.Mutex
	watch   map[string][]chan struct{} // path -> closed when a request for it reaches the API
}

// eachStore runs fn on SQLite and on PostgreSQL.
func eachStore(t *testing.T, fn func(t *testing.T, sc store.Config)) {
	t.Parallel()
	storetest.EachConfig(t, func(t *testing.T, sc store.Config) {
		t.Parallel()
		fn(t, sc)
	})
}

// start runs a secretsd on sc; mutate adjusts its configuration.
func start(t *testing.T, sc store.Config, mutate ...func(*config.Config)) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	key := make([]byte, 32)
	_, _ = rand.Read(key)

	cfg := config.Default()
	cfg.Server.Listen = ln.Addr().String()
	cfg.Storage = config.Storage{Driver: sc.Driver, Path: sc.Path, DSN: sc.DSN, Schema: sc.Schema, MaxOpenConns: sc.MaxOpenConns}
	cfg.KMS.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.MFA.WebAuthnOrigins = []string{url}
	// OWASP's minimum: the tests log in often.
	cfg.Password = config.Password{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}
	cfg.Log.Level = "debug"
	cfg.Audit = cfg.Audit.Under(t.TempDir())
	cfg.Audit.IndexInterval = time.Hour // queries sync the index themselves
	for _, m := range mutate {
		m(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}

	h := &harness{t: t, URL: url, logs: &testenv.LogBuffer{}, watch: map[string][]chan struct{}{},
		Clock: clock.NewManual(time.Now().UTC().Truncate(time.Second))}
	log := zerolog.New(h.logs).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h.Server, err = server.New(ctx, cfg, log, server.WithClock(h.Clock))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	h.Store = h.Server.Services().Store
	h.AuditDir = cfg.Audit.Dir

	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.entered(r.URL.Path)
		h.Server.Handler().ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		_ = hs.Close()
		_ = h.Server.Close()
		if t.Failed() {
			t.Logf("secretsd log:\n%s", h.logs.String())
		}
	})
	h.Client, err = client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// entered signals the watchers of path.
func (h *harness) entered(path string) {
	h.watchMu.Lock()
	defer h.watchMu.Unlock()
	for _, ch := range h.watch[path] {
		close(ch)
	}
	delete(h.watch, path)
}

// reached returns a channel closed when the next request for path reaches
// the API: a test awaits it instead of sleeping.
func (h *harness) reached(path string) <-chan struct{} {
	h.watchMu.Lock()
	defer h.watchMu.Unlock()
	ch := make(chan struct{})
	h.watch[path] = append(h.watch[path], ch)
	return ch
}

func (h *harness) as(token string) *client.Client { return h.Client.WithBearer(token) }

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	h.t.Cleanup(cancel)
	return ctx
}

// bootstrapAdmin creates the first Admin and logs it in (no factor yet:
// password only).
func (h *harness) bootstrapAdmin() (client.User, client.Tokens) {
	h.t.Helper()
	u, err := h.Server.Services().Identity.Bootstrap(h.ctx(), "admin", adminPassword)
	if err != nil {
		h.t.Fatalf("bootstrap: %v", err)
	}
	return client.User{ID: u.ID, Username: u.Username, Role: string(u.Role)}, h.login("admin", adminPassword)
}

// login logs in a user that has no second factor.
func (h *harness) login(username, password string) client.Tokens {
	h.t.Helper()
	res, err := h.Client.Login(h.ctx(), username, password)
	if err != nil {
		h.t.Fatalf("login %s: %v", username, err)
	}
	if res.Tokens == nil {
		h.t.Fatalf("login %s: a challenge, want tokens", username)
	}
	return *res.Tokens
}

// createUser creates a user through the API as the admin and returns it.
func (h *harness) createUser(adminToken, username, role string) client.User {
	h.t.Helper()
	u, err := h.as(adminToken).CreateUser(h.ctx(), client.NewUser{Username: username, Password: username + "-password-1", Role: role, Team: "platform"})
	if err != nil {
		h.t.Fatalf("creating %s: %v", username, err)
	}
	return u
}

// enrolTOTP adds and confirms a TOTP device and returns its secret. It
// moves the clock to the next time step, so that the code it used is spent.
func (h *harness) enrolTOTP(token string) string {
	h.t.Helper()
	e, err := h.as(token).EnrollTOTP(h.ctx(), "phone")
	if err != nil {
		h.t.Fatalf("enrolling TOTP: %v", err)
	}
	if _, err := h.as(token).ConfirmTOTP(h.ctx(), e.Device.ID, h.code(e.Secret)); err != nil {
		h.t.Fatalf("confirming TOTP: %v", err)
	}
	h.Clock.Advance(30 * time.Second)
	return e.Secret
}

// code is the TOTP code of secret at the manual clock, computed by
// pquerna/otp independently of the server.
func (h *harness) code(secret string) string {
	h.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, h.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// response is a raw answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// request sends a raw request. contentType "" sends none.
func (h *harness) request(method, path, token, contentType string, body []byte, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(h.ctx(), method, h.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// wantError checks an answer is the one JSON error shape with this status
// and code.
func wantError(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON: %s", ct, r.Body)
	}
	m := r.json(t)
	if m["status"] != float64(status) || m["error"] != code {
		t.Fatalf("error body %s, want status %d and error %q", r.Body, status, code)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Fatalf("error body %s has no message", r.Body)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id")
	}
	return m
}

// wantCode checks err is a *client.Error with the code.
func wantCode(t *testing.T, err error, code string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return e
}

// snapshot is everything stored about users: a bad request must leave it
// exactly as it was.
type snapshot struct {
	Users       []store.User
	Devices     map[string][]store.Device
	Sessions    map[string][]store.Session
	BackupCodes map[string]int
	APITokens   []store.APIToken
	SigningKeys []store.SigningKey
	Revocations []store.Revocation
}

func (h *harness) snapshot() snapshot {
	h.t.Helper()
	ctx, now := h.ctx(), h.Clock.Now()
	s := snapshot{Devices: map[string][]store.Device{}, Sessions: map[string][]store.Session{}, BackupCodes: map[string]int{}}
	var err error
	must := func(e error) {
		if e != nil {
			h.t.Fatalf("snapshot: %v", e)
		}
	}
	s.Users, err = h.Store.ListUsers(ctx)
	must(err)
	for _, u := range s.Users {
		s.Devices[u.ID], err = h.Store.ListDevices(ctx, u.ID)
		must(err)
		s.Sessions[u.ID], err = h.Store.ListSessions(ctx, u.ID, now)
		must(err)
		s.BackupCodes[u.ID], err = h.Store.CountBackupCodes(ctx, u.ID)
		must(err)
	}
	s.APITokens, err = h.Store.ListAPITokens(ctx, "")
	must(err)
	s.SigningKeys, err = h.Store.ListSigningKeys(ctx)
	must(err)
	s.Revocations, err = h.Store.RevocationsAfter(ctx, 0, now, 10000)
	must(err)
	return s
}

// sqliteConfig is a fresh SQLite store for tests that need no PostgreSQL run.
func sqliteConfig(t *testing.T) store.Config { return storetest.SQLiteConfig(t) }
