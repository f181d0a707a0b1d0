package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/record"
)

// The query benchmark runs on an index of benchEvents events, built directly
// in SQLite (not from chain files: that would take far longer) and kept under
// os.TempDir() so later runs reuse it. Building it takes a few minutes and
// about 15 GB (payloads of ~700 bytes, like real gateway events); bump
// benchDBVersion when the schema or the data change.
const (
	benchDBVersion = 1
	benchEvents    = 10_000_000
	benchActors    = 10_000
	benchDays      = 365
)

var benchStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func benchActor(i int) string { return fmt.Sprintf("p1:%064x", i*7919+1) }

// BenchmarkQueryActorDay: one day of one actor among 10 million events, the
// target of issue 4 (≤ 50 ms). The actor has a typical share (10,000 actors).
func BenchmarkQueryActorDay(b *testing.B) {
	ix := openBenchIndex(b)
	f := Filter{Actors: []string{benchActor(42)}, From: benchStart.AddDate(0, 0, 200)}
	f.To = f.From.Add(24 * time.Hour)
	ctx := context.Background()
	res, err := ix.Query(ctx, f, "", 100)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ix.Query(ctx, f, "", 100); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(res.Records)), "records")
}

// BenchmarkScanActorDay: the same day and actor, streamed with Scan.
func BenchmarkScanActorDay(b *testing.B) {
	ix := openBenchIndex(b)
	f := Filter{Actors: []string{benchActor(42)}, From: benchStart.AddDate(0, 0, 200)}
	f.To = f.From.Add(24 * time.Hour)
	ctx := context.Background()
	n := 0
	for b.Loop() {
		n = 0
		if err := ix.Scan(ctx, f, func(record.Record) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "records")
}

// BenchmarkQueryDay: the newest page of one whole day (~27,000 events), no
// actor: the time index alone.
func BenchmarkQueryDay(b *testing.B) {
	ix := openBenchIndex(b)
	f := Filter{From: benchStart.AddDate(0, 0, 200)}
	f.To = f.From.Add(24 * time.Hour)
	ctx := context.Background()
	for b.Loop() {
		if _, err := ix.Query(ctx, f, "", 100); err != nil {
			b.Fatal(err)
		}
	}
}

func openBenchIndex(b *testing.B) *Index {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("portcullis-index-bench-v%d.db", benchDBVersion))
	if _, err := os.Stat(path); err != nil {
		b.Logf("building %s (%d events); later runs reuse it", path, benchEvents)
		start := time.Now()
		if err := buildBenchDB(path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built in %v", time.Since(start).Round(time.Second))
	}
	ix, err := Open(context.Background(), Options{Path: path, Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	return ix
}

// buildBenchDB writes the events into path+".tmp" and renames it when
// complete, so an interrupted build is not reused.
func buildBenchDB(path string) error {
	ctx := context.Background()
	tmp := path + ".tmp"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	_, db, err := openDB(ctx, tmp)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate(ctx, db); err != nil {
		return err
	}
	// Load without the secondary indexes and build them once at the end:
	// sorting once is much faster than 10 million b-tree inserts each.
	for _, name := range []string{"events_chain_seq", "events_ts", "events_actor_ts", "events_action_ts",
		"events_request_id", "events_source_ip_ts", "events_source_hash_ts"} {
		if _, err := db.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return err
		}
	}
	for i, w := range []string{"gateway-1", "secretsd-1", "gateway-2", "secretsd-2"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO chains (id, writer, class) VALUES (?, ?, 'standard')`, i+1, w); err != nil {
			return err
		}
	}
	actions := []string{"gateway.request", "auth.login", "token.issue", "token.refresh", "authz.decision", "secret.read"}
	rng := rand.New(rand.NewPCG(1, 2))
	step := int64(benchDays*24*time.Hour) / benchEvents
	var seqs [4]int64
	const perTx = 200_000
	for done := 0; done < benchEvents; done += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, insertEventSQL)
		if err != nil {
			return err
		}
		for i := done; i < min(done+perTx, benchEvents); i++ {
			ts := benchStart.UnixNano() + int64(i)*step + rng.Int64N(step)
			chain := rng.IntN(4)
			seqs[chain]++
			actor := benchActor(rng.IntN(benchActors))
			action := actions[rng.IntN(len(actions))]
			outcome := "success"
			if rng.IntN(10) == 0 {
				outcome = "failure"
			}
			ip := fmt.Sprintf("198.51.%d.0", rng.IntN(256))
			ipHash := fmt.Sprintf("h1:%064x", rng.Uint64())
			reqID := fmt.Sprintf("%032x", rng.Uint64())
			path := fmt.Sprintf("/api/v1/items/%d", rng.IntN(5000))
			payload := fmt.Sprintf(`{"@timestamp":%q,"ecs":{"version":"8.11"},"event":{"id":"%032x","code":"5001","kind":"event","category":["web"],"type":["access"],"action":%q,"outcome":%q,"duration":1234567},"user":{"id":%q},"source":{"ip":%q},"http":{"request":{"method":"GET"},"response":{"status_code":200}},"url":{"path":%q},"portcullis":{"request_id":%q,"source_ip_hash":%q}}`,
				time.Unix(0, ts).UTC().Format(time.RFC3339Nano), rng.Uint64(), action, outcome, actor, ip, path, reqID, ipHash)
			if _, err := stmt.ExecContext(ctx, chain+1, seqs[chain], ts, action, outcome, actor, ip, ipHash, path, reqID, payload); err != nil {
				return err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	for _, stmt := range append(secondaryIndexes, "PRAGMA wal_checkpoint(TRUNCATE)") {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if err := db.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
