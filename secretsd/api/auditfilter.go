package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/pseudo"
)

// Bounds of the convenience parameters this layer adds to index.ParseFilter's.
const (
	maxFilterValues = 32
	maxFilterValue  = 256
)

// auditQuery is a parsed query string of /v1/audit/events and /export.
type auditQuery struct {
	filter index.Filter
	cursor string
	limit  int
	// summary is the filter as the audit.query event records it: no raw
	// identity (actor_user and full addresses appear only as pseudonyms)
	// and the free text only by its length.
	summary map[string]string
}

// parseAuditQuery reads the filters of index.ParseFilter plus two
// conveniences: actor_user=<raw user id> becomes the user's pseudonyms
// (under every key, so events from before a key rotation are found), and a
// source that is a full IP address also matches its keyed hash. Errors are
// 400 invalid_request naming the parameter.
func (a *API) parseAuditQuery(q url.Values) (auditQuery, error) {
	q = cloneValues(q)
	p := a.opts.Audit.Pseudonymizer
	users := q["actor_user"]
	delete(q, "actor_user")
	if err := boundValues("actor_user", users); err != nil {
		return auditQuery{}, err
	}
	for _, u := range users {
		hs, err := p.HashAll(pseudo.FieldUserID, u)
		if err != nil {
			return auditQuery{}, badParam("actor_user", err.Error())
		}
		q["actor"] = append(q["actor"], hs...)
	}
	var rawIPs []string
	if err := boundValues("source", q["source"]); err != nil {
		return auditQuery{}, err
	}
	for _, s := range q["source"] {
		if _, err := netip.ParseAddr(s); err != nil {
			continue
		}
		hs, err := p.HashAll(pseudo.FieldSourceIP, s)
		if err != nil {
			continue
		}
		rawIPs = append(rawIPs, s)
		q["source"] = append(q["source"], hs...)
	}
	f, err := index.ParseFilter(q)
	if err != nil {
		return auditQuery{}, filterError(err)
	}
	cursor, limit, err := index.ParsePage(q)
	if err != nil {
		return auditQuery{}, filterError(err)
	}
	return auditQuery{filter: f, cursor: cursor, limit: limit, summary: summarize(f, rawIPs)}, nil
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func boundValues(name string, vs []string) error {
	if len(vs) > maxFilterValues {
		return badParam(name, fmt.Sprintf("at most %d values", maxFilterValues))
	}
	for _, v := range vs {
		if v == "" || len(v) > maxFilterValue {
			return badParam(name, fmt.Sprintf("each value must be 1 to %d bytes", maxFilterValue))
		}
	}
	return nil
}

func badParam(name, problem string) *apiError {
	return newError(http.StatusBadRequest, codeInvalidRequest, "query parameter "+name+": "+problem).with("parameter", name)
}

// filterError turns the index's parameter errors into 400s; its message
// names the parameter and never echoes a long value.
func filterError(err error) error {
	if errors.Is(err, index.ErrBadFilter) {
		return newError(http.StatusBadRequest, codeInvalidRequest, err.Error())
	}
	return err
}

// summarize is the filter without raw personal values.
func summarize(f index.Filter, rawIPs []string) map[string]string {
	s := map[string]string{}
	if !f.From.IsZero() {
		s["from"] = f.From.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	if !f.To.IsZero() {
		s["to"] = f.To.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	set := func(k string, vs []string) {
		if len(vs) > 0 {
			s[k] = strings.Join(vs, ",")
		}
	}
	set("action", f.Actions)
	set("actor", f.Actors)
	var sources []string
	for _, src := range f.Sources {
		raw := false
		for _, ip := range rawIPs {
			raw = raw || ip == src
		}
		if !raw {
			sources = append(sources, src)
		}
	}
	set("source", sources)
	for k, v := range map[string]string{"outcome": f.Outcome, "resource": f.Resource, "request_id": f.RequestID, "writer": f.Writer} {
		if v != "" {
			s[k] = v
		}
	}
	if f.Text != "" {
		s["text_bytes"] = strconv.Itoa(len(f.Text))
	}
	return s
}

// setFilterDetails records the filter in e's details.
func setFilterDetails(e *event.Event, summary map[string]string) {
	for k, v := range summary {
		detail(e, "filter."+k, v)
	}
}
