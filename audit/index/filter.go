package index

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portcullis/portcullis/audit/event"
)

// Bounds of a filter, so that a query stays cheap to plan and run.
const (
	MaxValueBytes = 256 // one parameter value
	MaxValues     = 20  // values of one repeatable parameter
)

// The query parameters.
const (
	paramFrom      = "from"
	paramTo        = "to"
	paramAction    = "action"
	paramOutcome   = "outcome"
	paramActor     = "actor"
	paramSource    = "source"
	paramResource  = "resource"
	paramRequestID = "request_id"
	paramText      = "q"
	paramWriter    = "writer"
	paramCursor    = "cursor"
	paramLimit     = "limit"
	paramFormat    = "format" // read by the HTTP layer (exports)
)

var knownParams = map[string]bool{
	paramFrom: true, paramTo: true, paramAction: true, paramOutcome: true, paramActor: true,
	paramSource: true, paramResource: true, paramRequestID: true, paramText: true, paramWriter: true,
	paramCursor: true, paramLimit: true, paramFormat: true,
}

func badParam(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadFilter, name, fmt.Sprintf(format, args...))
}

// parseFilter implements ParseFilter.
func parseFilter(q url.Values) (Filter, error) {
	var f Filter
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // the first error named is the same every time
	for _, name := range names {
		if !knownParams[name] {
			return Filter{}, badParam(quoteName(name), "unknown parameter")
		}
	}
	var err error
	if f.From, err = timeParam(q, paramFrom); err != nil {
		return Filter{}, err
	}
	if f.To, err = timeParam(q, paramTo); err != nil {
		return Filter{}, err
	}
	var actions []string
	for _, v := range q[paramAction] {
		actions = append(actions, strings.Split(v, ",")...)
	}
	if f.Actions, err = listParam(paramAction, actions); err != nil {
		return Filter{}, err
	}
	if f.Actors, err = listParam(paramActor, q[paramActor]); err != nil {
		return Filter{}, err
	}
	if f.Sources, err = listParam(paramSource, q[paramSource]); err != nil {
		return Filter{}, err
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{
		{paramOutcome, &f.Outcome}, {paramResource, &f.Resource}, {paramRequestID, &f.RequestID},
		{paramText, &f.Text}, {paramWriter, &f.Writer},
	} {
		if *p.dst, err = oneParam(q, p.name); err != nil {
			return Filter{}, err
		}
	}
	if err := f.validate(); err != nil {
		return Filter{}, err
	}
	return f, nil
}

// validate checks a Filter however it was made: ParseFilter's result, or one
// built by a caller of Query and Scan.
func (f Filter) validate() error {
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return badParam(paramFrom, "after to")
	}
	for _, l := range []struct {
		name   string
		values []string
	}{{paramAction, f.Actions}, {paramActor, f.Actors}, {paramSource, f.Sources}} {
		if len(l.values) > MaxValues {
			return badParam(l.name, "more than %d values", MaxValues)
		}
		for _, v := range l.values {
			if err := checkValue(l.name, v); err != nil {
				return err
			}
		}
	}
	for _, a := range f.Actions {
		if _, ok := event.Lookup(a); !ok {
			return badParam(paramAction, "%q is not in the catalogue of actions", a)
		}
	}
	for _, s := range []struct{ name, value string }{
		{paramOutcome, f.Outcome}, {paramResource, f.Resource}, {paramRequestID, f.RequestID},
		{paramText, f.Text}, {paramWriter, f.Writer},
	} {
		if s.value == "" {
			continue
		}
		if err := checkValue(s.name, s.value); err != nil {
			return err
		}
	}
	switch event.Outcome(f.Outcome) {
	case "", event.Success, event.Failure, event.Unknown:
	default:
		return badParam(paramOutcome, "want success, failure or unknown")
	}
	if f.Writer != "" && !namePattern.MatchString(f.Writer) {
		return badParam(paramWriter, "not a writer name")
	}
	return nil
}

// checkValue bounds one value: not empty, at most MaxValueBytes, UTF-8
// without control characters.
func checkValue(name, v string) error {
	switch {
	case v == "":
		return badParam(name, "empty value")
	case len(v) > MaxValueBytes:
		return badParam(name, "longer than %d bytes", MaxValueBytes)
	case !utf8.ValidString(v):
		return badParam(name, "not UTF-8")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return badParam(name, "contains a control character")
	}
	return nil
}

// oneParam returns a parameter that may be given at most once.
func oneParam(q url.Values, name string) (string, error) {
	vs := q[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		if err := checkValue(name, vs[0]); err != nil {
			return "", err
		}
		return vs[0], nil
	}
	return "", badParam(name, "given more than once")
}

// listParam checks the values of a repeatable parameter and removes
// repetitions.
func listParam(name string, vs []string) ([]string, error) {
	if len(vs) > MaxValues {
		return nil, badParam(name, "more than %d values", MaxValues)
	}
	var out []string
	for _, v := range vs {
		if err := checkValue(name, v); err != nil {
			return nil, err
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func timeParam(q url.Values, name string) (time.Time, error) {
	v, err := oneParam(q, name)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badParam(name, "not an RFC 3339 time (e.g. 2026-11-28T09:30:00Z)")
	}
	return t, nil
}

// quoteName quotes an unknown parameter name for an error message, bounded.
func quoteName(name string) string {
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return strconv.Quote(name)
}

// Values encodes f as query parameters that ParseFilter reads back: what a
// client (the CLI) sends.
func (f Filter) Values() url.Values {
	q := url.Values{}
	if !f.From.IsZero() {
		q.Set(paramFrom, f.From.Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		q.Set(paramTo, f.To.Format(time.RFC3339Nano))
	}
	for _, p := range []struct {
		name   string
		values []string
	}{{paramAction, f.Actions}, {paramActor, f.Actors}, {paramSource, f.Sources}} {
		if len(p.values) > 0 {
			q[p.name] = slices.Clone(p.values)
		}
	}
	for _, p := range []struct{ name, value string }{
		{paramOutcome, f.Outcome}, {paramResource, f.Resource}, {paramRequestID, f.RequestID},
		{paramText, f.Text}, {paramWriter, f.Writer},
	} {
		if p.value != "" {
			q.Set(p.name, p.value)
		}
	}
	return q
}

// parsePage implements ParsePage.
func parsePage(q url.Values) (cursor string, limit int, err error) {
	if cursor, err = oneParam(q, paramCursor); err != nil {
		return "", 0, err
	}
	if cursor != "" {
		if _, err := decodeCursor(cursor); err != nil {
			return "", 0, err
		}
	}
	v, err := oneParam(q, paramLimit)
	if err != nil {
		return "", 0, err
	}
	if v == "" {
		return cursor, DefaultLimit, nil
	}
	// Digits only: strconv.Atoi would also take "+5".
	if len(v) > 4 || strings.TrimLeft(v, "0123456789") != "" {
		return "", 0, badParam(paramLimit, "want a number from 1 to %d", MaxLimit)
	}
	limit, _ = strconv.Atoi(v)
	if limit < 1 || limit > MaxLimit {
		return "", 0, badParam(paramLimit, "want a number from 1 to %d", MaxLimit)
	}
	return cursor, limit, nil
}
