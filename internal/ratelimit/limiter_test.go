package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/ratelimit"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/redis/go-redis/v9"
)

func zone(name string, l ratelimit.Limit) *ratelimit.Zone {
	return ratelimit.NewZone(name, ratelimit.NewTable(l, 0))
}

func TestInMemoryModeUsesTheSameAlgorithm(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(t0)
	l := ratelimit.NewLimiter(ratelimit.Options{Clock: clk})
	zs := []*ratelimit.Zone{zone("per_ip", ratelimit.Limit{Events: 3, Window: time.Minute})}
	out := make([]ratelimit.Decision, 1)
	for i := 0; i < 3; i++ {
		if ok, src := l.Allow(context.Background(), zs, []string{"1.2.3.4"}, out); !ok || src != ratelimit.FromMemory {
			t.Fatalf("request %d: allowed=%v source=%v, want allowed from memory", i, ok, src)
		}
	}
	if ok, _ := l.Allow(context.Background(), zs, []string{"1.2.3.4"}, out); ok || out[0].RetryAfter != 20*time.Second {
		t.Fatalf("4th request: allowed=%v %+v, want refused with retry 20s", ok, out[0])
	}
	clk.Advance(20 * time.Second)
	if ok, _ := l.Allow(context.Background(), zs, []string{"1.2.3.4"}, out); !ok {
		t.Fatal("after the retry-after, the request must pass")
	}
}

func TestARequestRefusedByOneZoneCountsInNone(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(t0)
	l := ratelimit.NewLimiter(ratelimit.Options{Clock: clk})
	perIP := zone("per_ip", ratelimit.Limit{Events: 3, Window: time.Hour})
	perUser := zone("per_user", ratelimit.Limit{Events: 5, Window: time.Hour})
	zs := []*ratelimit.Zone{perIP, perUser}
	out := make([]ratelimit.Decision, 2)
	for i := 0; i < 10; i++ { // 3 pass from the first IP, 7 are refused by per_ip
		l.Allow(context.Background(), zs, []string{"ip1", "alice"}, out)
	}
	if out[0].Allowed || !out[1].Allowed {
		t.Fatalf("last request: %+v, want refused by per_ip only", out)
	}
	// alice spent 3 of 5, so 2 more pass from another IP.
	for i := 0; i < 2; i++ {
		if ok, _ := l.Allow(context.Background(), zs, []string{"ip2", "alice"}, out); !ok {
			t.Fatalf("request %d from ip2: refused %+v; per_user must not have counted refused requests", i, out)
		}
	}
	if ok, _ := l.Allow(context.Background(), zs, []string{"ip2", "alice"}, out); ok || out[1].Allowed || !out[0].Allowed {
		t.Fatalf("6th request of alice: %+v, want refused by per_user", out)
	}
}

// recorder is an Observer that keeps the transitions.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) RedisDown(error) { r.mu.Lock(); r.events = append(r.events, "down"); r.mu.Unlock() }
func (r *recorder) RedisUp()        { r.mu.Lock(); r.events = append(r.events, "up"); r.mu.Unlock() }
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return join(r.events)
}

func join(s []string) string {
	out := ""
	for i, e := range s {
		if i > 0 {
			out += ","
		}
		out += e
	}
	return out
}

func TestFallsBackWhileRedisIsDownAndReturnsByItself(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	clk := clock.NewManual(t0)
	rec := &recorder{}
	l := ratelimit.NewLimiter(ratelimit.Options{
		Clock: clk, Redis: ratelimit.NewRedisStore(client, "test:"), Observer: rec,
		MinBackoff: time.Second, MaxBackoff: 4 * time.Second,
	})
	zs := []*ratelimit.Zone{zone("z", ratelimit.Limit{Events: 2, Window: time.Hour})}
	out := make([]ratelimit.Decision, 1)
	allow := func() (bool, ratelimit.Source) {
		return l.Allow(context.Background(), zs, []string{"k"}, out)
	}

	if ok, src := allow(); !ok || src != ratelimit.FromRedis {
		t.Fatalf("with Redis up: %v %v, want allowed from Redis", ok, src)
	}
	srv.Stop()
	steps := []struct {
		name    string
		advance time.Duration
		allowed bool
		source  ratelimit.Source
	}{
		{"the first request after Redis dies falls back", 0, true, ratelimit.FromFallback},
		{"the in-process limit applies during the outage", 0, true, ratelimit.FromFallback},
		{"and refuses past it", 0, false, ratelimit.FromFallback},
		{"a probe after the backoff fails: still fallback", time.Second, false, ratelimit.FromFallback},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if ok, src := allow(); ok != s.allowed || src != s.source {
			t.Fatalf("%s: allowed=%v source=%v, want %v %v", s.name, ok, src, s.allowed, s.source)
		}
	}
	if l.RedisHealthy() {
		t.Fatal("RedisHealthy() = true during the outage")
	}
	srv.Start()
	clk.Advance(time.Second) // less than the doubled backoff: no probe yet
	if _, src := allow(); src != ratelimit.FromFallback {
		t.Fatalf("before the doubled backoff has passed: source %v, want fallback", src)
	}
	clk.Advance(time.Second)
	if _, src := allow(); src != ratelimit.FromRedis {
		t.Fatalf("after the backoff with Redis back: source %v, want Redis", src)
	}
	if got := rec.String(); got != "down,up" {
		t.Fatalf("transitions = %q, want each logged once: down,up", got)
	}
}

func TestAClientGoingAwayDoesNotOpenTheCircuit(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	l := ratelimit.NewLimiter(ratelimit.Options{Redis: ratelimit.NewRedisStore(testenv.RedisClient(t), uniquePrefix(t)), Observer: rec})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := make([]ratelimit.Decision, 1)
	_, src := l.Allow(ctx, []*ratelimit.Zone{zone("z", ratelimit.Limit{Events: 1, Window: time.Hour})}, []string{"k"}, out)
	if src != ratelimit.FromFallback || rec.String() != "" || !l.RedisHealthy() {
		t.Fatalf("source %v, transitions %q, healthy %v; want a fallback decision and the circuit still closed", src, rec, l.RedisHealthy())
	}
}
