package token

import (
	"math"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
)

// Bounds on NumericDate values (RFC 7519 §2): from 1970 to the year 9999, so
// that a hostile value can never overflow a time.Time.
const maxNumericDate = 253402300799

// parseClaims reads the JWT claims set into a Principal, checking the type
// of every claim the gateway understands. Claims that have no field of their
// own are kept in Principal.Claims (nil when there are none).
func parseClaims(data []byte) (*principal.Principal, error) {
	p := new(principal.Principal)
	var has struct{ iss, sub, aud, exp, iat, jti bool }
	err := walkObject(data, func(name, value []byte) error {
		var ok bool
		n := string(name)
		switch n {
		case "iss":
			p.Issuer, ok = jsonString(value)
			has.iss = true
		case "sub":
			p.Subject, ok = jsonString(value)
			has.sub = true
		case "aud":
			// RFC 7519 §4.1.3: a string or an array of strings.
			if len(value) > 0 && value[0] == '"' {
				var a string
				a, ok = jsonString(value)
				p.Audience = []string{a}
			} else {
				p.Audience, ok = jsonStrings(value)
			}
			has.aud = true
		case "exp":
			p.Expiry, ok = numericDate(value)
			has.exp = true
		case "nbf":
			p.NotBefore, ok = numericDate(value)
		case "iat":
			p.IssuedAt, ok = numericDate(value)
			has.iat = true
		case "auth_time":
			p.AuthTime, ok = numericDate(value)
		case "jti":
			p.TokenID, ok = jsonString(value)
			has.jti = true
		case "sid":
			p.SessionID, ok = jsonString(value)
		case "client_id":
			p.ClientID, ok = jsonString(value)
		case "amr":
			p.AMR, ok = jsonStrings(value)
		case "acr":
			p.ACR, ok = jsonString(value)
		case "role":
			p.Role, ok = jsonString(value)
		case "team":
			p.Team, ok = jsonString(value)
		case "groups":
			p.Groups, ok = jsonStrings(value)
		case "break_glass":
			switch string(value) {
			case "true":
				p.BreakGlass, ok = true, true
			case "false":
				ok = true
			}
		default:
			var v any
			if v, ok = jsonAny(value); ok {
				if p.Claims == nil {
					p.Claims = make(map[string]any, 4)
				}
				p.Claims[n] = v
			}
		}
		if !ok {
			return fail(ErrClaims, `claim "`+n+`" has the wrong type`)
		}
		return nil
	})
	if err != nil {
		if _, ok := err.(*Error); ok {
			return nil, err
		}
		return nil, fail(ErrMalformed, "claims are "+err.Error())
	}
	// RFC 9068 §2.2 makes these required; an empty value is as good as none.
	switch {
	case !has.iss || p.Issuer == "":
		return nil, fail(ErrClaims, `claim "iss" is missing`)
	case !has.sub || p.Subject == "":
		return nil, fail(ErrClaims, `claim "sub" is missing`)
	case !has.aud || len(p.Audience) == 0:
		return nil, fail(ErrClaims, `claim "aud" is missing`)
	case !has.exp:
		return nil, fail(ErrClaims, `claim "exp" is missing`)
	case !has.iat:
		return nil, fail(ErrClaims, `claim "iat" is missing`)
	case !has.jti || p.TokenID == "":
		return nil, fail(ErrClaims, `claim "jti" is missing`)
	}
	return p, nil
}

func numericDate(raw []byte) (time.Time, bool) {
	f, ok := jsonNumber(raw)
	if !ok || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
