package token

import "errors"

// Kinds of verification failure. Verify returns an *Error wrapping one of
// them, so callers can test with errors.Is. Their messages are meant for the
// client: they say what is wrong without echoing the token or internals.
var (
	ErrMalformed       = errors.New("token is malformed")
	ErrTooLarge        = errors.New("token is too large")
	ErrEncrypted       = errors.New("encrypted tokens (JWE) are not accepted")
	ErrAlgorithm       = errors.New("signing algorithm is not accepted")
	ErrForbiddenHeader = errors.New("token header is not accepted")
	ErrType            = errors.New("token type is not accepted")
	ErrUnknownKey      = errors.New("signing key is unknown")
	ErrSignature       = errors.New("signature is invalid")
	ErrClaims          = errors.New("token claims are invalid")
	ErrIssuer          = errors.New("issuer is not accepted")
	ErrAudience        = errors.New("audience is not accepted")
	ErrExpired         = errors.New("token is expired")
	ErrNotYetValid     = errors.New("token is not yet valid")
	ErrIssuedInFuture  = errors.New("token is issued in the future")
)

// Error is a verification failure: a kind and a detail safe to show the
// client (it never holds token contents or library error text).
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Detail
}

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, detail string) error { return &Error{Kind: kind, Detail: detail} }
