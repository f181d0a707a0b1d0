package ratelimit_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/ratelimit"
	"github.com/portcullis/portcullis/internal/testenv"
)

// benchKeys are 10,000 client addresses, so decisions spread over shards
// the way real traffic does.
var benchKeys = func() []string {
	k := make([]string, 10_000)
	for i := range k {
		k[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	return k
}()

// BenchmarkMemoryLimiter is one in-process decision, on all cores at once.
func BenchmarkMemoryLimiter(b *testing.B) {
	l := ratelimit.NewLimiter(ratelimit.Options{})
	zs := []*ratelimit.Zone{zone("per_ip", ratelimit.Limit{Events: 1_000_000, Window: time.Minute})}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		out := make([]ratelimit.Decision, 1)
		keys := make([]string, 1)
		i := int(next.Add(1)) * 7919
		for pb.Next() {
			i++
			keys[0] = benchKeys[i%len(benchKeys)]
			l.Allow(context.Background(), zs, keys, out)
		}
	})
}

// BenchmarkRedisLimiter is one decision in Redis: one EVALSHA round trip.
func BenchmarkRedisLimiter(b *testing.B) {
	store := ratelimit.NewRedisStore(testenv.RedisClient(b), uniquePrefix(b))
	if err := store.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	l := ratelimit.NewLimiter(ratelimit.Options{Redis: store, RedisTimeout: time.Second})
	zs := []*ratelimit.Zone{zone("per_ip", ratelimit.Limit{Events: 1_000_000, Window: time.Minute})}
	out := make([]ratelimit.Decision, 1)
	keys := make([]string, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		keys[0] = benchKeys[i%len(benchKeys)]
		if _, src := l.Allow(context.Background(), zs, keys, out); src != ratelimit.FromRedis {
			b.Fatalf("decision %d did not come from Redis", i)
		}
	}
}

// BenchmarkTableTake is the CPU cost of one in-process decision on one core,
// the clock read aside.
func BenchmarkTableTake(b *testing.B) {
	tab := ratelimit.NewTable(ratelimit.Limit{Events: 1_000_000, Window: time.Minute}, 0)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tab.Take(benchKeys[i%len(benchKeys)], now)
	}
}
