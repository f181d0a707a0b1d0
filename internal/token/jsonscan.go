package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// The token's header and claims are read with this small scanner instead of
// encoding/json's Unmarshal because it must (1) refuse duplicate member names,
// which Unmarshal silently resolves to the last one (RFC 7515 §5.2, RFC 8725
// §3.12: parsers that disagree on duplicates are an attack surface), (2) see
// every member with its raw JSON type, so a claim of the wrong type is an
// error and not a zero value, and (3) stay cheap: it only runs after
// json.Valid has checked the syntax, so it merely walks well-formed input.

var (
	errNotJSON       = errors.New("not valid JSON")
	errNotObject     = errors.New("not a JSON object")
	errDuplicateName = errors.New("duplicate member name")
	errTooDeep       = errors.New("nested too deeply")
)

// maxDepth bounds recursion on hostile input (json.Valid has no bound).
const maxDepth = 64

type jsonScanner struct {
	data  []byte
	i     int
	depth int
}

// walkObject calls fn with the unescaped name and the raw value of each
// member of the JSON object in data. Nested objects are checked for
// duplicate names too.
func walkObject(data []byte, fn func(name, value []byte) error) error {
	if !json.Valid(data) {
		return errNotJSON
	}
	s := jsonScanner{data: data}
	s.skipSpace()
	if s.i >= len(s.data) || s.data[s.i] != '{' {
		return errNotObject
	}
	return s.object(fn)
}

// checkDuplicateNames validates data as JSON without duplicate member names
// at any depth.
func checkDuplicateNames(data []byte) error {
	if !json.Valid(data) {
		return errNotJSON
	}
	s := jsonScanner{data: data}
	s.skipSpace()
	return s.value()
}

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// str advances over a string (s.data[s.i] == '"') and returns it raw, quotes included.
func (s *jsonScanner) str() []byte {
	start := s.i
	s.i++
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return s.data[start:s.i]
		default:
			s.i++
		}
	}
	return s.data[start:]
}

func (s *jsonScanner) value() error {
	switch s.data[s.i] {
	case '"':
		s.str()
	case '{':
		return s.object(nil)
	case '[':
		s.depth++
		if s.depth > maxDepth {
			return errTooDeep
		}
		s.i++
		s.skipSpace()
		if s.data[s.i] == ']' {
			s.i++
			s.depth--
			return nil
		}
		for {
			s.skipSpace()
			if err := s.value(); err != nil {
				return err
			}
			s.skipSpace()
			c := s.data[s.i]
			s.i++
			if c == ']' {
				s.depth--
				return nil
			}
		}
	default: // number, true, false, null
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return nil
			}
			s.i++
		}
	}
	return nil
}

func (s *jsonScanner) object(fn func(name, value []byte) error) error {
	s.depth++
	if s.depth > maxDepth {
		return errTooDeep
	}
	s.i++ // {
	var small [16][]byte
	names := small[:0]
	var many map[string]struct{}
	for {
		s.skipSpace()
		if s.data[s.i] == '}' {
			s.i++
			s.depth--
			return nil
		}
		name, err := unquote(s.str())
		if err != nil {
			return err
		}
		if many != nil {
			if _, dup := many[string(name)]; dup {
				return errDuplicateName
			}
			many[string(name)] = struct{}{}
		} else {
			for _, n := range names {
				if bytes.Equal(n, name) {
					return errDuplicateName
				}
			}
			names = append(names, name)
			if len(names) > len(small) {
				many = make(map[string]struct{}, 2*len(names))
				for _, n := range names {
					many[string(n)] = struct{}{}
				}
			}
		}
		s.skipSpace()
		s.i++ // :
		s.skipSpace()
		start := s.i
		if err := s.value(); err != nil {
			return err
		}
		if fn != nil {
			if err := fn(name, s.data[start:s.i]); err != nil {
				return err
			}
		}
		s.skipSpace()
		if s.data[s.i] == ',' {
			s.i++
		}
	}
}

// unquote returns the contents of a raw JSON string, unescaped. Invalid
// UTF-8 is refused rather than replaced, so no two readings can differ.
func unquote(raw []byte) ([]byte, error) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		if !utf8.Valid(inner) {
			return nil, errors.New("invalid UTF-8 in a string")
		}
		return inner, nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, errNotJSON
	}
	if !utf8.Valid(inner) {
		return nil, errors.New("invalid UTF-8 in a string")
	}
	return []byte(out), nil
}

// jsonString decodes a raw value that must be a string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	b, err := unquote(raw)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// jsonNumber decodes a raw value that must be a finite number.
func jsonNumber(raw []byte) (float64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// jsonStrings decodes a raw value that must be an array of strings.
func jsonStrings(raw []byte) ([]string, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	s := jsonScanner{data: raw, i: 1}
	var out []string
	for {
		s.skipSpace()
		if s.data[s.i] == ']' {
			return out, true
		}
		if s.data[s.i] != '"' {
			return nil, false
		}
		v, ok := jsonString(s.str())
		if !ok {
			return nil, false
		}
		out = append(out, v)
		s.skipSpace()
		if s.data[s.i] == ',' {
			s.i++
		}
	}
}

// jsonAny decodes any raw value the way encoding/json does into an any.
func jsonAny(raw []byte) (any, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return v, true
}
