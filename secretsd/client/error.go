package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Error codes of API.md a caller may want to act on.
const (
	CodeInvalidCredentials = "invalid_credentials"
	CodeInvalidMFA         = "invalid_mfa"
	CodeInvalidChallenge   = "invalid_challenge"
	CodeInvalidGrant       = "invalid_grant"
	CodeUnauthorized       = "unauthorized"
	CodeForbidden          = "forbidden"
	CodeNotFound           = "not_found"
	CodeConflict           = "conflict"
	CodeLastFactor         = "last_factor"
	CodeTooManyAttempts    = "too_many_attempts"
)

// maxMessage bounds the message kept from a server's error body: it ends up
// on one terminal line.
const maxMessage = 300

// Error is an error answer of secretsd: the one JSON body of internal/httperr,
// plus what the response headers said.
type Error struct {
	Status  int            `json:"status"`
	Code    string         `json:"error"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
	// RequestID is the response's X-Request-Id (the one sent when the
	// server gave none), to find the request in secretsd's log.
	RequestID string `json:"-"`
	// RetryAfter is the Retry-After of a 429 or 503, zero when absent.
	RetryAfter time.Duration `json:"-"`
}

// Error is one line: the server's message, then the status and code.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = strings.ToLower(http.StatusText(e.Status))
	}
	if msg == "" {
		msg = "error"
	}
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString(" (")
	b.WriteString(strconv.Itoa(e.Status))
	if e.Code != "" {
		b.WriteByte(' ')
		b.WriteString(e.Code)
	}
	b.WriteByte(')')
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	return b.String()
}

// DecodeError reads an error response body. It never fails: a body that is
// not the JSON error shape (a proxy's HTML page, say) yields an Error with
// the status and no code. Message and Code are cleaned to one printable line,
// since they come from the network and end up on a terminal.
func DecodeError(status int, body []byte) *Error {
	e := &Error{Status: status}
	var wire struct {
		Status  int            `json:"status"`
		Code    string         `json:"error"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	if json.Unmarshal(body, &wire) == nil {
		e.Code = oneLine(wire.Code, 64)
		e.Message = oneLine(wire.Message, maxMessage)
		e.Details = wire.Details
	}
	if e.Code == "" && e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(status))
		if e.Message == "" {
			e.Message = "unexpected status"
		}
		e.Message += " (not a secretsd error body)"
	}
	return e
}

// oneLine replaces control characters (newlines, escape sequences) by
// spaces, collapses runs of spaces and cuts the result to max runes.
func oneLine(s string, max int) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// parseRetryAfter reads delay-seconds (RFC 9110 section 10.2.3); the
// HTTP-date form is not used by secretsd and reads as zero.
func parseRetryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 86400 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// ErrorCode returns the code of a *Error in err's chain, "" if there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsCode reports whether err is a *Error with that code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
