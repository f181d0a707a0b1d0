package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/client"
)

// fake serves one handler and returns a client of it.
func fake(t *testing.T, h http.HandlerFunc, opts ...client.Option) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRefusesUnusableURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "127.0.0.1:8200", "ftp://host", "http://", "http://h/?x=1", "http://u:p@h", "http://h/#f"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := client.New("http://127.0.0.1:8200/")
	if err != nil || c.BaseURL() != "http://127.0.0.1:8200" {
		t.Fatalf("New: %v, %v", c, err)
	}
}

func TestRequestsCarryRequestIDBearerAndJSON(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body []byte
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"tokens":{"access_token":"at","token_type":"Bearer","expires_in":900,"expires_at":"2030-01-01T00:00:00Z","session_id":"s1"}}`)
	})
	ctx := client.WithRequestID(t.Context(), "req-42")
	tok, err := c.WithBearer("tok").StepUpVerify(ctx, "mfa1", client.TOTPProof("123456"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at" || tok.SessionID != "s1" || !tok.ExpiresAt.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("tokens = %+v", tok)
	}
	if got.URL.Path != "/v1/auth/step-up/verify" || got.Method != http.MethodPost {
		t.Errorf("request %s %s", got.Method, got.URL.Path)
	}
	if got.Header.Get("X-Request-Id") != "req-42" || got.Header.Get("Authorization") != "Bearer tok" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", got.Header)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["mfa_token"] != "mfa1" || m["method"] != "totp" || m["code"] != "123456" || len(m) != 3 {
		t.Errorf("body %s", body)
	}
}

func TestEveryRequestGetsItsOwnRequestID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		seen[r.Header.Get("X-Request-Id")] = true
		if r.Header.Get("Authorization") != "" {
			t.Error("unauthenticated client sent Authorization")
		}
		io.WriteString(w, `{"status":"ok","store":"ok","redis":"disabled"}`)
	})
	for range 3 {
		if _, err := c.Health(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 3 || seen[""] {
		t.Errorf("request ids %v", seen)
	}
}

func TestErrorsAreDecoded(t *testing.T) {
	t.Parallel()
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "srv-1")
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"status":429,"error":"too_many_attempts","message":"too many failed\nsecond-factor attempts","details":{"retry_after":120}}`)
	})
	_, err := c.VerifyMFA(t.Context(), "m", client.BackupCodeProof("x"))
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *client.Error", err)
	}
	if e.Status != 429 || e.Code != client.CodeTooManyAttempts || e.RequestID != "srv-1" || e.RetryAfter != 2*time.Minute || e.Details["retry_after"] != float64(120) {
		t.Errorf("error = %+v", e)
	}
	if want := "too many failed second-factor attempts (429 too_many_attempts); retry after 2m0s"; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	if !client.IsCode(err, client.CodeTooManyAttempts) || client.ErrorCode(errors.New("x")) != "" {
		t.Error("IsCode/ErrorCode")
	}
}

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"the API error shape", 401, `{"status":401,"error":"invalid_credentials","message":"invalid username or password"}`, "invalid username or password (401 invalid_credentials)"},
		{"an HTML page from a proxy", 502, `<html><body>Bad Gateway</body></html>`, "bad gateway (not a secretsd error body) (502)"},
		{"an empty body", 500, ``, "internal server error (not a secretsd error body) (500)"},
		{"an unknown status without body", 599, ``, "unexpected status (not a secretsd error body) (599)"},
		{"control characters become spaces", 400, "{\"error\":\"invalid_request\",\"message\":\"bad\\u001b[31m\\r\\nthing\\t here\"}", "bad [31m thing here (400 invalid_request)"},
		{"a code alone", 403, `{"error":"forbidden"}`, "forbidden (403 forbidden)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := client.DecodeError(tc.status, []byte(tc.body)).Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	long := client.DecodeError(400, []byte(`{"error":"x","message":"`+strings.Repeat("a", 5000)+`"}`))
	if n := len([]rune(long.Message)); n > 301 {
		t.Errorf("message kept %d runes", n)
	}
}

func TestResponsesAreBounded(t *testing.T) {
	t.Parallel()
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"users":[`)
		chunk := strings.Repeat(`{"id":"x"},`, 1000)
		for range 200 {
			io.WriteString(w, chunk)
		}
		io.WriteString(w, `{"id":"y"}]}`)
	})
	_, err := c.WithBearer("t").ListUsers(t.Context())
	if !errors.Is(err, client.ErrResponseTooLarge) {
		t.Fatalf("err = %v, want ErrResponseTooLarge", err)
	}
}

func TestRequestsTimeOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, client.WithTimeout(50*time.Millisecond))
	defer close(release)
	_, err := c.WithBearer("t").WhoAmI(t.Context())
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestContextCancellationStopsTheRequest(t *testing.T) {
	t.Parallel()
	c := fake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.WithBearer("t").Devices(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestUnexpectedSuccessStatusIsAnError(t *testing.T) {
	t.Parallel()
	c := fake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	if err := c.WithBearer("t").Logout(t.Context()); err == nil || !strings.Contains(err.Error(), "unexpected status 200") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoginAnswerMustHoldTokensOrChallenge(t *testing.T) {
	t.Parallel()
	answers := map[string]bool{
		`{"tokens":{"access_token":"a"}}`:              true,
		`{"mfa":{"mfa_token":"m","methods":["totp"]}}`: true,
		`{}`: false,
		`{"tokens":{"access_token":"a"},"mfa":{"mfa_token":"m"}}`: false,
	}
	for body, ok := range answers {
		c := fake(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
		res, err := c.Login(t.Context(), "u", "p")
		if (err == nil) != ok {
			t.Errorf("%s: res %+v, err %v", body, res, err)
		}
	}
}

func TestRevokeNeedsExactlyOneTarget(t *testing.T) {
	t.Parallel()
	var got map[string]string
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusNoContent)
	})
	for _, r := range []client.Revocation{{}, {TokenID: "a", UserID: "b"}} {
		if err := c.Revoke(t.Context(), r); err == nil {
			t.Errorf("Revoke(%+v) accepted", r)
		}
	}
	if err := c.Revoke(t.Context(), client.Revocation{SessionID: "s"}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["session_id"] != "s" {
		t.Errorf("body %v", got)
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	t.Parallel()
	var path string
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.RevokeAPIToken(t.Context(), "../users/x?y"); err != nil {
		t.Fatal(err)
	}
	if path != "/v1/tokens/..%2Fusers%2Fx%3Fy" {
		t.Errorf("path %q", path)
	}
}

func TestAPITokenTTLIsAGoDuration(t *testing.T) {
	t.Parallel()
	var got map[string]any
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"token":"pcat_x","id":"t1","name":"ci","prefix":"pcat_x","scopes":["Viewer"],"created_at":"2030-01-01T00:00:00Z"}`)
	})
	tok, err := c.CreateAPIToken(t.Context(), client.NewAPIToken{Name: "ci", Scopes: []string{"Viewer"}, TTL: 720 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got["ttl"] != "720h0m0s" || got["name"] != "ci" || tok.Token != "pcat_x" || tok.ID != "t1" {
		t.Errorf("sent %v, got %+v", got, tok)
	}
}

func TestRevocationsLongPollOutlivesTheTimeout(t *testing.T) {
	t.Parallel()
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") != "7" || r.URL.Query().Get("wait") != "200ms" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		time.Sleep(150 * time.Millisecond) // the server's long poll
		io.WriteString(w, `{"cursor":8,"entries":["j:abc:1700000000000"]}`)
	}, client.WithTimeout(100*time.Millisecond))
	b, err := c.Revocations(t.Context(), 7, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if b.Cursor != 8 || len(b.Entries) != 1 {
		t.Errorf("batch %+v", b)
	}
	if _, err := c.Revocations(t.Context(), 0, time.Minute); err == nil {
		t.Error("a wait over 30s was accepted")
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add(401, []byte(`{"status":401,"error":"invalid_credentials","message":"invalid username or password"}`))
	f.Add(429, []byte(`{"status":429,"error":"too_many_attempts","message":"x","details":{"retry_after":300}}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(400, []byte("{\"error\":\"\\u0000\",\"message\":\"\\n\\n\\u001b]0;title\\u0007\"}"))
	f.Add(0, []byte(nil))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := client.DecodeError(status, body)
		msg := e.Error()
		if strings.ContainsAny(msg, "\n\r\x1b\x00") {
			t.Fatalf("Error() not one clean line: %q", msg)
		}
		if len(msg) > 2000 {
			t.Fatalf("Error() %d bytes long", len(msg))
		}
	})
}
