package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
)

// The error codes of API.md.
const (
	codeInvalidRequest     = "invalid_request"
	codeInvalidJSON        = "invalid_json"
	codeBodyTooLarge       = "body_too_large"
	codeUnsupportedMedia   = "unsupported_media_type"
	codeUnauthorized       = "unauthorized"
	codeInvalidCredentials = "invalid_credentials"
	codeInvalidMFA         = "invalid_mfa"
	codeInvalidChallenge   = "invalid_challenge"
	codeInvalidGrant       = "invalid_grant"
	codeForbidden          = "forbidden"
	codeNotFound           = "not_found"
	codeMethodNotAllowed   = "method_not_allowed"
	codeConflict           = "conflict"
	codeLastFactor         = "last_factor"
	codeTooManyAttempts    = "too_many_attempts"
	codeUnavailable        = "unavailable"
	codeInternal           = "internal"
)

// errorMapping turns a service error into an answer. Message is fixed so that
// no internal detail reaches a client, except for validation errors
// (passErr), whose text is written for the user (it says what is wrong with
// their input and never holds a secret).
type errorMapping struct {
	err     error
	status  int
	code    string
	message string
	passErr bool
}

// errorTable is the one mapping from the sentinel errors of identity and mfa
// to API.md's codes, searched in order with errors.Is: the first match wins.
var errorTable = []errorMapping{
	{err: mfa.ErrTooManyAttempts, status: http.StatusTooManyRequests, code: codeTooManyAttempts,
		message: "too many failed second-factor attempts; retry later"},
	{err: identity.ErrRefreshReused, status: http.StatusUnauthorized, code: codeInvalidGrant,
		message: "the refresh token was already used; its session is revoked, log in again"},
	{err: identity.ErrInvalidCredentials, status: http.StatusUnauthorized, code: codeInvalidCredentials,
		message: "invalid username or password"},
	{err: identity.ErrInvalidChallenge, status: http.StatusUnauthorized, code: codeInvalidChallenge,
		message: "the MFA challenge is unknown, expired or already used; log in again"},
	{err: mfa.ErrInvalidCode, status: http.StatusUnauthorized, code: codeInvalidMFA,
		message: "invalid second factor"},
	{err: mfa.ErrNoFactor, status: http.StatusUnauthorized, code: codeInvalidMFA,
		message: "invalid second factor"},
	{err: identity.ErrUnauthenticated, status: http.StatusUnauthorized, code: codeUnauthorized,
		message: "missing, invalid, expired or revoked token"},
	{err: identity.ErrForbidden, status: http.StatusForbidden, code: codeForbidden,
		message: "not allowed"},
	{err: identity.ErrNotFound, status: http.StatusNotFound, code: codeNotFound,
		message: "not found"},
	{err: mfa.ErrLastFactor, status: http.StatusConflict, code: codeLastFactor,
		message: "the last second factor of a user whose role requires MFA cannot be removed"},
	{err: identity.ErrAlreadyBootstrapped, status: http.StatusConflict, code: codeConflict,
		message: "users exist already"},
	{err: identity.ErrConflict, status: http.StatusConflict, code: codeConflict,
		message: "already exists"},
	{err: mfa.ErrNameTaken, status: http.StatusConflict, code: codeConflict,
		message: "you have a second factor of that name already"},
	{err: mfa.ErrInvalidName, status: http.StatusBadRequest, code: codeInvalidRequest,
		message: mfa.ErrInvalidName.Error()},
	{err: identity.ErrInvalidInput, status: http.StatusBadRequest, code: codeInvalidRequest, passErr: true},
	{err: identity.ErrAuditFailed, status: http.StatusServiceUnavailable, code: codeUnavailable,
		message: "the audit trail is unavailable, so the action was not taken; retry later"},
	{err: mfa.ErrUnavailable, status: http.StatusServiceUnavailable, code: codeUnavailable,
		message: "second-factor state is unavailable; retry later"},
	{err: context.DeadlineExceeded, status: http.StatusServiceUnavailable, code: codeUnavailable,
		message: "the request took too long; retry later"},
}

// apiError is an answer decided by this package (decoding, routing,
// authentication), already in the wire shape.
type apiError struct {
	body    httperr.Body
	headers map[string]string
}

func (e *apiError) Error() string { return e.body.Message }

func newError(status int, code, message string) *apiError {
	return &apiError{body: httperr.Body{Status: status, Code: code, Message: message}}
}

func (e *apiError) with(key string, value any) *apiError {
	if e.body.Details == nil {
		e.body.Details = map[string]any{}
	}
	e.body.Details[key] = value
	return e
}

// errorBody maps err to its answer. ok is false for an error no entry
// matches: the caller answers 500 and logs the error, never sends it.
func errorBody(err error) (body httperr.Body, headers map[string]string, ok bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.body, ae.headers, true
	}
	for _, m := range errorTable {
		if !errors.Is(err, m.err) {
			continue
		}
		body = httperr.Body{Status: m.status, Code: m.code, Message: m.message}
		if m.passErr {
			body.Message = err.Error()
		}
		switch m.code {
		case codeTooManyAttempts:
			headers = map[string]string{"Retry-After": strconv.Itoa(retryAfterSeconds(err))}
		case codeUnauthorized:
			headers = map[string]string{"WWW-Authenticate": `Bearer realm="secretsd", error="invalid_token"`}
		}
		return body, headers, true
	}
	return httperr.Body{Status: http.StatusInternalServerError, Code: codeInternal,
		Message: "internal error; the request id in X-Request-Id finds it in the server log"}, nil, false
}

// deviceNotFound reads mfa.ErrNoFactor as "no such device" for the
// endpoints that name a device by id; elsewhere (completing a challenge) it
// means the proof failed and the table answers invalid_mfa.
func deviceNotFound(err error) error {
	if errors.Is(err, mfa.ErrNoFactor) {
		return newError(http.StatusNotFound, codeNotFound, "you have no such second factor (or it is confirmed already)")
	}
	return err
}

// retryAfterSeconds reads the wait of a *mfa.TooManyAttempts, rounded up to
// whole seconds (RFC 9110 §10.2.3 delay-seconds), at least 1.
func retryAfterSeconds(err error) int {
	var tm *mfa.TooManyAttempts
	if errors.As(err, &tm) && tm.RetryAfter > 0 {
		return int(math.Ceil(float64(tm.RetryAfter) / float64(time.Second)))
	}
	return 1
}

// writeError answers err, logging it when it is not one the table knows.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	body, headers, ok := errorBody(err)
	if !ok {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			// The client went away; nobody reads the answer.
			body = httperr.Body{Status: 499, Code: codeUnavailable, Message: "request cancelled"}
		} else {
			a.log.Error().Err(err).Str("request_id", requestIDFrom(r.Context())).
				Str("route", routeOf(r)).Msg("internal error")
		}
	}
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	if body.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" && body.Code == codeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="secretsd"`)
	}
	_ = httperr.Write(w, body)
}
