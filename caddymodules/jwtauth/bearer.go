package jwtauth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/token"
)

// realm names the protection space in challenges (RFC 6750 §3).
const realm = "portcullis"

// failure is a refused request: its status, its RFC 6750 error code ("" when
// no token was offered, §3.1) and a description safe to show the client.
type failure struct {
	status int
	code   string
	desc   string
	// reason is the audit event's reason (auditreport.Reason*).
	reason string
}

var (
	errNoToken = &failure{http.StatusUnauthorized, "", "a bearer token is required", auditreport.ReasonUnauthenticated}
	errScheme  = &failure{http.StatusUnauthorized, "", "a bearer token is required (Authorization: Bearer <token>)", auditreport.ReasonUnauthenticated}
	errEmpty   = &failure{http.StatusUnauthorized, "invalid_token", "the bearer token is empty", auditreport.ReasonInvalidToken}
	errTwice   = &failure{http.StatusBadRequest, "invalid_request", "the request has more than one Authorization header", auditreport.ReasonInvalidRequest}
	errQuery   = &failure{http.StatusBadRequest, "invalid_request", "access tokens in the query string are not accepted; send an Authorization: Bearer header", auditreport.ReasonInvalidRequest}
)

// bearerToken extracts the token per RFC 6750 §2.1. The query-string method
// (§2.3) is refused: such tokens end up in logs and browser history.
func bearerToken(r *http.Request) (string, *failure) {
	if q := r.URL.RawQuery; q != "" && strings.Contains(q, "access_token") {
		if vals, err := url.ParseQuery(q); err != nil || vals.Has("access_token") {
			return "", errQuery
		}
	}
	vals := r.Header["Authorization"]
	switch len(vals) {
	case 0:
		return "", errNoToken
	case 1:
	default:
		return "", errTwice
	}
	scheme, tok, _ := strings.Cut(vals[0], " ")
	// The auth-scheme is case-insensitive (RFC 9110 §11.1).
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errScheme
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" {
		return "", errEmpty
	}
	return tok, nil
}

// classify maps a verification error to the response.
func (h *JWTAuth) classify(err error) *failure {
	var terr *token.Error
	switch {
	case errors.As(err, &terr):
		h.logger.Debug("bearer token refused", zap.String("reason", terr.Error()))
		return &failure{http.StatusUnauthorized, "invalid_token", terr.Error(), auditreport.ReasonInvalidToken}
	case errors.Is(err, revocation.ErrRevoked):
		h.logger.Debug("revoked bearer token refused")
		return &failure{http.StatusUnauthorized, "invalid_token", "token has been revoked", auditreport.ReasonRevoked}
	default:
		// Stale or unreadable revocation state: fail closed. The mirror logs the
		// transition once; a line per refused request would flood the log.
		h.logger.Debug("revocation state unavailable; refusing the request", zap.Error(err))
		return &failure{http.StatusServiceUnavailable, "revocation_unavailable", "token revocation state is temporarily unavailable; try again shortly", auditreport.ReasonRevocationUnavailable}
	}
}

// reject writes the challenge and the JSON body; next is not called.
func (h *JWTAuth) reject(w http.ResponseWriter, r *http.Request, f *failure) error {
	if rep := auditreport.FromContext(r.Context()); rep != nil {
		rep.Auth = &auditreport.Auth{Outcome: f.reason}
		rep.Deny("jwt_auth", f.reason)
	}
	switch {
	case f.status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	case f.code == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="`+f.code+`", error_description="`+quotable(f.desc)+`"`)
	}
	code := f.code
	if code == "" {
		code = "unauthenticated"
	}
	return httperr.Write(w, httperr.Body{Status: f.status, Code: code, Message: f.desc})
}

// quotable keeps only the characters RFC 6750 §3 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E): quotes become apostrophes.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\' || r < 0x20 || r > 0x7e:
			return -1
		}
		return r
	}, s)
}
