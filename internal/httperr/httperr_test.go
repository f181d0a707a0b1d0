package httperr_test

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/portcullis/portcullis/internal/httperr"
)

func TestWriteSendsTheOneErrorShape(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	w.Header().Set("Retry-After", "3") // headers set before are kept
	body := httperr.Body{Status: 429, Code: "rate_limited", Message: "too many requests", Details: map[string]any{"zone": "per_ip"}}
	if err := httperr.Write(w, body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 429 || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	for name, want := range map[string]string{
		"Content-Type":           "application/json; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         strconv.Itoa(w.Body.Len()),
	} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if got["status"] != float64(429) || got["error"] != "rate_limited" || got["message"] != "too many requests" {
		t.Fatalf("body = %v", got)
	}
	if d, _ := got["details"].(map[string]any); d["zone"] != "per_ip" {
		t.Fatalf("details = %v", got["details"])
	}
}

func TestNewOmitsDetails(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	_ = httperr.Write(w, httperr.New(401, "unauthenticated", "a bearer token is required"))
	if want := `{"status":401,"error":"unauthenticated","message":"a bearer token is required"}` + "\n"; w.Body.String() != want {
		t.Fatalf("body = %q, want %q", w.Body.String(), want)
	}
}
