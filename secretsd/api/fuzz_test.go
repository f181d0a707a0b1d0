package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The request decoders meet untrusted bytes: whatever they get, they answer
// a 4xx *apiError or a value whose required fields are set, and never panic.

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"username":"a","password":"b"}`,
		`{"mfa_token":"t","method":"totp","code":"123456"}`,
		`{"mfa_token":"t","method":"webauthn","assertion":{"id":"x"}}`,
		`{"mfa_token":"t","method":"backup_code","backup_code":"abcde-fghij"}`,
		`{"handle":"h","response":null}`,
		`{"name":"ci","scopes":["Viewer"],"ttl":"24h"}`,
		`{"role":"Admin","groups":["a"],"disabled":true}`,
		`{"username":"u","password":"p","role":"Viewer","groups":null}`,
		`{"token_id":"a","user_id":"b"}`,
		`{"a":`, `[]`, `null`, `{}`, `{} {}`, `{"name":1}`, "\xff", `{"name":"\ud800"}`,
		`{"username":"a","username":"b","password":"c"}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return &loginRequest{} },
		func() any { return &proofRequest{} },
		func() any { return &refreshRequest{} },
		func() any { return &revokeRequest{} },
		func() any { return &nameRequest{} },
		func() any { return &codeRequest{} },
		func() any { return &webauthnFinishRequest{} },
		func() any { return &createTokenRequest{} },
		func() any { return &createUserRequest{} },
		func() any { return &updateUserRequest{} },
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, target := range targets {
			dst := target()
			err := decodeBytes(raw, dst)
			if err != nil {
				var ae *apiError
				if !errors.As(err, &ae) || ae.body.Status < 400 || ae.body.Status > 499 || ae.body.Code == "" || ae.body.Message == "" {
					t.Fatalf("%T: %q: error %v is not a 4xx answer", dst, raw, err)
				}
				continue
			}
			if missing := missingFields(dst); len(missing) > 0 {
				t.Fatalf("%T: %q accepted without %v", dst, raw, missing)
			}
			// What was accepted survives a round trip unchanged.
			again := target()
			b, err := json.Marshal(dst)
			if err != nil {
				t.Fatalf("%T: re-encoding %q: %v", dst, raw, err)
			}
			if err := decodeBytes(b, again); err != nil || !reflect.DeepEqual(normalizeRaw(dst), normalizeRaw(again)) {
				t.Fatalf("%T: %q → %s → %+v, %v", dst, raw, b, again, err)
			}
			// The cross-field checks never panic either.
			switch v := dst.(type) {
			case *proofRequest:
				_, _ = v.proof()
			case *revokeRequest:
				_ = v.check()
			case *createTokenRequest:
				_, _ = v.toNew()
			case *updateUserRequest:
				_, _ = v.toChange()
			}
		}
	})
}

// normalizeRaw compacts json.RawMessage fields and reads null as absent, so
// that a re-encoding that only changed white space compares equal.
func normalizeRaw(v any) any {
	rv := reflect.ValueOf(v).Elem()
	out := reflect.New(rv.Type()).Elem()
	out.Set(rv)
	for i := range out.NumField() {
		if raw, ok := out.Field(i).Interface().(json.RawMessage); ok && raw != nil {
			var b bytes.Buffer
			_ = json.Compact(&b, raw)
			var norm json.RawMessage
			if b.String() != "null" {
				norm = b.Bytes()
			}
			out.Field(i).Set(reflect.ValueOf(norm))
		}
	}
	return out.Interface()
}

func FuzzFeedQuery(f *testing.F) {
	for _, q := range []string{"after=0", "after=12&wait=25s", "wait=1h", "after=-1", "after=x", "wait=-5s", "wait=9999999999h", "after=99999999999999999999"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/v1/revocations", nil)
		r.URL.RawQuery = q
		after, wait, err := feedQuery(r, 30*time.Second)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.body.Status != 400 {
				t.Fatalf("%q: %v", q, err)
			}
			return
		}
		if after < 0 || wait < 0 || wait > 30*time.Second {
			t.Fatalf("%q accepted as after=%d wait=%s", q, after, wait)
		}
		if v, _ := url.ParseQuery(q); v.Get("after") == "" && after != 0 {
			t.Fatalf("%q: no after, cursor %d", q, after)
		}
	})
}

func FuzzSaneRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "req-1.2_3", strings.Repeat("x", 129), "gw:1", "a b", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := saneRequestID(in)
		if len(out) == 0 || len(out) > 128 {
			t.Fatalf("%q → %q", in, out)
		}
		for _, c := range []byte(out) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
				t.Fatalf("%q → %q holds %q", in, out, c)
			}
		}
	})
}
