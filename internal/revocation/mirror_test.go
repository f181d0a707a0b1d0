package revocation_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
)

// harness is a Redis-backed mirror on a key prefix of its own, so that tests
// share one Redis in parallel.
type harness struct {
	t       *testing.T
	client  redis.UniversalClient
	keys    revocation.Keys
	clock   *clock.Manual
	mirror  *revocation.Mirror
	pub     revocation.Publisher
	applied chan revocation.Entry
	logs    *observer.ObservedLogs
}

func newHarness(t *testing.T, client redis.UniversalClient, cfg revocation.MirrorConfig) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		client:  client,
		keys:    revocation.Keys{Prefix: "test:" + randomID()},
		clock:   clock.NewManual(time.Now()),
		applied: make(chan revocation.Entry, 64),
	}
	core, logs := observer.New(zap.InfoLevel)
	h.logs = logs
	cfg.Redis, cfg.Keys, cfg.Clock, cfg.Logger = client, h.keys, h.clock, zap.New(core)
	cfg.OnApply = func(e revocation.Entry) { h.applied <- e }
	if cfg.Resync == 0 {
		cfg.Resync = time.Hour // only the feed or an explicit Resync moves the mirror
	}
	h.mirror = revocation.NewMirror(cfg)
	h.pub = revocation.NewRedisPublisher(client, h.keys, h.clock)
	t.Cleanup(func() {
		h.mirror.Stop()
		_ = client.Del(context.Background(), h.keys.Set()).Err()
	})
	return h
}

func (h *harness) start() {
	h.t.Helper()
	if err := h.mirror.Start(context.Background()); err != nil {
		h.t.Fatalf("starting the mirror: %v", err)
	}
}

// awaitApplied waits for the feed to deliver an entry with the given id.
func (h *harness) awaitApplied(id string) {
	h.t.Helper()
	awaitApplied(h.t, h.applied, id)
}

// awaitApplied waits until the mirror reports (OnApply) an entry with the
// given id; the bound only turns a hang into a failure.
func awaitApplied(t testing.TB, applied <-chan revocation.Entry, id string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-applied:
			if e.ID == id {
				return
			}
		case <-timeout:
			t.Fatalf("the feed did not deliver the revocation of %q within 5s", id)
		}
	}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func token(sub, jti, sid string, iat time.Time) *principal.Principal {
	return &principal.Principal{Subject: sub, TokenID: jti, SessionID: sid, IssuedAt: iat, Expiry: iat.Add(15 * time.Minute)}
}

func TestMirrorRefusesRevokedTokens(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	T := time.Now().Truncate(time.Second)
	until := T.Add(time.Hour)
	type revoke func(ctx context.Context, p revocation.Publisher) (lastID string, err error)
	cases := []struct {
		name   string
		revoke revoke
		token  *principal.Principal
		want   error
	}{
		{"token whose jti is revoked is refused",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "j1", p.RevokeToken(ctx, "j1", until)
			},
			token("alice", "j1", "s1", T), revocation.ErrRevoked},
		{"another token of the same session passes a jti revocation",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "j1", p.RevokeToken(ctx, "j1", until)
			},
			token("alice", "j2", "s1", T), nil},
		{"token of a revoked session is refused",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "s1", p.RevokeSession(ctx, "s1", until)
			},
			token("alice", "j3", "s1", T), revocation.ErrRevoked},
		{"token of another session passes a session revocation",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "s1", p.RevokeSession(ctx, "s1", until)
			},
			token("alice", "j3", "s2", T), nil},
		{"token issued before the user's revocation time is refused",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "alice", p.RevokeUser(ctx, "alice", T, until)
			},
			token("alice", "j4", "s4", T.Add(-time.Second)), revocation.ErrRevoked},
		{"token issued after the user's revocation time passes",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "alice", p.RevokeUser(ctx, "alice", T, until)
			},
			token("alice", "j5", "s5", T.Add(time.Second)), nil},
		{"token issued exactly at the user's revocation time passes",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "alice", p.RevokeUser(ctx, "alice", T, until)
			},
			token("alice", "j5", "s5", T), nil},
		{"token of another user passes a user revocation",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "alice", p.RevokeUser(ctx, "alice", T, until)
			},
			token("bob", "j6", "s6", T.Add(-time.Hour)), nil},
		{"token without iat of a revoked user is refused",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				return "alice", p.RevokeUser(ctx, "alice", T, until)
			},
			token("alice", "j7", "s7", time.Time{}), revocation.ErrRevoked},
		{"the later of two user revocations wins, whatever their order",
			func(ctx context.Context, p revocation.Publisher) (string, error) {
				if err := p.RevokeUser(ctx, "alice", T.Add(time.Minute), until); err != nil {
					return "", err
				}
				return "alice", p.RevokeUser(ctx, "alice", T, until)
			},
			token("alice", "j8", "s8", T.Add(30*time.Second)), revocation.ErrRevoked},
	}
	for _, c := range cases {
		t.Run(c.name+" (loaded at start)", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, client, revocation.MirrorConfig{})
			if _, err := c.revoke(context.Background(), h.pub); err != nil {
				t.Fatal(err)
			}
			h.start()
			if got := h.mirror.Check(c.token); !errors.Is(got, c.want) || (c.want == nil && got != nil) {
				t.Errorf("Check = %v, want %v", got, c.want)
			}
		})
		t.Run(c.name+" (announced while running, seen without a resync)", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, client, revocation.MirrorConfig{})
			h.start()
			last, err := c.revoke(context.Background(), h.pub)
			if err != nil {
				t.Fatal(err)
			}
			h.awaitApplied(last)
			if got := h.mirror.Check(c.token); !errors.Is(got, c.want) || (c.want == nil && got != nil) {
				t.Errorf("Check = %v, want %v", got, c.want)
			}
		})
	}
}

func TestEveryMirrorOnTheSameKeysSeesARevocation(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	a := newHarness(t, client, revocation.MirrorConfig{})
	b := revocation.NewMirror(revocation.MirrorConfig{Redis: client, Keys: a.keys, Resync: time.Hour, Clock: a.clock,
		OnApply: func(e revocation.Entry) { a.applied <- e }})
	t.Cleanup(b.Stop)
	a.start()
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.pub.RevokeToken(context.Background(), "shared", a.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a.awaitApplied("shared")
	a.awaitApplied("shared")
	tok := token("u", "shared", "s", a.clock.Now())
	for name, m := range map[string]*revocation.Mirror{"a": a.mirror, "b": b} {
		if err := m.Check(tok); !errors.Is(err, revocation.ErrRevoked) {
			t.Errorf("mirror %s: Check = %v, want ErrRevoked", name, err)
		}
	}
}

func TestExpiredRevocationsAreForgotten(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	ctx := context.Background()
	h := newHarness(t, client, revocation.MirrorConfig{})
	h.start()
	now := h.clock.Now()
	if err := h.pub.RevokeToken(ctx, "old", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := h.pub.RevokeUser(ctx, "carol", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	h.awaitApplied("carol")
	if n := h.mirror.Stats().Entries; n != 2 {
		t.Fatalf("entries before expiry = %d, want 2", n)
	}

	// Past until + grace, neither the mirror nor Redis keeps them.
	h.clock.Advance(time.Minute + revocation.Grace + time.Second)
	if err := h.mirror.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.mirror.Stats().Entries; n != 0 {
		t.Errorf("entries after expiry = %d, want 0", n)
	}
	if err := h.mirror.Check(token("carol", "old", "s", now.Add(-time.Hour))); err != nil {
		t.Errorf("Check of a token covered only by expired entries = %v, want nil", err)
	}
	if err := h.pub.RevokeToken(ctx, "new", h.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	members, err := client.ZRange(ctx, h.keys.Set(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0] != "jti:new" {
		t.Errorf("redis set after the next write = %q, want only jti:new", members)
	}
	ttl, err := client.PTTL(ctx, h.keys.Set()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > time.Minute+revocation.Grace {
		t.Errorf("set TTL = %s, want (0, until+grace]", ttl)
	}
}

func TestRevokingTwiceKeepsTheLaterUntil(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	ctx := context.Background()
	h := newHarness(t, client, revocation.MirrorConfig{})
	now := h.clock.Now()
	later := now.Add(10 * time.Minute)
	for _, until := range []time.Time{later, now.Add(5 * time.Minute)} {
		if err := h.pub.RevokeSession(ctx, "s", until); err != nil {
			t.Fatal(err)
		}
	}
	score, err := client.ZScore(ctx, h.keys.Set(), "sid:s").Result()
	if err != nil {
		t.Fatal(err)
	}
	if int64(score) != later.UnixMilli() {
		t.Errorf("score = %v, want the later until %d", int64(score), later.UnixMilli())
	}
}

func TestPublishersRefuseMeaninglessRevocations(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	h := newHarness(t, client, revocation.MirrorConfig{})
	local := revocation.NewMirror(revocation.MirrorConfig{Clock: h.clock})
	now := h.clock.Now()
	cases := []struct {
		name   string
		revoke func(p revocation.Publisher) error
	}{
		{"a token without jti", func(p revocation.Publisher) error { return p.RevokeToken(context.Background(), "", now.Add(time.Hour)) }},
		{"a session without sid", func(p revocation.Publisher) error {
			return p.RevokeSession(context.Background(), "", now.Add(time.Hour))
		}},
		{"a user without a revoked-before time", func(p revocation.Publisher) error {
			return p.RevokeUser(context.Background(), "u", time.Time{}, now.Add(time.Hour))
		}},
		{"an entry whose until has passed", func(p revocation.Publisher) error {
			return p.RevokeToken(context.Background(), "j", now.Add(-time.Second))
		}},
	}
	for _, c := range cases {
		for name, p := range map[string]revocation.Publisher{"redis": h.pub, "memory": local.Publisher()} {
			t.Run(c.name+" is refused by the "+name+" publisher", func(t *testing.T) {
				if err := c.revoke(p); err == nil {
					t.Error("want an error")
				}
			})
		}
	}
	if n, err := client.Exists(context.Background(), h.keys.Set()).Result(); err != nil || n != 0 {
		t.Errorf("refused revocations wrote to redis (exists=%d, err=%v)", n, err)
	}
}

func TestStaleMirrorFailsClosedAndRecovers(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	opts, _ := redis.ParseURL(srv.URL())
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx := context.Background()
	// The resync loop runs on real time, quickly, so recovery needs no help;
	// staleness is measured on the manual clock.
	h := newHarness(t, client, revocation.MirrorConfig{Resync: 20 * time.Millisecond, MaxStaleness: 2 * time.Second})
	fresh := token("dave", "fresh", "s", h.clock.Now())
	revoked := token("dave", "gone", "s", h.clock.Now())

	h.start()
	if err := h.pub.RevokeToken(ctx, "gone", h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.awaitApplied("gone")
	if err := h.mirror.Check(fresh); err != nil {
		t.Fatalf("with redis up: Check = %v", err)
	}

	srv.Stop()
	h.clock.Advance(1500 * time.Millisecond)
	if err := h.mirror.Check(fresh); err != nil {
		t.Errorf("redis down within the bound: Check = %v, want nil", err)
	}
	h.clock.Advance(time.Second)
	// The watchdog notices within a twentieth of the bound (real time).
	testenv.WaitFor(t, 5*time.Second, "the mirror to fail closed", func() bool {
		return errors.Is(h.mirror.Check(fresh), revocation.ErrStale)
	})
	refusals := h.mirror.Stats().StaleRefusals
	for range 3 {
		if err := h.mirror.Check(fresh); !errors.Is(err, revocation.ErrStale) {
			t.Errorf("redis down beyond the bound: Check = %v, want ErrStale", err)
		}
	}
	if err := h.mirror.Check(revoked); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("a token known to be revoked while stale: Check = %v, want ErrRevoked", err)
	}
	if st := h.mirror.Stats(); !st.Stale || st.StaleRefusals-refusals != 3 {
		t.Errorf("stats while stale = %+v, want Stale and 3 more refusals than %d", st, refusals)
	}
	if n := h.logs.FilterMessageSnippet("revocation mirror is stale").Len(); n != 1 {
		t.Errorf("staleness logged %d times, want once per transition", n)
	}

	srv.Start() // empty: the private server keeps nothing across restarts
	testenv.WaitFor(t, 10*time.Second, "the mirror to reload after redis restarts", func() bool {
		return h.mirror.Check(fresh) == nil
	})
	if err := h.mirror.Check(revoked); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("after redis restarted empty, a revocation seen before: Check = %v, want ErrRevoked", err)
	}
	if n := h.logs.FilterMessageSnippet("fresh again").Len(); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	// The feed resubscribes by itself.
	testenv.WaitFor(t, 10*time.Second, "the feed to resubscribe", func() bool { return h.mirror.Stats().FeedSubscribed })
	if err := h.pub.RevokeToken(ctx, "after", h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.awaitApplied("after")
}

func TestMirrorThatNeverLoadedIsStale(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.RedisClient(t), revocation.MirrorConfig{})
	if err := h.mirror.Check(token("u", "j", "s", h.clock.Now())); !errors.Is(err, revocation.ErrStale) {
		t.Errorf("before its first load: Check = %v, want ErrStale", err)
	}
	h.start()
	if err := h.mirror.Check(token("u", "j", "s", h.clock.Now())); err != nil {
		t.Errorf("after its first load: Check = %v, want nil", err)
	}
}

func TestMemoryModeIsNeverStale(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(time.Now())
	applied := make(chan revocation.Entry, 8)
	m := revocation.NewMirror(revocation.MirrorConfig{Clock: clk, OnApply: func(e revocation.Entry) { applied <- e }})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	ctx := context.Background()
	now := clk.Now()
	tok := token("erin", "j", "s", now)

	clk.Advance(24 * time.Hour)
	if err := m.Check(tok); err != nil {
		t.Errorf("memory mode a day later: Check = %v, want nil", err)
	}
	if err := m.Publisher().RevokeSession(ctx, "s", clk.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	<-applied // in memory mode it is applied before RevokeSession returns
	if err := m.Check(tok); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("after revoking the session: Check = %v, want ErrRevoked", err)
	}
	clk.Advance(time.Minute + revocation.Grace + time.Second)
	if err := m.Resync(ctx); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.Entries != 0 || st.Stale {
		t.Errorf("after expiry: stats = %+v, want no entries, not stale", st)
	}
}
