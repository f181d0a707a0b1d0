package signing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// reservedClaims are written from Claims' fields; Extra may not set them,
// so that a caller's free-form claims can never change who or what a token
// is for.
var reservedClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "client_id": true,
	"iat": true, "nbf": true, "exp": true, "jti": true,
	"sid": true, "auth_time": true, "amr": true, "acr": true,
	"role": true, "team": true, "groups": true,
}

// appendClaims writes the JWT claims set (RFC 7519 §4, RFC 9068 §2.2) as a
// JSON object. Empty optional claims are left out; nbf is iat.
func appendClaims(b []byte, c *Claims) ([]byte, error) {
	w := claimWriter{b: append(b, '{')}
	w.str("iss", c.Issuer)
	w.str("sub", c.Subject)
	// RFC 7519 §4.1.3: a single audience may be a string.
	if len(c.Audience) == 1 {
		w.str("aud", c.Audience[0])
	} else {
		w.strs("aud", c.Audience)
	}
	w.str("client_id", c.ClientID)
	w.date("iat", c.IssuedAt)
	w.date("nbf", c.IssuedAt)
	w.date("exp", c.Expiry)
	w.str("jti", c.TokenID)
	w.str("sid", c.SessionID)
	w.date("auth_time", c.AuthTime)
	w.strs("amr", c.AMR)
	w.str("acr", c.ACR)
	w.str("role", c.Role)
	w.str("team", c.Team)
	w.strs("groups", c.Groups)
	if len(c.Extra) > 0 {
		names := make([]string, 0, len(c.Extra))
		for name := range c.Extra {
			names = append(names, name)
		}
		slices.Sort(names) // deterministic tokens
		for _, name := range names {
			if reservedClaims[name] {
				return nil, fmt.Errorf("%w: extra claim %q would override a standard one", ErrInvalidClaims, name)
			}
			v, err := json.Marshal(c.Extra[name])
			if err != nil {
				return nil, fmt.Errorf("%w: extra claim %q: %w", ErrInvalidClaims, name, err)
			}
			w.name(name)
			w.b = append(w.b, v...)
		}
	}
	if w.err != nil {
		return nil, w.err
	}
	return append(w.b, '}'), nil
}

// claimWriter appends object members, remembering the first error.
type claimWriter struct {
	b     []byte
	comma bool
	err   error
}

func (w *claimWriter) name(n string) {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
	w.b = w.appendString(n, n)
	w.b = append(w.b, ':')
}

// str writes a string claim unless it is empty.
func (w *claimWriter) str(n, v string) {
	if v == "" {
		return
	}
	w.name(n)
	w.b = w.appendString(n, v)
}

// strs writes an array of strings unless it is empty.
func (w *claimWriter) strs(n string, vs []string) {
	if len(vs) == 0 {
		return
	}
	w.name(n)
	w.b = append(w.b, '[')
	for i, v := range vs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = w.appendString(n, v)
	}
	w.b = append(w.b, ']')
}

// date writes a NumericDate (RFC 7519 §2: seconds since the epoch) unless t
// is zero.
func (w *claimWriter) date(n string, t time.Time) {
	if t.IsZero() {
		return
	}
	w.name(n)
	w.b = strconv.AppendInt(w.b, t.Unix(), 10)
}

// appendString writes s as a JSON string (RFC 8259 §7). Invalid UTF-8 is an
// error rather than silently replaced, so a token never says something
// other than what its issuer was asked to sign.
func (w *claimWriter) appendString(claim, s string) []byte {
	b := w.b
	if !utf8.ValidString(s) {
		if w.err == nil {
			w.err = fmt.Errorf("%w: claim %q is not valid UTF-8", ErrInvalidClaims, claim)
		}
		return b
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
