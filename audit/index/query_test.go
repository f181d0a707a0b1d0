package index_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/record"
)

// eventsPerChain events in each of the 4 chains of the known data set.
const eventsPerChain = 40

func knownDataSet(t *testing.T) (*trail, *index.Index) {
	t.Helper()
	tr := newTrail(t, 0)
	tr.fill(eventsPerChain)
	ix := openIndex(t, tr.root)
	if rep := mustSync(t, ix); rep.Added != 4*eventsPerChain {
		t.Fatalf("Added = %d, want %d", rep.Added, 4*eventsPerChain)
	}
	return tr, ix
}

func TestQueryFiltersMatchTheKnownDataSet(t *testing.T) {
	t.Parallel()
	tr, ix := knownDataSet(t)
	from, to := t0.Add(5*time.Hour), t0.Add(12*time.Hour)
	cases := []struct {
		name   string
		filter index.Filter
		want   func(sample) bool
	}{
		{"no filter returns everything", index.Filter{}, func(sample) bool { return true }},
		{"time range is [from, to)", index.Filter{From: from, To: to},
			func(s sample) bool { return !s.ts.Before(from) && s.ts.Before(to) }},
		{"from alone", index.Filter{From: to}, func(s sample) bool { return !s.ts.Before(to) }},
		{"one action", index.Filter{Actions: []string{"token.issue"}},
			func(s sample) bool { return s.action == "token.issue" }},
		{"any of several actions", index.Filter{Actions: []string{"auth.login", "mfa.enroll"}},
			func(s sample) bool { return s.action == "auth.login" || s.action == "mfa.enroll" }},
		{"an action nobody did", index.Filter{Actions: []string{"breakglass.request"}},
			func(sample) bool { return false }},
		{"outcome failure", index.Filter{Outcome: "failure"},
			func(s sample) bool { return s.outcome == event.Failure }},
		{"one actor", index.Filter{Actors: []string{"p1:bob"}}, func(s sample) bool { return s.actor == "p1:bob" }},
		{"actor pseudonyms under two keys", index.Filter{Actors: []string{"p1:alice", "p0:alice-old"}},
			func(s sample) bool { return s.actor == "p1:alice" }},
		{"source by truncated ip", index.Filter{Sources: []string{"192.0.2.8"}},
			func(s sample) bool { return s.sourceIP == "192.0.2.8" }},
		{"source by hash", index.Filter{Sources: []string{"iphash-5"}},
			func(s sample) bool { return s.sourceHash == "iphash-5" }},
		{"source ip or hash", index.Filter{Sources: []string{"192.0.2.0", "iphash-1"}},
			func(s sample) bool { return s.sourceIP == "192.0.2.0" || s.sourceHash == "iphash-1" }},
		{"resource from portcullis.resource.id or url.path", index.Filter{Resource: "/v1/secrets/app2"},
			func(s sample) bool { return s.resource == "/v1/secrets/app2" }},
		{"request id", index.Filter{RequestID: "req-secretsd-a-break_glass-17"},
			func(s sample) bool { return s.requestID == "req-secretsd-a-break_glass-17" }},
		{"text is a case-insensitive substring", index.Filter{Text: "needle_50%"},
			func(s sample) bool { return s.text }},
		{"text wildcards are literal", index.Filter{Text: "Needle%50"}, func(sample) bool { return false }},
		{"text underscore is literal", index.Filter{Text: "Needle_5_"}, func(sample) bool { return false }},
		{"writer", index.Filter{Writer: "secretsd-a"}, func(s sample) bool { return s.writer == "secretsd-a" }},
		{"every filter at once", index.Filter{From: t0, To: t0.Add(30 * time.Hour), Actions: []string{"auth.login", "token.issue"},
			Outcome: "success", Actors: []string{"p1:alice", "p1:carol"}, Writer: "gateway-a", Text: "AUTH"},
			func(s sample) bool {
				return s.ts.Before(t0.Add(30*time.Hour)) && (s.action == "auth.login" || s.action == "token.issue") &&
					s.outcome == event.Success && (s.actor == "p1:alice" || s.actor == "p1:carol") && s.writer == "gateway-a"
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := tr.keysWhere(tc.want)
			if got := keysOf(queryAll(t, ix, tc.filter, index.MaxLimit)); !slices.Equal(got, want) {
				t.Errorf("Query: got %d records %v,\nwant %d %v", len(got), got, len(want), want)
			}
			var scanned []record.Record
			err := ix.Scan(context.Background(), tc.filter, func(r record.Record) error {
				if n := len(scanned); n > 0 && r.Time.Before(scanned[n-1].Time) {
					t.Errorf("Scan not oldest first: %v after %v", r.Time, scanned[n-1].Time)
				}
				scanned = append(scanned, r)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(scanned); !slices.Equal(got, want) {
				t.Errorf("Scan: got %d records, want %d", len(got), len(want))
			}
		})
	}
}

func TestRecordsCarryTheExactPayloadAndItsPlace(t *testing.T) {
	t.Parallel()
	tr, ix := knownDataSet(t)
	res, err := ix.Query(context.Background(), index.Filter{RequestID: "req-gateway-a-standard-9"}, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 || res.Next != "" {
		t.Fatalf("got %d records, next %q; want 1 and no next page", len(res.Records), res.Next)
	}
	r := res.Records[0]
	s := makeSample("gateway-a", "standard", 0, 0, 9)
	if r.Writer != "gateway-a" || r.Class != "standard" || r.Seq != 10 || !r.Time.Equal(s.ts) || r.Cursor <= 0 {
		t.Errorf("record = %+v", r)
	}
	// The payload is the bytes of the chain line, byte for byte.
	lines := readLines(t, segmentFiles(t, tr.dir("gateway-a", "standard"))[0])
	if !containsLineWithPayload(lines, r.Event) {
		t.Errorf("payload %s is not the one written to the chain", r.Event)
	}
}

func TestPaginationCoversEverythingExactlyOnce(t *testing.T) {
	t.Parallel()
	tr, ix := knownDataSet(t)
	for _, tc := range []struct {
		name   string
		filter index.Filter
		limit  int
	}{
		{"all, pages of 7", index.Filter{}, 7},
		{"all, pages of 1", index.Filter{}, 1},
		{"one actor, pages of 3", index.Filter{Actors: []string{"p1:carol"}}, 3},
		{"a limit that divides the total", index.Filter{}, 4 * eventsPerChain / 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := keysOf(queryAll(t, ix, tc.filter, tc.limit))
			want := tr.keysWhere(func(s sample) bool {
				return len(tc.filter.Actors) == 0 || s.actor == tc.filter.Actors[0]
			})
			if !slices.Equal(got, want) {
				t.Errorf("pages hold %d records, want %d", len(got), len(want))
			}
		})
	}
}

func TestQueryLimitIsBounded(t *testing.T) {
	t.Parallel()
	_, ix := knownDataSet(t)
	for _, tc := range []struct{ limit, want int }{{0, index.DefaultLimit}, {-5, index.DefaultLimit}, {3, 3}} {
		res, err := ix.Query(context.Background(), index.Filter{}, "", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Records) != tc.want || res.Next == "" {
			t.Errorf("limit %d: %d records (next %q), want %d and a next page", tc.limit, len(res.Records), res.Next, tc.want)
		}
	}
}

func TestQueryRejectsABadCursorOrFilter(t *testing.T) {
	t.Parallel()
	_, ix := knownDataSet(t)
	res, err := ix.Query(context.Background(), index.Filter{}, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	good := res.Next
	for _, tc := range []struct {
		name   string
		filter index.Filter
		cursor string
	}{
		{"cursor not base64url", index.Filter{}, "!!!!!!!!!!!!!!!!!!!!!!"},
		{"cursor too short", index.Filter{}, good[:len(good)-1]},
		{"cursor too long", index.Filter{}, good + "A"},
		{"cursor of zero id", index.Filter{}, "AAAAAAAAAAAAAAAAAAAAAA"},
		{"from after to", index.Filter{From: t0.Add(time.Hour), To: t0}, ""},
		{"action outside the catalogue", index.Filter{Actions: []string{"auth.nope"}}, ""},
		{"outcome outside ECS", index.Filter{Outcome: "maybe"}, ""},
		{"too many actors", index.Filter{Actors: slices.Repeat([]string{"p1:x"}, index.MaxValues+1)}, ""},
	} {
		if _, err := ix.Query(context.Background(), tc.filter, tc.cursor, 10); !errors.Is(err, index.ErrBadFilter) {
			t.Errorf("%s: err = %v, want ErrBadFilter", tc.name, err)
		}
	}
}

func TestScanStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	_, ix := knownDataSet(t)
	stop := errors.New("stop")
	n := 0
	err := ix.Scan(context.Background(), index.Filter{}, func(record.Record) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("Scan = %v after %d records, want stop after 5", err, n)
	}
}

func TestAfterFeedsRecordsInIngestOrder(t *testing.T) {
	t.Parallel()
	tr, ix := knownDataSet(t)
	ctx := context.Background()
	var (
		cursor int64
		got    []record.Record
	)
	for {
		page, err := ix.After(ctx, cursor, 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if r.Cursor <= cursor {
				t.Fatalf("cursor %d after %d", r.Cursor, cursor)
			}
			cursor = r.Cursor
		}
		got = append(got, page...)
	}
	if len(got) != len(tr.samples) {
		t.Fatalf("After fed %d records, want %d", len(got), len(tr.samples))
	}
	tr.append("gateway-a", "standard", 2)
	mustSync(t, ix)
	page, err := ix.After(ctx, cursor, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Seq != eventsPerChain+1 || page[1].Seq != eventsPerChain+2 {
		t.Errorf("after new appends: %d records %v", len(page), keysOf(page))
	}
}
