package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/revocation/feedtest"
	"github.com/portcullis/portcullis/internal/testenv"
)

// feedHarness is a mirror following a feedtest server, on a manual clock.
type feedHarness struct {
	t       *testing.T
	feed    *feedtest.Server
	clock   *clock.Manual
	mirror  *revocation.Mirror
	applied chan revocation.Entry
	logs    *observer.ObservedLogs
}

// newFeedHarness builds the mirror; cfg.Feed defaults to the server's URL and
// token, and cfg.Feed.URL to the server's URL.
func newFeedHarness(t *testing.T, opts feedtest.Options, cfg revocation.MirrorConfig) *feedHarness {
	t.Helper()
	h := &feedHarness{
		t:       t,
		feed:    feedtest.Start(t, opts),
		clock:   clock.NewManual(time.Now()),
		applied: make(chan revocation.Entry, 1024),
	}
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	if cfg.Feed == nil {
		cfg.Feed = &revocation.FeedConfig{Token: opts.Token}
	}
	if cfg.Feed.URL == "" {
		cfg.Feed.URL = h.feed.URL()
	}
	cfg.Clock, cfg.Logger = h.clock, zap.New(core)
	cfg.OnApply = func(e revocation.Entry) { h.applied <- e }
	if cfg.Resync == 0 {
		cfg.Resync = time.Hour // only the feed or an explicit Resync moves the mirror
	}
	h.mirror = revocation.NewMirror(cfg)
	t.Cleanup(h.mirror.Stop)
	return h
}

func (h *feedHarness) start() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.mirror.Start(ctx); err != nil {
		h.t.Fatalf("starting the mirror: %v", err)
	}
}

// awaitApplied waits for the mirror to apply an entry with the given id.
func (h *feedHarness) awaitApplied(id string) {
	h.t.Helper()
	awaitApplied(h.t, h.applied, id)
}

// allLogs is every logged message and field, to look for secrets in.
func (h *feedHarness) allLogs() string {
	var b strings.Builder
	for _, e := range h.logs.All() {
		fmt.Fprintln(&b, e.Message, e.ContextMap())
	}
	return b.String()
}

func TestFeedMirrorLoadsTheWholeListAtStart(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{})
	T := h.clock.Now().Truncate(time.Second)
	until := T.Add(time.Hour)
	h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "j1", Until: until})
	h.feed.PublishMessage("not an entry")
	h.feed.Publish(revocation.Entry{Kind: revocation.KindSession, ID: "s1", Until: until})
	h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "long-gone", Until: T.Add(-revocation.Grace - time.Minute)})
	h.feed.PublishMessage("123 foo:x")
	h.feed.Publish(revocation.Entry{Kind: revocation.KindUser, ID: "alice", Before: T, Until: until})
	h.start()

	cases := []struct {
		name  string
		token *principalArgs
		want  error
	}{
		{"a token whose jti was revoked before start is refused", &principalArgs{"bob", "j1", "x", T}, revocation.ErrRevoked},
		{"a token of a session revoked before start is refused", &principalArgs{"bob", "j2", "s1", T}, revocation.ErrRevoked},
		{"a token of a revoked user issued before the revocation is refused", &principalArgs{"alice", "j3", "s3", T.Add(-time.Second)}, revocation.ErrRevoked},
		{"a token of a revoked user issued after the revocation passes", &principalArgs{"alice", "j4", "s4", T.Add(time.Second)}, nil},
		{"a token covered only by an entry long expired passes", &principalArgs{"carol", "long-gone", "s5", T}, nil},
		{"a token of nobody revoked passes", &principalArgs{"dave", "j6", "s6", T}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := h.mirror.Check(token(c.token.sub, c.token.jti, c.token.sid, c.token.iat))
			if !errors.Is(got, c.want) || (c.want == nil && got != nil) {
				t.Errorf("Check = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("the expired and the malformed entries are not held", func(t *testing.T) {
		if st := h.mirror.Stats(); st.Entries != 3 || st.Stale || !st.FeedSubscribed {
			t.Errorf("stats = %+v, want 3 entries, fresh, feed up", st)
		}
		if n := len(h.applied); n != 3 {
			t.Errorf("OnApply called %d times, want 3 (not for the expired entry)", n)
		}
	})
	t.Run("the malformed entries are logged once, without stopping the load", func(t *testing.T) {
		logged := h.logs.FilterMessageSnippet("malformed entries")
		if logged.Len() != 1 || logged.All()[0].ContextMap()["malformed"] != int64(2) {
			t.Errorf("malformed entries logged as %v, want one line counting 2", logged.All())
		}
	})
	t.Run("the first poll asks for everything, at once", func(t *testing.T) {
		if p := h.feed.Polls()[0]; p.After != 0 || p.Wait != 0 || p.Entries != 6 {
			t.Errorf("first poll = %+v, want after=0 wait=0 answered with all 6 entries", p)
		}
	})
}

type principalArgs struct {
	sub, jti, sid string
	iat           time.Time
}

func TestFeedMirrorPagesThroughALongListBeforeItIsFresh(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{PageSize: 2}, revocation.MirrorConfig{})
	until := h.clock.Now().Add(time.Hour)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: id, Until: until})
	}
	if err := h.mirror.Check(token("u", "z", "s", h.clock.Now())); !errors.Is(err, revocation.ErrStale) {
		t.Fatalf("before the first load: Check = %v, want ErrStale", err)
	}
	h.start()
	if n := h.mirror.Stats().Entries; n != 5 {
		t.Errorf("entries after start = %d, want all 5", n)
	}
	want := []feedtest.Poll{
		{After: 0, Wait: 0, Status: 200, Cursor: 2, Entries: 2},
		{After: 2, Wait: 0, Status: 200, Cursor: 4, Entries: 2},
		{After: 4, Wait: 0, Status: 200, Cursor: 5, Entries: 1},
		{After: 5, Wait: 0, Status: 200, Cursor: 5, Entries: 0}, // caught up: only now fresh
	}
	polls := h.feed.Polls()
	if len(polls) < len(want) {
		t.Fatalf("polls = %+v, want at least %+v", polls, want)
	}
	for i, w := range want {
		if polls[i] != w {
			t.Errorf("poll %d = %+v, want %+v", i, polls[i], w)
		}
	}
}

func TestFeedMirrorFollowsTheLongPoll(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{
		MaxStaleness: time.Minute,
		Feed:         &revocation.FeedConfig{Wait: 20 * time.Second},
	})
	h.start()
	now := h.clock.Now()
	tok := token("erin", "j-erin", "s-erin", now)
	if err := h.mirror.Check(tok); err != nil {
		t.Fatalf("before any revocation: Check = %v", err)
	}

	h.feed.Publish(revocation.Entry{Kind: revocation.KindSession, ID: "s-erin", Until: now.Add(time.Hour)})
	h.awaitApplied("s-erin")
	if err := h.mirror.Check(tok); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("after the feed delivered the session's revocation: Check = %v, want ErrRevoked", err)
	}
	h.feed.Publish(revocation.Entry{Kind: revocation.KindUser, ID: "frank", Before: now, Until: now.Add(time.Hour)})
	h.awaitApplied("frank")

	polls := h.feed.Polls()
	delivered := func(after int64) feedtest.Poll {
		for _, p := range polls {
			if p.After == after && p.Entries == 1 {
				return p
			}
		}
		t.Fatalf("no poll after=%d delivered an entry; polls = %+v", after, polls)
		return feedtest.Poll{}
	}
	if p := delivered(0); p.Wait != 20*time.Second || p.Cursor != 1 {
		t.Errorf("poll that delivered the first entry = %+v, want a long poll (wait=20s) answered with cursor 1", p)
	}
	if p := delivered(1); p.Wait != 20*time.Second || p.Cursor != 2 {
		t.Errorf("poll that delivered the second entry = %+v, want a long poll from cursor 1", p)
	}
	// Held open, the polls are few: the catch-up one, one per entry, and
	// the one still waiting (which the server has not answered yet).
	if len(polls) > 3 {
		t.Errorf("the mirror polled %d times for 2 entries, want 3 (no tight loop): %+v", len(polls), polls)
	}
}

func TestFeedWaitIsBounded(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		wait         time.Duration
		maxStaleness time.Duration
		want         time.Duration
	}{
		{"the default wait is capped at half the default staleness bound", 0, 0, 15 * time.Second},
		{"the default wait is 25s when the staleness bound allows it", 0, time.Minute, 25 * time.Second},
		{"a wait is capped at the feed's own bound of 30s", 40 * time.Second, 2 * time.Minute, 30 * time.Second},
		{"a wait is capped at half a short staleness bound", 10 * time.Second, 2 * time.Second, time.Second},
		{"a wait within the bounds is kept", 12 * time.Second, time.Minute, 12 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{
				MaxStaleness: c.maxStaleness, Feed: &revocation.FeedConfig{Wait: c.wait},
			})
			h.start()
			h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "j", Until: h.clock.Now().Add(time.Hour)})
			h.awaitApplied("j")
			polls := h.feed.Polls()
			if last := polls[len(polls)-1]; last.Entries != 1 || last.Wait != c.want {
				t.Errorf("the delivering poll = %+v, want wait=%s", last, c.want)
			}
		})
	}
}

func TestFeedTokenIsSentAndNeverLogged(t *testing.T) {
	t.Parallel()
	const secret = "feed-token-0123456789-secret"
	const wrong = "wrong-token-9876543210-secret"
	t.Run("the right token is accepted", func(t *testing.T) {
		t.Parallel()
		h := newFeedHarness(t, feedtest.Options{Token: secret}, revocation.MirrorConfig{})
		h.start()
		h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "j", Until: h.clock.Now().Add(time.Hour)})
		h.awaitApplied("j")
		if strings.Contains(h.allLogs(), secret) {
			t.Errorf("the feed token appears in the log:\n%s", h.allLogs())
		}
	})
	t.Run("a wrong token fails closed with an error that does not carry it", func(t *testing.T) {
		t.Parallel()
		h := newFeedHarness(t, feedtest.Options{Token: secret}, revocation.MirrorConfig{
			Feed: &revocation.FeedConfig{Token: wrong},
		})
		err := h.mirror.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "check the feed token") {
			t.Fatalf("Start = %v, want a 401 naming the feed token", err)
		}
		if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), secret) {
			t.Errorf("the error carries a token: %v", err)
		}
		if err := h.mirror.Check(token("u", "j", "s", h.clock.Now())); !errors.Is(err, revocation.ErrStale) {
			t.Errorf("Check with the feed refusing the token = %v, want ErrStale", err)
		}
		if logs := h.allLogs(); strings.Contains(logs, wrong) || strings.Contains(logs, secret) {
			t.Errorf("a token appears in the log:\n%s", logs)
		}
	})
	t.Run("no token where the feed wants one is refused", func(t *testing.T) {
		t.Parallel()
		h := newFeedHarness(t, feedtest.Options{Token: secret}, revocation.MirrorConfig{Feed: &revocation.FeedConfig{}})
		if err := h.mirror.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("Start = %v, want a 401", err)
		}
	})
}

func TestFeedMalformedEntriesWhileRunningAreSkipped(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{})
	h.start()
	until := h.clock.Now().Add(time.Hour)
	h.feed.PublishMessage("")
	h.feed.PublishMessage("99999999999999999999 jti:overflow")
	h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "good", Until: until})
	h.awaitApplied("good")
	if err := h.mirror.Check(token("u", "good", "s", h.clock.Now())); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("the well-formed entry after malformed ones: Check = %v, want ErrRevoked", err)
	}
	if h.logs.FilterMessageSnippet("malformed entries").Len() == 0 {
		t.Error("the malformed entries were not logged")
	}
	if st := h.mirror.Stats(); st.Entries != 1 || st.Stale {
		t.Errorf("stats = %+v, want one entry, fresh", st)
	}
}

func TestFeedAnswerLargerThanTheBoundIsRefused(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{
		Feed: &revocation.FeedConfig{MaxResponseBytes: 100},
	})
	for i := range 5 {
		h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: strings.Repeat("x", 10) + string(rune('a'+i)), Until: h.clock.Now().Add(time.Hour)})
	}
	err := h.mirror.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exceeds 100 bytes") {
		t.Fatalf("Start = %v, want the answer refused for its size", err)
	}
	if st := h.mirror.Stats(); !st.Stale || st.Entries != 0 {
		t.Errorf("stats = %+v, want stale with nothing held", st)
	}
}

func TestFeedMirrorFailsClosedWhileTheFeedIsDownAndRecovers(t *testing.T) {
	t.Parallel()
	// Wait is then 1s: the long polls cycle on real time, staleness is
	// measured on the manual clock.
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{MaxStaleness: 2 * time.Second})
	now := h.clock.Now()
	fresh := token("gina", "fresh", "s", now)
	revoked := token("gina", "gone", "s", now)
	h.start()
	h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "gone", Until: now.Add(time.Hour)})
	h.awaitApplied("gone")
	if err := h.mirror.Check(fresh); err != nil {
		t.Fatalf("with the feed up: Check = %v", err)
	}

	h.feed.Down()
	// Once the mirror has seen the feed fail, no answer can be in flight
	// to refresh it behind the clock's back.
	testenv.WaitFor(t, 5*time.Second, "the mirror to notice the feed is down", func() bool {
		return !h.mirror.Stats().FeedSubscribed
	})
	h.clock.Advance(1500 * time.Millisecond)
	if err := h.mirror.Check(fresh); err != nil {
		t.Errorf("feed down within the bound: Check = %v, want nil", err)
	}
	h.clock.Advance(time.Second)
	// The watchdog notices within a twentieth of the bound (real time).
	testenv.WaitFor(t, 5*time.Second, "the mirror to fail closed", func() bool {
		return errors.Is(h.mirror.Check(fresh), revocation.ErrStale)
	})
	if err := h.mirror.Check(revoked); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("a token known to be revoked while stale: Check = %v, want ErrRevoked", err)
	}
	if st := h.mirror.Stats(); !st.Stale || st.StaleRefusals == 0 {
		t.Errorf("stats while stale = %+v, want stale with refusals counted", st)
	}
	if n := h.logs.FilterMessageSnippet("revocation mirror is stale").Len(); n != 1 {
		t.Errorf("staleness logged %d times, want once per transition", n)
	}
	if n := h.logs.FilterMessageSnippet("polling the revocation feed failed").Len(); n != 1 {
		t.Errorf("the outage logged %d times, want once however many polls failed", n)
	}

	// Published while the gateway could not hear it: the cursor resumes
	// where it stopped, so nothing is missed.
	h.feed.Publish(revocation.Entry{Kind: revocation.KindSession, ID: "during", Until: now.Add(time.Hour)})
	h.feed.Up()
	h.awaitApplied("during")
	testenv.WaitFor(t, 5*time.Second, "the mirror to be fresh again", func() bool {
		return h.mirror.Check(fresh) == nil
	})
	if err := h.mirror.Check(revoked); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("a revocation seen before the outage, after it: Check = %v, want ErrRevoked", err)
	}
	if err := h.mirror.Check(token("gina", "j", "during", now)); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("a revocation published during the outage: Check = %v, want ErrRevoked", err)
	}
	if n := h.logs.FilterMessageSnippet("fresh again").Len(); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	if n := h.logs.FilterMessageSnippet("answers again").Len(); n != 1 {
		t.Errorf("the feed's return logged %d times, want once", n)
	}
}

func TestFeedMirrorThatNeverLoadedIsStale(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{MaxStaleness: 2 * time.Second})
	h.feed.Down()
	if err := h.mirror.Start(context.Background()); err == nil {
		t.Fatal("Start with the feed down: want an error")
	}
	tok := token("u", "j", "s", h.clock.Now())
	if err := h.mirror.Check(tok); !errors.Is(err, revocation.ErrStale) {
		t.Errorf("never loaded: Check = %v, want ErrStale", err)
	}
	h.feed.Up()
	testenv.WaitFor(t, 5*time.Second, "the mirror to load once the feed is up", func() bool {
		return h.mirror.Check(tok) == nil
	})
}

func TestFeedRestartedFromAnEarlierCursorIsLoadedAgain(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{})
	until := h.clock.Now().Add(time.Hour)
	for _, id := range []string{"a", "b", "c"} {
		h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: id, Until: until})
	}
	h.start()
	h.feed.Reset() // secretsd's log recreated: its cursor restarts below ours
	h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "new", Until: until})
	h.awaitApplied("new")
	for _, id := range []string{"a", "new"} {
		if err := h.mirror.Check(token("u", id, "s", h.clock.Now())); !errors.Is(err, revocation.ErrRevoked) {
			t.Errorf("token %q: Check = %v, want ErrRevoked", id, err)
		}
	}
	if h.logs.FilterMessageSnippet("restarted from an earlier cursor").Len() != 1 {
		t.Error("the feed's restart was not logged")
	}
}

func TestFeedModeResyncOnlyDropsExpiredEntries(t *testing.T) {
	t.Parallel()
	h := newFeedHarness(t, feedtest.Options{}, revocation.MirrorConfig{})
	h.start()
	h.feed.Publish(revocation.Entry{Kind: revocation.KindToken, ID: "short", Until: h.clock.Now().Add(time.Minute)})
	h.awaitApplied("short")
	synced := h.mirror.Stats().LastSync
	h.clock.Advance(time.Minute + revocation.Grace + time.Second)
	if err := h.mirror.Resync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := h.mirror.Stats()
	if st.Entries != 0 {
		t.Errorf("entries after expiry = %d, want 0", st.Entries)
	}
	if !st.LastSync.Equal(synced) {
		t.Errorf("Resync moved LastSync from %s to %s; only an answer of the feed may", synced, st.LastSync)
	}
}

func TestMirrorConfigValidate(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = client.Close() })
	cases := []struct {
		name    string
		cfg     revocation.MirrorConfig
		wantErr string
	}{
		{"redis and a feed together are refused", revocation.MirrorConfig{Redis: client,
			Feed: &revocation.FeedConfig{URL: "http://127.0.0.1:8200/v1/revocations"}}, "mutually exclusive"},
		{"a feed without URL is refused", revocation.MirrorConfig{Feed: &revocation.FeedConfig{}}, "URL is empty"},
		{"a feed URL without scheme is refused", revocation.MirrorConfig{Feed: &revocation.FeedConfig{URL: "secretsd/v1/revocations"}}, "http or https"},
		{"a feed URL of another scheme is refused", revocation.MirrorConfig{Feed: &revocation.FeedConfig{URL: "ftp://secretsd/v1/revocations"}}, "http or https"},
		{"a feed URL without host is refused", revocation.MirrorConfig{Feed: &revocation.FeedConfig{URL: "http:///v1/revocations"}}, "no host"},
		{"a feed URL with a fragment is refused", revocation.MirrorConfig{Feed: &revocation.FeedConfig{URL: "http://s/v1/revocations#x"}}, "fragment"},
		{"a feed URL's password is not repeated in errors", revocation.MirrorConfig{Feed: &revocation.FeedConfig{URL: "http://u:hunter2@s/#x"}}, "xxxxx"},
		{"an https feed is accepted", revocation.MirrorConfig{Feed: &revocation.FeedConfig{URL: "https://secretsd:8200/v1/revocations"}}, ""},
		{"redis alone is accepted", revocation.MirrorConfig{Redis: client}, ""},
		{"memory mode is accepted", revocation.MirrorConfig{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.cfg.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("Validate = %v, want an error containing %q (and no password)", err, c.wantErr)
			}
			m := revocation.NewMirror(c.cfg)
			if err := m.Start(context.Background()); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Start = %v, want the same refusal", err)
			}
			m.Stop()
			if err := m.Check(token("u", "j", "s", time.Now())); !errors.Is(err, revocation.ErrStale) {
				t.Errorf("a mirror that could not start: Check = %v, want ErrStale (fail closed)", err)
			}
		})
	}
}

func TestDecodeFeedPage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		body      string
		cursor    int64
		entries   int
		malformed int
		wantErr   string
	}{
		{"an answer with entries", `{"cursor":7,"entries":["1900000000123 jti:a","1900000000123 sub:5:u"]}`, 7, 2, 0, ""},
		{"an answer with no entries", `{"cursor":7,"entries":[]}`, 7, 0, 0, ""},
		{"null entries are none", `{"cursor":0,"entries":null}`, 0, 0, 0, ""},
		{"unknown fields are ignored, for later versions", `{"cursor":1,"entries":[],"epoch":"x"}`, 1, 0, 0, ""},
		{"an entry that is not a string is skipped", `{"cursor":3,"entries":[12,{"a":1},"1900000000123 sid:s"]}`, 3, 1, 2, ""},
		{"an entry that does not parse is skipped", `{"cursor":3,"entries":["jti:a","1900000000123 jti:b"]}`, 3, 1, 1, ""},
		{"an answer without cursor is refused", `{"entries":[]}`, 0, 0, 0, "no cursor"},
		{"a negative cursor is refused", `{"cursor":-1,"entries":[]}`, 0, 0, 0, "negative"},
		{"a cursor that is not an integer is refused", `{"cursor":"7","entries":[]}`, 0, 0, 0, "decoding"},
		{"entries that are not a list are refused", `{"cursor":7,"entries":"x"}`, 0, 0, 0, "decoding"},
		{"trailing data is refused", `{"cursor":7,"entries":[]}{}`, 0, 0, 0, "decoding"},
		{"not JSON is refused", `<html>gateway timeout</html>`, 0, 0, 0, "decoding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cursor, entries, _, malformed, err := revocation.DecodeFeedPage([]byte(c.body))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
				}
				return
			}
			if err != nil || cursor != c.cursor || len(entries) != c.entries || len(malformed) != c.malformed {
				t.Fatalf("= cursor %d, %d entries, %d malformed, %v; want %d, %d, %d",
					cursor, len(entries), len(malformed), err, c.cursor, c.entries, c.malformed)
			}
		})
	}
}

func FuzzDecodeFeedPage(f *testing.F) {
	f.Add([]byte(`{"cursor":7,"entries":["1900000000123 jti:a","1900000000123 sub:5:u","1900000000123 sid:s"]}`))
	f.Add([]byte(`{"cursor":0,"entries":null}`))
	f.Add([]byte(`{"cursor":3,"entries":[12,{"a":1},"jti:a",""]}`))
	f.Add([]byte(`{"cursor":-1}`))
	f.Add([]byte(`{"cursor":9223372036854775807,"entries":["99999999999999999999 jti:a"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cursor, entries, received, malformed, err := revocation.DecodeFeedPage(body)
		if err != nil {
			return
		}
		if cursor < 0 {
			t.Fatalf("accepted a negative cursor %d", cursor)
		}
		if len(entries)+len(malformed) != received {
			t.Fatalf("%d entries + %d malformed != %d received", len(entries), len(malformed), received)
		}
		for _, e := range entries {
			// Every accepted entry is canonical: it encodes back to a
			// message that decodes to itself.
			again, err := revocation.ParseMessage(e.Message())
			if err != nil || !sameEntry(again, e) {
				t.Fatalf("entry %+v does not round-trip: %+v, %v", e, again, err)
			}
		}
	})
}
