package index_test

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/portcullis/portcullis/audit/index"
)

func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"",
		"from=2026-03-01T08:00:00Z&to=2026-03-02T08:00:00Z",
		"action=auth.login,token.issue&outcome=failure",
		"actor=p1:abc&actor=p2:def&source=192.0.2.0&source=h",
		"resource=/v1/secrets/x&request_id=r1&q=needle%25&writer=gateway-a",
		"cursor=AAAAAAAAAAEAAAAAAAAAAQ&limit=10&format=csv",
		"from=2026-03-02T08:00:00Z&to=2026-03-01T08:00:00Z",
		"limit=%2B5&cursor=%ff",
		"x=1&q=%00",
		"action=,,&actor=",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		filter, err := index.ParseFilter(q)
		if err != nil {
			if !errors.Is(err, index.ErrBadFilter) {
				t.Fatalf("ParseFilter error %v does not wrap ErrBadFilter", err)
			}
		} else {
			// What was accepted encodes to parameters that read back the same.
			again, err := index.ParseFilter(filter.Values())
			if err != nil {
				t.Fatalf("re-parsing %v: %v", filter.Values(), err)
			}
			if !reflect.DeepEqual(again.Values(), filter.Values()) || !again.From.Equal(filter.From) || !again.To.Equal(filter.To) {
				t.Fatalf("round trip changed the filter: %+v -> %+v", filter, again)
			}
		}
		cursor, limit, err := index.ParsePage(q)
		if err != nil {
			if !errors.Is(err, index.ErrBadFilter) {
				t.Fatalf("ParsePage error %v does not wrap ErrBadFilter", err)
			}
			return
		}
		if limit < 1 || limit > index.MaxLimit {
			t.Fatalf("limit %d out of bounds", limit)
		}
		if cursor != "" {
			if _, _, err := index.ParsePage(url.Values{"cursor": {cursor}}); err != nil {
				t.Fatalf("accepted cursor %q fails alone: %v", cursor, err)
			}
		}
	})
}
