package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/store"
)

// endpoint is one POST or PATCH of API.md with a body that would be valid.
type endpoint struct {
	method, path string
	auth         bool
	valid        map[string]any // nil: the endpoint takes no body
	wrongType    string         // a field to send with the wrong JSON type
	required     []string       // the fields a body without them must name
}

func endpoints(userID string) []endpoint {
	proof := map[string]any{"mfa_token": "mfa_x", "method": "totp", "code": "123456"}
	return []endpoint{
		{"POST", "/v1/auth/login", false, map[string]any{"username": "admin", "password": adminPassword}, "password", []string{"username", "password"}},
		{"POST", "/v1/auth/mfa/verify", false, proof, "code", []string{"mfa_token", "method"}},
		{"POST", "/v1/auth/refresh", false, map[string]any{"refresh_token": "prt_x"}, "refresh_token", []string{"refresh_token"}},
		{"POST", "/v1/auth/logout", true, nil, "", nil},
		{"POST", "/v1/auth/step-up", true, nil, "", nil},
		{"POST", "/v1/auth/step-up/verify", true, proof, "mfa_token", []string{"mfa_token", "method"}},
		{"POST", "/v1/auth/revoke", true, map[string]any{"user_id": userID}, "user_id", []string{"token_id", "session_id", "user_id"}},
		{"POST", "/v1/mfa/totp", true, map[string]any{"name": "phone"}, "name", []string{"name"}},
		{"POST", "/v1/mfa/totp/some-device/confirm", true, map[string]any{"code": "123456"}, "code", []string{"code"}},
		{"POST", "/v1/mfa/webauthn/register", true, map[string]any{"name": "key"}, "name", []string{"name"}},
		{"POST", "/v1/mfa/webauthn/register/finish", true, map[string]any{"handle": "h", "response": map[string]any{"id": "x"}}, "handle", []string{"handle", "response"}},
		{"POST", "/v1/mfa/backup-codes", true, nil, "", nil},
		{"POST", "/v1/tokens", true, map[string]any{"name": "ci", "scopes": []string{"Viewer"}, "ttl": "24h"}, "scopes", []string{"name"}},
		{"POST", "/v1/users", true, map[string]any{"username": "newbie", "password": "newbie-password-1", "role": "Viewer"}, "role", []string{"username", "password", "role"}},
		{"PATCH", "/v1/users/" + userID, true, map[string]any{"disabled": true, "role": "Viewer"}, "disabled", []string{"role", "team", "groups", "disabled", "password"}},
		{"POST", "/v1/users/" + userID + "/mfa/reset", true, nil, "", nil},
		{"POST", "/v1/keys/rotate", true, nil, "", nil},
	}
}

// badInput is one class of bad request.
type badInput struct {
	name        string
	contentType string
	body        func(e endpoint) []byte // nil: the class does not apply
	chunked     bool                    // hide the length, so only the reader's limit catches it
	status      int
	code        string
	mentions    func(e endpoint) []string
}

func badInputs() []badInput {
	withValid := func(change func(m map[string]any)) func(e endpoint) []byte {
		return func(e endpoint) []byte {
			m := map[string]any{}
			for k, v := range e.valid {
				m[k] = v
			}
			change(m)
			b, _ := json.Marshal(m)
			return b
		}
	}
	huge := strings.Repeat("a", 70<<10)
	return []badInput{
		{name: "malformed JSON", contentType: "application/json", status: 400, code: "invalid_json",
			body: func(endpoint) []byte { return []byte(`{"name": "x",`) }},
		{name: "not an object", contentType: "application/json", status: 400, code: "invalid_json",
			body: func(endpoint) []byte { return []byte(`["x"]`) }},
		{name: "trailing data", contentType: "application/json", status: 400, code: "invalid_json",
			body: func(e endpoint) []byte {
				return append(withValid(func(map[string]any) {})(e), []byte(` {"again":1}`)...)
			}},
		{name: "oversized body", contentType: "application/json", status: 413, code: "body_too_large",
			body: withValid(func(m map[string]any) { m["padding"] = huge })},
		{name: "oversized body without a length", contentType: "application/json", status: 413, code: "body_too_large", chunked: true,
			body: withValid(func(m map[string]any) { m["padding"] = huge })},
		{name: "unknown field", contentType: "application/json", status: 400, code: "invalid_request",
			body:     withValid(func(m map[string]any) { m["is_admin"] = true }),
			mentions: func(endpoint) []string { return []string{"is_admin"} }},
		{name: "wrong type", contentType: "application/json", status: 400, code: "invalid_request",
			body: func(e endpoint) []byte {
				if e.wrongType == "" {
					return nil
				}
				return withValid(func(m map[string]any) {
					if _, isString := m[e.wrongType].(string); isString {
						m[e.wrongType] = 12345
					} else {
						m[e.wrongType] = "not-this-type"
					}
				})(e)
			},
			mentions: func(e endpoint) []string { return []string{e.wrongType} }},
		{name: "missing required fields", contentType: "application/json", status: 400, code: "invalid_request",
			body: func(e endpoint) []byte {
				if e.valid == nil {
					return nil
				}
				return withValid(func(m map[string]any) {
					for _, f := range e.required {
						delete(m, f)
					}
				})(e)
			},
			mentions: func(e endpoint) []string { return e.required }},
		{name: "wrong content type", contentType: "text/plain", status: 415, code: "unsupported_media_type",
			body: withValid(func(map[string]any) {})},
		{name: "no content type", contentType: "", status: 415, code: "unsupported_media_type",
			body: withValid(func(map[string]any) {})},
		{name: "JSON in another charset", contentType: "application/json; charset=latin1", status: 415, code: "unsupported_media_type",
			body: withValid(func(map[string]any) {})},
	}
}

// TestEveryBadInputIsRefusedAndChangesNothing sends every class of bad
// request to every POST and PATCH endpoint: each gets its 4xx JSON error,
// and the store is exactly as it was.
func TestEveryBadInputIsRefusedAndChangesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		dev := h.createUser(admin.AccessToken, "dev", "Developer")
		before := h.snapshot()

		for _, e := range endpoints(dev.ID) {
			for _, bad := range badInputs() {
				body := bad.body(e)
				if body == nil {
					continue
				}
				t.Run(e.method+" "+e.path+": "+bad.name, func(t *testing.T) {
					token := ""
					if e.auth {
						token = admin.AccessToken
					}
					r := h.send(e.method, e.path, token, bad.contentType, body, bad.chunked)
					m := wantError(t, r, bad.status, bad.code)
					if bad.mentions != nil {
						for _, field := range bad.mentions(e) {
							if !strings.Contains(m["message"].(string), field) {
								t.Errorf("message %q does not name %q", m["message"], field)
							}
						}
					}
					if after := h.snapshot(); !reflect.DeepEqual(before, after) {
						t.Fatalf("the store changed:\nbefore %+v\nafter  %+v", before, after)
					}
				})
			}
		}
		// The admin's session survived every refused logout, and the
		// snapshot does see a change that is made.
		if _, err := h.as(admin.AccessToken).WhoAmI(h.ctx()); err != nil {
			t.Fatalf("admin token after the bad requests: %v", err)
		}
		h.createUser(admin.AccessToken, "control", "Viewer")
		if reflect.DeepEqual(before, h.snapshot()) {
			t.Fatal("the snapshot did not see a user being created")
		}
	})
}

// send is request with an optional body of unknown length (chunked).
func (h *harness) send(method, path, token, contentType string, body []byte, chunked bool) response {
	h.t.Helper()
	if !chunked {
		return h.request(method, path, token, contentType, body)
	}
	req, err := http.NewRequestWithContext(h.ctx(), method, h.URL+path, io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
