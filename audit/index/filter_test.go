package index_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/index"
)

func TestParseFilterReadsEveryParameter(t *testing.T) {
	t.Parallel()
	q, err := url.ParseQuery("from=2026-03-01T08:00:00Z&to=2026-03-02T08:00:00.5%2B01:00" +
		"&action=auth.login,token.issue&action=auth.login&outcome=failure&actor=p1:a&actor=p2:a" +
		"&source=192.0.2.0&source=h1&resource=/v1/x&request_id=r-1&q=Needle&writer=gateway-a&cursor=&limit=5&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	q.Del("cursor")
	f, err := index.ParseFilter(q)
	if err != nil {
		t.Fatal(err)
	}
	want := index.Filter{
		From:    time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		To:      time.Date(2026, 3, 2, 7, 0, 0, 5e8, time.UTC),
		Actions: []string{"auth.login", "token.issue"}, Outcome: "failure",
		Actors: []string{"p1:a", "p2:a"}, Sources: []string{"192.0.2.0", "h1"},
		Resource: "/v1/x", RequestID: "r-1", Text: "Needle", Writer: "gateway-a",
	}
	if !f.From.Equal(want.From) || !f.To.Equal(want.To) {
		t.Errorf("times: %v %v", f.From, f.To)
	}
	f.From, f.To, want.From, want.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("ParseFilter = %+v\nwant %+v", f, want)
	}
}

func TestParseFilterRejectsBadParameters(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", index.MaxValueBytes+1)
	many := strings.Repeat("actor=p&", index.MaxValues) + "actor=last"
	cases := []struct{ name, query, param string }{
		{"unknown parameter", "user=alice", `"user"`},
		{"from not RFC 3339", "from=yesterday", "from"},
		{"from without zone", "from=2026-03-01T08:00:00", "from"},
		{"from given twice", "from=2026-03-01T08:00:00Z&from=2026-03-02T08:00:00Z", "from"},
		{"from after to", "from=2026-03-02T08:00:00Z&to=2026-03-01T08:00:00Z", "from"},
		{"action outside the catalogue", "action=auth.login,auth.hack", "action"},
		{"empty action in a list", "action=auth.login,", "action"},
		{"outcome outside ECS", "outcome=ok", "outcome"},
		{"empty actor", "actor=", "actor"},
		{"too many actors", many, "actor"},
		{"value too long", "resource=" + long, "resource"},
		{"control character", "q=a%00b", "q"},
		{"invalid UTF-8", "q=%ff", "q"},
		{"writer not a writer name", "writer=../etc", "writer"},
		{"q given twice", "q=a&q=b", "q"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			_, err = index.ParseFilter(q)
			if !errors.Is(err, index.ErrBadFilter) || !strings.Contains(err.Error(), tc.param+":") {
				t.Errorf("ParseFilter(%q) = %v, want ErrBadFilter naming %s", tc.query, err, tc.param)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	t.Parallel()
	const cursor = "AAAAAAAAAAEAAAAAAAAAAQ" // ts 1<<16... any well-formed one
	good := []struct {
		query  string
		cursor string
		limit  int
	}{
		{"", "", index.DefaultLimit},
		{"limit=1", "", 1},
		{"limit=1000", "", index.MaxLimit},
		{"cursor=" + cursor + "&limit=50&action=auth.login", cursor, 50},
	}
	for _, tc := range good {
		q, _ := url.ParseQuery(tc.query)
		c, l, err := index.ParsePage(q)
		if err != nil || c != tc.cursor || l != tc.limit {
			t.Errorf("ParsePage(%q) = %q, %d, %v; want %q, %d", tc.query, c, l, err, tc.cursor, tc.limit)
		}
	}
	bad := []struct{ query, param string }{
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=-1", "limit"}, {"limit=%2B5", "limit"},
		{"limit=ten", "limit"}, {"limit=1&limit=2", "limit"}, {"limit=", "limit"},
		{"cursor=abc", "cursor"}, {"cursor=" + cursor + "=", "cursor"}, {"cursor=" + cursor + "&cursor=" + cursor, "cursor"},
	}
	for _, tc := range bad {
		q, _ := url.ParseQuery(tc.query)
		if _, _, err := index.ParsePage(q); !errors.Is(err, index.ErrBadFilter) || !strings.Contains(err.Error(), tc.param+":") {
			t.Errorf("ParsePage(%q) = %v, want ErrBadFilter naming %s", tc.query, err, tc.param)
		}
	}
}

func TestFilterValuesRoundTrip(t *testing.T) {
	t.Parallel()
	f := index.Filter{
		From: time.Date(2026, 3, 1, 8, 0, 0, 123, time.FixedZone("", 3600)), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Actions: []string{"auth.login"}, Outcome: "success", Actors: []string{"p1:a,b"}, Sources: []string{"h"},
		Resource: "/r", RequestID: "id", Text: "50% & more", Writer: "w1",
	}
	got, err := index.ParseFilter(f.Values())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Values(), f.Values()) {
		t.Errorf("round trip: %v, want %v", got.Values(), f.Values())
	}
}
