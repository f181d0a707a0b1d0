package event

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the JSON encoding of e to dst and returns the extended
// buffer. The bytes are exactly those of json.Marshal(e) (same field order,
// omitempty, HTML-safe string escaping, sorted Details keys, RFC 3339 time),
// which the tests check against json.Marshal, fuzzed: the trail hashes these
// bytes, so the two encoders must never disagree. It exists because
// json.Marshal's reflection costs several times more per event.
//
// It fails, like json.Marshal, when the timestamp cannot be written as RFC
// 3339 (a year outside 0-9999); dst is then returned unchanged.
func (e *Event) AppendJSON(dst []byte) ([]byte, error) {
	n0 := len(dst)
	dst = append(dst, `{"@timestamp":"`...)
	b, err := e.Timestamp.AppendText(dst)
	if err != nil { // AppendText then returns nil
		return dst[:n0], fmt.Errorf("event: encoding @timestamp: %w", err)
	}
	dst = b
	dst = append(dst, `","ecs":{"version":`...)
	dst = appendString(dst, e.ECS.Version)
	dst = append(dst, `},"event":`...)
	dst = e.Event.appendJSON(dst)
	if u := e.User; u != nil {
		dst = append(dst, `,"user":`...)
		dst = u.appendJSON(dst)
	}
	if s := e.Source; s != nil {
		dst = append(dst, `,"source":`...)
		o := object{dst: dst}
		o.str(`"ip":`, s.IP)
		o.str(`"address":`, s.Address)
		dst = o.end()
	}
	if h := e.HTTP; h != nil {
		dst = append(dst, `,"http":`...)
		dst = h.appendJSON(dst)
	}
	if u := e.URL; u != nil {
		dst = append(dst, `,"url":`...)
		o := object{dst: dst}
		o.str(`"path":`, u.Path)
		dst = o.end()
	}
	if p := e.Portcullis; p != nil {
		dst = append(dst, `,"portcullis":`...)
		dst = p.appendJSON(dst)
	}
	return append(dst, '}'), nil
}

func (f *Fields) appendJSON(dst []byte) []byte {
	o := object{dst: dst}
	o.str(`"id":`, f.ID)
	o.str(`"code":`, f.Code)
	o.key(`"kind":`)
	o.dst = appendString(o.dst, f.Kind)
	o.key(`"category":`)
	o.dst = appendStrings(o.dst, f.Category)
	o.key(`"type":`)
	o.dst = appendStrings(o.dst, f.Type)
	o.key(`"action":`)
	o.dst = appendString(o.dst, f.Action)
	o.key(`"outcome":`)
	o.dst = appendString(o.dst, string(f.Outcome))
	o.str(`"reason":`, f.Reason)
	o.int(`"duration":`, f.Duration)
	return o.end()
}

func (u *User) appendJSON(dst []byte) []byte {
	o := object{dst: dst}
	o.str(`"id":`, u.ID)
	o.str(`"name":`, u.Name)
	if len(u.Roles) > 0 {
		o.key(`"roles":`)
		o.dst = appendStrings(o.dst, u.Roles)
	}
	return o.end()
}

func (h *HTTP) appendJSON(dst []byte) []byte {
	o := object{dst: dst}
	if r := h.Request; r != nil {
		o.key(`"request":`)
		ro := object{dst: o.dst}
		ro.str(`"method":`, r.Method)
		o.dst = ro.end()
	}
	if r := h.Response; r != nil {
		o.key(`"response":`)
		ro := object{dst: o.dst}
		ro.int(`"status_code":`, int64(r.StatusCode))
		if b := r.Body; b != nil {
			ro.key(`"body":{"bytes":`)
			ro.dst = append(strconv.AppendInt(ro.dst, b.Bytes, 10), '}')
		}
		o.dst = ro.end()
	}
	return o.end()
}

func (p *Product) appendJSON(dst []byte) []byte {
	o := object{dst: dst}
	o.str(`"request_id":`, p.RequestID)
	o.str(`"session_id":`, p.SessionID)
	o.str(`"token_id":`, p.TokenID)
	o.str(`"decision_id":`, p.DecisionID)
	if len(p.PolicyIDs) > 0 {
		o.key(`"policy_ids":`)
		o.dst = appendStrings(o.dst, p.PolicyIDs)
	}
	o.str(`"source_ip_hash":`, p.SourceIPHash)
	if r := p.RateLimit; r != nil {
		o.key(`"rate_limit":`)
		ro := object{dst: o.dst}
		ro.str(`"zone":`, r.Zone)
		ro.key(`"limit":`)
		ro.dst = strconv.AppendInt(ro.dst, r.Limit, 10)
		ro.key(`"remaining":`)
		ro.dst = strconv.AppendInt(ro.dst, r.Remaining, 10)
		ro.int(`"retry_after_ms":`, r.RetryAfterMS)
		o.dst = ro.end()
	}
	if m := p.MFA; m != nil {
		o.key(`"mfa":`)
		mo := object{dst: o.dst}
		mo.str(`"method":`, m.Method)
		mo.key(`"verified":`)
		mo.dst = strconv.AppendBool(mo.dst, m.Verified)
		o.dst = mo.end()
	}
	if r := p.Resource; r != nil {
		o.key(`"resource":`)
		ro := object{dst: o.dst}
		ro.str(`"type":`, r.Type)
		ro.str(`"id":`, r.ID)
		o.dst = ro.end()
	}
	o.str(`"personal":`, p.Personal)
	if len(p.Details) > 0 {
		o.key(`"details":`)
		o.dst = appendDetails(o.dst, p.Details)
	}
	return o.end()
}

// object writes one JSON object's members, a comma before every one but the
// first, as encoding/json does for a struct.
type object struct {
	dst  []byte
	more bool
}

// key starts a member; k is the quoted name with its colon.
func (o *object) key(k string) {
	if o.more {
		o.dst = append(o.dst, ',')
	} else {
		o.dst = append(o.dst, '{')
		o.more = true
	}
	o.dst = append(o.dst, k...)
}

// str writes a string member tagged omitempty.
func (o *object) str(k, v string) {
	if v != "" {
		o.key(k)
		o.dst = appendString(o.dst, v)
	}
}

// int writes an integer member tagged omitempty.
func (o *object) int(k string, v int64) {
	if v != 0 {
		o.key(k)
		o.dst = strconv.AppendInt(o.dst, v, 10)
	}
}

func (o *object) end() []byte {
	if !o.more {
		return append(o.dst, '{', '}')
	}
	return append(o.dst, '}')
}

// appendStrings writes a []string as encoding/json does: nil is null.
func appendStrings(dst []byte, s []string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, v := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, v)
	}
	return append(dst, ']')
}

// appendDetails writes a non-empty map with its keys in byte order, as
// encoding/json sorts string keys.
func appendDetails(dst []byte, m map[string]string) []byte {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, m[k])
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// htmlSafe marks the bytes encoding/json copies unescaped with HTML escaping
// on, whatever follows them: 0x20-0x7f except ", \, <, > and &.
var htmlSafe = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s quoted exactly as encoding/json does with HTML
// escaping (json.Marshal's default): short escapes for \b \f \n \r \t " \,
// \u00XX for other control bytes and < > &, \ufffd for each invalid UTF-8
// byte, \u2028 and \u2029 for the JavaScript line separators.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if htmlSafe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
