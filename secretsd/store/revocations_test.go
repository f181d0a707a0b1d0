package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestRevocations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		now := t0
		add := func(kind, value string, until time.Time) int64 {
			t.Helper()
			r := store.Revocation{Kind: kind, Value: value, Until: until, CreatedAt: now}
			if kind == "sub" {
				r.Before = now
			}
			seq, err := s.AddRevocation(ctx, r)
			noErr(t, err)
			return seq
		}
		last, err := s.LastRevocationSeq(ctx)
		noErr(t, err)
		if last != 0 {
			t.Fatalf("LastRevocationSeq of an empty log = %d, want 0", last)
		}
		a := add("jti", "token-a", now.Add(time.Minute))
		b := add("sid", "session-b", now.Add(time.Hour))
		c := add("sub", "user-c", now.Add(15*time.Minute))
		if !(a < b && b < c) {
			t.Fatalf("sequence numbers %d %d %d do not increase", a, b, c)
		}
		if last, err := s.LastRevocationSeq(ctx); err != nil || last != c {
			t.Fatalf("LastRevocationSeq = %d, %v; want %d", last, err, c)
		}

		got, err := s.RevocationsAfter(ctx, 0, now, 10)
		noErr(t, err)
		if len(got) != 3 || got[0].Seq != a || got[2].Seq != c {
			t.Fatalf("RevocationsAfter(0) = %+v", got)
		}
		if r := got[2]; r.Kind != "sub" || r.Value != "user-c" || !r.Before.Equal(us(now)) ||
			!r.Until.Equal(us(now.Add(15*time.Minute))) || !r.CreatedAt.Equal(us(now)) {
			t.Fatalf("entry round-trip: %+v", r)
		}
		if !got[0].Before.IsZero() {
			t.Fatalf("a jti entry has Before %v", got[0].Before)
		}

		for _, tc := range []struct {
			name  string
			after int64
			now   time.Time
			limit int
			want  []int64
		}{
			{"after a cursor", a, now, 10, []int64{b, c}},
			{"limited, in seq order", 0, now, 2, []int64{a, b}},
			{"entries no longer in force are left out", 0, now.Add(20 * time.Minute), 10, []int64{b}},
			{"nothing new", c, now, 10, nil},
			{"zero limit", 0, now, 0, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.RevocationsAfter(ctx, tc.after, tc.now, tc.limit)
				noErr(t, err)
				var seqs []int64
				for _, r := range got {
					seqs = append(seqs, r.Seq)
				}
				if fmt.Sprint(seqs) != fmt.Sprint(tc.want) {
					t.Fatalf("seqs %v, want %v", seqs, tc.want)
				}
			})
		}

		t.Run("prune forgets what is no longer in force; seqs are never reused", func(t *testing.T) {
			n, err := s.PruneRevocations(ctx, now.Add(20*time.Minute))
			if err != nil || n != 2 {
				t.Fatalf("PruneRevocations = %d, %v; want 2", n, err)
			}
			if d := add("jti", "token-d", now.Add(time.Hour)); d <= c {
				t.Fatalf("seq %d after pruning, want > %d", d, c)
			}
			got, _ := s.RevocationsAfter(ctx, 0, now, 10)
			if len(got) != 2 || got[0].Seq != b {
				t.Fatalf("after prune: %+v", got)
			}
		})
	})
}

// TestRevocationsPollingSeesEveryAppend: a gateway polling "after the last
// seq I saw" while many writers append must end up with every entry.
func TestRevocationsPollingSeesEveryAppend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		const writers, each = 8, 10
		var wg sync.WaitGroup
		done := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					_, err := s.AddRevocation(ctx, store.Revocation{Kind: "jti", Value: fmt.Sprint(w, "-", i),
						Until: t0.Add(time.Hour), CreatedAt: t0})
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		go func() { wg.Wait(); close(done) }()

		seen := map[string]bool{}
		var cursor int64
		poll := func() {
			got, err := s.RevocationsAfter(ctx, cursor, t0, 7)
			noErr(t, err)
			for _, r := range got {
				if r.Seq <= cursor {
					t.Fatalf("seq %d not after cursor %d", r.Seq, cursor)
				}
				cursor = r.Seq
				seen[r.Value] = true
			}
		}
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			poll()
		}
		for range writers * each { // drain what is left
			poll()
		}
		if len(seen) != writers*each {
			t.Fatalf("the poller saw %d of %d entries", len(seen), writers*each)
		}
	})
}
