package jwtauth

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/portcullis/portcullis/internal/principal"
)

const userPrefix = "http.auth.user."

// placeholders answers {http.auth.user.*} lazily: one provider per request
// instead of a dozen map writes, most of which nobody reads.
func placeholders(p *principal.Principal) caddy.ReplacerFunc {
	return func(key string) (any, bool) {
		rest, ok := strings.CutPrefix(key, userPrefix)
		if !ok {
			return nil, false
		}
		switch rest {
		case "id":
			return p.Subject, true
		case "role", "team", "groups", "sid", "jti", "amr", "acr", "auth_time", "client_id":
			v, _ := claimString(p, claimOfPlaceholder(rest))
			return v, true
		}
		if name, ok := strings.CutPrefix(rest, "claim."); ok {
			return claimString(p, name)
		}
		return nil, false
	}
}

func claimOfPlaceholder(name string) string {
	if name == "id" {
		return "sub"
	}
	return name
}

// claimString renders a claim for a header or placeholder: strings as they
// are, arrays comma-separated, times as Unix seconds, objects as JSON. It
// reports false when the token has no such claim (or it is empty).
func claimString(p *principal.Principal, name string) (string, bool) {
	var s string
	switch name {
	case "sub":
		s = p.Subject
	case "iss":
		s = p.Issuer
	case "aud":
		s = strings.Join(p.Audience, ",")
	case "jti":
		s = p.TokenID
	case "sid":
		s = p.SessionID
	case "client_id":
		s = p.ClientID
	case "role":
		s = p.Role
	case "team":
		s = p.Team
	case "acr":
		s = p.ACR
	case "groups":
		s = strings.Join(p.Groups, ",")
	case "amr":
		s = strings.Join(p.AMR, ",")
	case "exp":
		s = unixString(p.Expiry)
	case "iat":
		s = unixString(p.IssuedAt)
	case "nbf":
		s = unixString(p.NotBefore)
	case "auth_time":
		s = unixString(p.AuthTime)
	case "break_glass":
		s = strconv.FormatBool(p.BreakGlass)
	default:
		v, ok := p.Claims[name]
		if !ok {
			return "", false
		}
		s = anyString(v)
	}
	return s, s != ""
}

func unixString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10)
}

func anyString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				b, _ := json.Marshal(v)
				return string(b)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ",")
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
