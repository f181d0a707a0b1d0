package token

import "strings"

// header is what the verifier reads from the JOSE header (RFC 7515 §4.1).
type header struct {
	alg, kid, typ string
}

// parseHeader reads the protected header and refuses every member that would
// let the token choose its own key or change how it must be processed.
func parseHeader(data []byte) (header, error) {
	var h header
	var hasAlg bool
	err := walkObject(data, func(name, value []byte) error {
		switch string(name) {
		case "alg":
			s, ok := jsonString(value)
			if !ok {
				return fail(ErrMalformed, `header "alg" is not a string`)
			}
			h.alg, hasAlg = s, true
		case "kid":
			s, ok := jsonString(value)
			if !ok {
				return fail(ErrMalformed, `header "kid" is not a string`)
			}
			h.kid = s
		case "typ":
			s, ok := jsonString(value)
			if !ok {
				return fail(ErrMalformed, `header "typ" is not a string`)
			}
			h.typ = s
		case "cty":
			// A nested JWT (RFC 7519 §5.2) would make the verified claims
			// someone else's token: never accepted.
			if s, _ := jsonString(value); strings.EqualFold(s, "JWT") {
				return fail(ErrForbiddenHeader, `nested tokens (cty "JWT") are not accepted`)
			}
		case "jwk", "jku", "x5u", "x5c":
			// RFC 8725 §3.10: keys named or carried by the token itself
			// are attacker-chosen; only the configured key set counts.
			return fail(ErrForbiddenHeader, `header "`+string(name)+`" is not accepted; keys come only from the configured key set`)
		case "crit":
			// RFC 7515 §4.1.11: extensions listed in crit must be understood;
			// we understand none.
			return fail(ErrForbiddenHeader, `header "crit" lists extensions that are not supported`)
		case "b64":
			// RFC 7797 unencoded payloads are not supported.
			return fail(ErrForbiddenHeader, `header "b64" is not supported`)
		case "enc", "zip", "epk":
			return fail(ErrEncrypted, `header "`+string(name)+`" belongs to an encrypted token`)
		}
		return nil
	})
	if err != nil {
		if _, ok := err.(*Error); ok {
			return h, err
		}
		return h, fail(ErrMalformed, "header is "+err.Error())
	}
	if !hasAlg {
		return h, fail(ErrMalformed, `header has no "alg"`)
	}
	return h, nil
}

// isATJWT accepts the RFC 9068 §2.1 type, with or without the
// "application/" prefix (RFC 7515 §4.1.9), compared case-insensitively as
// media types are.
func isATJWT(typ string) bool {
	return strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")
}
