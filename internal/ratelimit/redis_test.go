package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/ratelimit"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// uniquePrefix keeps each test's keys apart on the shared Redis.
func uniquePrefix(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "test:" + hex.EncodeToString(b) + ":"
}

// newClient is an independent client, as a separate gateway instance has.
func newClient(t testing.TB, url string) *redis.Client {
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedisLimitIsExactAcrossInstances(t *testing.T) {
	t.Parallel()
	url := testenv.RedisURL(t)
	prefix := uniquePrefix(t)
	// Two instances: their own client, store, limiter and zone state.
	instances := make([]*ratelimit.Limiter, 2)
	zones := make([][]*ratelimit.Zone, 2)
	for i := range instances {
		instances[i] = ratelimit.NewLimiter(ratelimit.Options{Redis: ratelimit.NewRedisStore(newClient(t, url), prefix), RedisTimeout: 2 * time.Second})
		zones[i] = []*ratelimit.Zone{zone("per_ip", ratelimit.Limit{Events: 100, Window: time.Hour})}
	}
	var allowed, fromRedis atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := g % 2
			out := make([]ratelimit.Decision, 1)
			for i := 0; i < 15; i++ {
				ok, src := instances[inst].Allow(context.Background(), zones[inst], []string{"203.0.113.7"}, out)
				if ok {
					allowed.Add(1)
				}
				if src == ratelimit.FromRedis {
					fromRedis.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if fromRedis.Load() != 150 {
		t.Fatalf("%d of 150 decisions came from Redis", fromRedis.Load())
	}
	if allowed.Load() != 100 {
		t.Fatalf("%d of 150 requests allowed across two instances, want exactly 100", allowed.Load())
	}
}

func TestRedisKeysExpireWhenTheBucketIsFull(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	prefix := uniquePrefix(t)
	store := ratelimit.NewRedisStore(client, prefix)
	zs := []*ratelimit.Zone{zone("per_ip", ratelimit.Limit{Events: 60, Window: time.Minute})}
	out := make([]ratelimit.Decision, 1)
	for i := 0; i < 5; i++ {
		if ok, err := store.Take(context.Background(), zs, []string{"198.51.100.1"}, out); err != nil || !ok {
			t.Fatalf("take %d: %v %v", i, ok, err)
		}
	}
	key := ratelimit.RedisKey(prefix, "per_ip", "198.51.100.1")
	ttl, err := client.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	// Five events at one per second: the bucket is full again in 5s.
	if ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Fatalf("PTTL(%s) = %s, want about 5s (time until the bucket is full)", key, ttl)
	}
	if out[0].Reset != ttl.Round(time.Second) && (out[0].Reset < 4*time.Second || out[0].Reset > 5*time.Second) {
		t.Fatalf("Reset = %s, want about 5s", out[0].Reset)
	}
	if strings.Contains(key, "198.51.100.1") {
		t.Fatalf("Redis key %q contains the client's key in clear", key)
	}
}

func TestRedisRecoversFromScriptFlush(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t) // private: SCRIPT FLUSH must not disturb others
	client := newClient(t, srv.URL())
	for _, perZone := range []bool{false, true} {
		store := ratelimit.NewRedisStore(client, uniquePrefix(t))
		if perZone {
			store.ForcePerZone()
		}
		if err := store.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := client.ScriptFlush(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		zs := []*ratelimit.Zone{
			zone("a", ratelimit.Limit{Events: 1, Window: time.Hour}),
			zone("b", ratelimit.Limit{Events: 1, Window: time.Hour}),
		}
		out := make([]ratelimit.Decision, 2)
		if ok, err := store.Take(context.Background(), zs, []string{"k", "k"}, out); err != nil || !ok {
			t.Fatalf("perZone=%v: after SCRIPT FLUSH: allowed=%v err=%v, want the script reloaded and the request allowed", perZone, ok, err)
		}
		if ok, err := store.Take(context.Background(), zs, []string{"k", "k"}, out); err != nil || ok {
			t.Fatalf("perZone=%v: second request: allowed=%v err=%v, want refused", perZone, ok, err)
		}
	}
}

func TestRedisCountsARequestInAllZonesOrNone(t *testing.T) {
	t.Parallel()
	store := ratelimit.NewRedisStore(testenv.RedisClient(t), uniquePrefix(t))
	zs := []*ratelimit.Zone{
		zone("per_ip", ratelimit.Limit{Events: 3, Window: time.Hour}),
		zone("per_user", ratelimit.Limit{Events: 5, Window: time.Hour}),
	}
	out := make([]ratelimit.Decision, 2)
	for i := 0; i < 10; i++ {
		_, _ = store.Take(context.Background(), zs, []string{"ip1", "alice"}, out)
	}
	if out[0].Allowed || !out[1].Allowed || out[0].RetryAfter <= 0 {
		t.Fatalf("last request from ip1: %+v, want refused by per_ip with a retry-after", out)
	}
	for i := 0; i < 2; i++ { // alice spent 3 of 5
		if ok, err := store.Take(context.Background(), zs, []string{"ip2", "alice"}, out); err != nil || !ok {
			t.Fatalf("request %d from ip2: %v %v %+v; per_user must not have counted refused requests", i, ok, err, out)
		}
	}
	if ok, _ := store.Take(context.Background(), zs, []string{"ip2", "alice"}, out); ok || out[1].Allowed || !out[0].Allowed {
		t.Fatalf("alice's 6th request: %+v, want refused by per_user", out)
	}
}

func TestRedisAndMemoryDecideAlike(t *testing.T) {
	t.Parallel()
	store := ratelimit.NewRedisStore(testenv.RedisClient(t), uniquePrefix(t))
	limit := ratelimit.Limit{Events: 5, Window: time.Hour, Burst: 3}
	rz := []*ratelimit.Zone{zone("z", limit)}
	tab := ratelimit.NewTable(limit, 0)
	out := make([]ratelimit.Decision, 1)
	now := time.Now()
	for i := 0; i < 5; i++ {
		if _, err := store.Take(context.Background(), rz, []string{"k"}, out); err != nil {
			t.Fatal(err)
		}
		m := tab.Take("k", now)
		// Redis' clock moves between calls; a 12-minute interval hides that.
		if out[0].Allowed != m.Allowed || out[0].Remaining != m.Remaining ||
			(out[0].RetryAfter-m.RetryAfter).Abs() > time.Second || (out[0].Reset-m.Reset).Abs() > time.Second {
			t.Fatalf("event %d: redis %+v, memory %+v", i, out[0], m)
		}
	}
}
