// Package httperr writes the one JSON error body shape that every Portcullis
// HTTP surface (gateway handlers and secretsd) answers with.
package httperr

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Body is the JSON error document. Code is a stable, machine-readable token
// (for bearer errors it is the RFC 6750 error code); Message is for humans and
// never carries internals such as stack traces, key material or token contents.
type Body struct {
	Status  int    `json:"status"`
	Code    string `json:"error"`
	Message string `json:"message"`
	// Details carries optional, documented extra fields (decision id, step-up URL, ...).
	Details map[string]any `json:"details,omitempty"`
}

// Write sends body as the response with its status. Headers the caller set
// before (WWW-Authenticate, Retry-After, ...) are kept.
func Write(w http.ResponseWriter, body Body) error {
	buf, err := json.Marshal(body)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(buf)+1))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(body.Status)
	buf = append(buf, '\n')
	_, err = w.Write(buf)
	return err
}

// New is a convenience for Write(w, Body{...}).
func New(status int, code, message string) Body {
	return Body{Status: status, Code: code, Message: message}
}
