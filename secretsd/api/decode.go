package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

// decodeJSON reads the request body into dst (a pointer to a struct) under
// the rules of API.md: Content-Type application/json (415), at most max bytes
// (413), exactly one JSON object (400 invalid_json), no unknown field, no
// wrong type (400 invalid_request naming the field), and every field tagged
// `required:"true"` present and not empty (400 naming them all).
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, dst any) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	raw, err := readBody(w, r, max)
	if err != nil {
		return err
	}
	return decodeBytes(raw, dst)
}

// decodeEmpty accepts an endpoint's body that takes no input: none at all,
// or an empty JSON object under the same rules as decodeJSON.
func decodeEmpty(w http.ResponseWriter, r *http.Request, max int64) error {
	raw, err := readBody(w, r, max)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := checkContentType(r); err != nil {
		return err
	}
	var none struct{}
	return decodeBytes(raw, &none)
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"the request body must be JSON with Content-Type: application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"JSON request bodies must be UTF-8")
	}
	return nil
}

func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(max)
		}
		return nil, newError(http.StatusBadRequest, codeInvalidRequest, "the request body could not be read")
	}
	return raw, nil
}

func tooLarge(max int64) error {
	return newError(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
		fmt.Sprintf("the request body exceeds %d bytes", max)).with("max_bytes", max)
}

// decodeBytes is the body half of decodeJSON, separate so that the fuzz
// targets reach it without HTTP.
func decodeBytes(raw []byte, dst any) error {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 {
		return newError(http.StatusBadRequest, codeInvalidJSON, "the request body is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return newError(http.StatusBadRequest, codeInvalidJSON, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return newError(http.StatusBadRequest, codeInvalidJSON, "unexpected data after the JSON object")
	}
	if missing := missingFields(dst); len(missing) > 0 {
		return newError(http.StatusBadRequest, codeInvalidRequest,
			"missing required "+plural(len(missing), "field", "fields")+": "+strings.Join(missing, ", ")).
			with("fields", missing)
	}
	return nil
}

// decodeError explains what encoding/json refused.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return newError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("malformed JSON at byte %d", syn.Offset)).with("offset", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newError(http.StatusBadRequest, codeInvalidJSON, "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return newError(http.StatusBadRequest, codeInvalidRequest,
			fmt.Sprintf("field %q must be %s, not %s", field, jsonKind(typ.Type), typ.Value)).
			with("field", field)
	}
	// encoding/json has no type for an unknown field; its message is
	// `json: unknown field "name"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return newError(http.StatusBadRequest, codeInvalidRequest,
			fmt.Sprintf("unknown field %s", name)).with("field", field)
	}
	return newError(http.StatusBadRequest, codeInvalidJSON, "malformed JSON")
}

// jsonKind names a Go type as the JSON a client should send.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(jsonKind(t.Elem()), "a "), "an ") + "s"
	}
	return "an object"
}

// requiredFields caches, per request type, the JSON names of its fields
// tagged `required:"true"` and their indices.
var requiredFields sync.Map // reflect.Type -> []requiredField

type requiredField struct {
	name  string
	index int
}

func missingFields(dst any) []string {
	v := reflect.ValueOf(dst).Elem()
	if v.Kind() != reflect.Struct {
		return nil
	}
	var missing []string
	for _, f := range fieldsOf(v.Type()) {
		if v.Field(f.index).IsZero() || isEmptyJSON(v.Field(f.index)) {
			missing = append(missing, f.name)
		}
	}
	return missing
}

func fieldsOf(t reflect.Type) []requiredField {
	if cached, ok := requiredFields.Load(t); ok {
		return cached.([]requiredField)
	}
	var fields []requiredField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("required") != "true" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields = append(fields, requiredField{name: name, index: i})
	}
	requiredFields.Store(t, fields)
	return fields
}

// isEmptyJSON treats a json.RawMessage holding null as absent.
func isEmptyJSON(v reflect.Value) bool {
	raw, ok := v.Interface().(json.RawMessage)
	return ok && string(bytes.TrimSpace(raw)) == "null"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
