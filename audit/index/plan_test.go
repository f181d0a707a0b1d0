package index

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The filters of the query API must be served by an index, never by a scan
// of the whole table: on 10 million events a scan takes seconds.
func TestQueryPlansUseTheIndexes(t *testing.T) {
	t.Parallel()
	ix, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "i.db"), Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		filter Filter
		index  string
	}{
		{"actor and a day", Filter{Actors: []string{"p1:a"}, From: day, To: day.Add(24 * time.Hour)}, "events_actor_ts"},
		{"several actors", Filter{Actors: []string{"p1:a", "p0:a"}}, "events_actor_ts"},
		{"action and a day", Filter{Actions: []string{"auth.login"}, From: day, To: day.Add(24 * time.Hour)}, "events_action_ts"},
		{"request id", Filter{RequestID: "r1", Writer: "gateway-a"}, "events_request_id"},
		{"source", Filter{Sources: []string{"192.0.2.0"}}, "events_source_ip_ts"},
		{"source hash", Filter{Sources: []string{"h1"}}, "events_source_hash_ts"},
		{"a day", Filter{From: day, To: day.Add(24 * time.Hour)}, "events_ts"},
		{"writer and outcome walk the time index", Filter{Writer: "gateway-a", Outcome: "failure"}, "events_ts"},
		{"nothing", Filter{}, "events_ts"},
	}
	for _, tc := range cases {
		where, args := tc.filter.whereClause()
		for _, order := range []string{" ORDER BY e.ts DESC, e.id DESC LIMIT 100", " ORDER BY e.ts, e.id"} {
			rows, err := ix.reads.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+selectColumns+where+order, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			p := strings.Join(plan, "; ")
			// One actor, one action or time alone: the index gives the order,
			// so LIMIT stops early; other filters select few rows to sort.
			presorted := len(tc.filter.Actors) <= 1 && len(tc.filter.Sources) == 0 && tc.filter.RequestID == ""
			if !strings.Contains(p, tc.index) || presorted && strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("%s%s: plan %q, want %s", tc.name, order, p, tc.index)
			}
		}
	}
}
