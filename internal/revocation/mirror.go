package revocation

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
)

// Defaults of MirrorConfig.
const (
	DefaultResync       = 5 * time.Second
	DefaultMaxStaleness = 30 * time.Second
)

// feedPing is how long the feed may stay silent before the mirror pings it;
// a ping left unanswered for as long again means the connection died without
// telling (no RST), and the mirror subscribes anew.
const feedPing = 15 * time.Second

// MirrorConfig configures a Mirror.
type MirrorConfig struct {
	// Redis is where revocations live, for a fleet of gateways. It and Feed
	// are mutually exclusive; with neither, the mirror runs in memory mode:
	// it is fed only by its own Publisher and is never stale (one node).
	Redis redis.UniversalClient
	// Feed, for gateways without Redis, follows secretsd's revocation feed
	// (a long poll), so that a revocation made in secretsd is seen here as
	// soon as secretsd answers. Like Redis mode it fails closed: the mirror
	// is stale when no poll succeeded within MaxStaleness.
	Feed *FeedConfig
	// Keys names the set and channel. Default: prefix "portcullis".
	Keys Keys
	// Resync is how often the whole list is loaded again from Redis, in
	// addition to the pub/sub feed. It also bounds how late an entry
	// announced while the feed was down is seen. In memory and Feed modes
	// (whose feed resumes from its cursor, missing nothing), how often
	// expired entries are dropped. Default: 5s.
	Resync time.Duration
	// MaxStaleness is how long the mirror may go without a successful full
	// load from Redis, or without an answer of the Feed; beyond it (noticed
	// within a twentieth of it, at most 1s) Check returns ErrStale for every
	// token. It should be at least Resync (the portcullis app enforces it).
	// Default: 30s.
	MaxStaleness time.Duration
	// Clock tells the time for expiry and staleness. Default: the system clock.
	Clock clock.Clock
	// Logger receives staleness transitions and feed problems. Default: none.
	Logger *zap.Logger
	// OnApply, when set, is called after an entry heard on the pub/sub feed,
	// received from the Feed (unless already expired), or given to the
	// memory-mode Publisher is visible to Check. Tests await it instead of
	// sleeping.
	OnApply func(Entry)
}

// Mirror is the gateway's local copy of the revocation list. Check costs no
// round trip and takes no lock: it reads an immutable view that the feed
// listener (Redis pub/sub or secretsd's feed) and the resync loop replace,
// and a staleness flag that a watchdog sets (reading the clock costs more
// than the lookups on some VMs, so Check does not).
//
// A full load merges into what the mirror already holds rather than replacing
// it: revocations are never undone, only forgotten after their Until, so the
// union is always right, and an entry heard on the feed while a load was in
// flight cannot be lost. For the same reason a Redis that restarts empty does
// not make the gateway forget revocations it has seen.
type Mirror struct {
	cfg      MirrorConfig
	maxStale int64 // ns

	view          atomic.Pointer[view]
	lastSync      atomic.Int64 // clock time (Unix ns) at which the last successful load started; 0: never
	staleRefusals atomic.Uint64
	stale         atomic.Bool // set by the watchdog, cleared by a successful load
	subscribed    atomic.Bool
	syncFailing   atomic.Bool

	mu sync.Mutex // serializes writers of view and lastSync

	psMu      sync.Mutex
	ps        *redis.PubSub
	resyncNow chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// Validate reports a configuration that Start would refuse.
func (c MirrorConfig) Validate() error {
	if c.Redis != nil && c.Feed != nil {
		return errBothSources
	}
	if c.Feed != nil {
		return c.Feed.Validate()
	}
	return nil
}

// NewMirror returns a mirror; Start it to load the list and follow changes.
// Until it has loaded once, a mirror fed by Redis or a Feed is stale.
func NewMirror(cfg MirrorConfig) *Mirror {
	if cfg.Resync <= 0 {
		cfg.Resync = DefaultResync
	}
	if cfg.MaxStaleness <= 0 {
		cfg.MaxStaleness = DefaultMaxStaleness
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	m := &Mirror{cfg: cfg, maxStale: int64(cfg.MaxStaleness), resyncNow: make(chan struct{}, 1)}
	m.view.Store(&view{base: emptyTable, recent: emptyTable})
	m.stale.Store(m.remote()) // nothing loaded yet
	return m
}

// Check implements Checker. A token known to be revoked gets ErrRevoked even
// when the mirror is stale; any other token gets ErrStale then.
func (m *Mirror) Check(p *principal.Principal) error {
	if m.view.Load().revoked(p) {
		return ErrRevoked
	}
	if m.stale.Load() {
		m.staleRefusals.Add(1)
		return ErrStale
	}
	return nil
}

// watch marks the mirror stale once its last load is older than
// MaxStaleness, and logs that transition once.
func (m *Mirror) watch(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(min(max(m.cfg.MaxStaleness/20, 10*time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.mu.Lock()
		tooOld := m.cfg.Clock.Now().UnixNano()-m.lastSync.Load() > m.maxStale
		wasStale := tooOld && m.stale.Swap(true)
		m.mu.Unlock()
		if tooOld && !wasStale {
			m.cfg.Logger.Error("revocation mirror is stale: refusing every token until it reloads (fail closed)",
				zap.Time("last_sync", m.lastSyncTime()), zap.Duration("max_staleness", m.cfg.MaxStaleness))
		}
	}
}

// Start begins following the source until Stop. With Redis, it subscribes to
// the feed, then loads the whole list (in that order, so that nothing
// announced in between is missed), then follows the feed and reloads every
// Resync. With a Feed, it polls from cursor 0 (the whole list) until it has
// caught up, then keeps a long poll open. The error is the first load's (or
// an invalid configuration's, and then nothing starts and the mirror stays
// stale): the mirror keeps trying in the background, failing closed meanwhile.
func (m *Mirror) Start(ctx context.Context) error {
	err := errors.New("revocation mirror already started")
	m.startOnce.Do(func() {
		if err = m.cfg.Validate(); err != nil {
			return
		}
		runCtx, cancel := context.WithCancel(context.Background())
		m.cancel = cancel
		switch {
		case m.cfg.Redis != nil:
			m.ps = m.subscribe(ctx)
			err = m.Resync(ctx)
			m.wg.Add(2)
			go m.listen(runCtx)
			go m.watch(runCtx)
		case m.cfg.Feed != nil:
			client, cerr := newFeedClient(*m.cfg.Feed, m.cfg.MaxStaleness)
			if cerr != nil { // Validate passed, so this cannot happen
				cancel()
				err = cerr
				return
			}
			if client.plainTextToken() {
				m.cfg.Logger.Warn("the revocation feed token is sent over plain http to another host; use https",
					zap.String("feed", client.name))
			}
			f := newFeedFollower(m, client)
			err = f.catchUp(ctx)
			m.wg.Add(2)
			go f.run(runCtx)
			go m.watch(runCtx)
		}
		m.wg.Add(1)
		go m.resyncLoop(runCtx)
	})
	return err
}

// Stop ends the background work. The mirror still answers Check afterwards
// (a Redis-backed one goes stale).
func (m *Mirror) Stop() {
	m.stopOnce.Do(func() {
		if m.cancel == nil {
			return
		}
		m.cancel()
		m.psMu.Lock()
		if m.ps != nil {
			_ = m.ps.Close()
		}
		m.psMu.Unlock()
		m.wg.Wait()
	})
}

// subscribe opens the feed and waits (within ctx) for Redis to confirm the
// subscription.
func (m *Mirror) subscribe(ctx context.Context) *redis.PubSub {
	ps := m.cfg.Redis.Subscribe(ctx, m.cfg.Keys.Channel())
	wait := 2 * time.Second
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	msg, err := ps.ReceiveTimeout(ctx, wait)
	if s, ok := msg.(*redis.Subscription); ok && err == nil && s.Kind == "subscribe" {
		m.subscribed.Store(true)
	} else {
		m.subscribed.Store(false)
		m.cfg.Logger.Warn("revocation feed not subscribed yet; retrying in the background", zap.Error(err))
	}
	return ps
}

// listen applies the entries announced on the feed.
func (m *Mirror) listen(ctx context.Context) {
	defer m.wg.Done()
	backoff, pinged := 50*time.Millisecond, false
	for {
		m.psMu.Lock()
		ps := m.ps
		m.psMu.Unlock()
		msg, err := ps.ReceiveTimeout(ctx, feedPing)
		if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
			return
		}
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout() && !pinged:
			_ = ps.Ping(ctx)
			pinged = true
			continue
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			m.feedLost(errors.New("no answer to ping"))
			m.resubscribe(ctx)
			pinged = false
			continue
		case err != nil:
			m.feedLost(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff, pinged = 50*time.Millisecond, false
		switch v := msg.(type) {
		case *redis.Subscription:
			if v.Kind == "subscribe" && !m.subscribed.Swap(true) {
				m.cfg.Logger.Info("revocation feed subscribed again; reloading the list to catch up")
				select {
				case m.resyncNow <- struct{}{}:
				default:
				}
			}
		case *redis.Message:
			e, err := ParseMessage(v.Payload)
			if err != nil {
				m.cfg.Logger.Warn("ignoring a malformed revocation message", zap.Error(err))
				continue
			}
			m.apply(e)
		}
	}
}

func (m *Mirror) feedLost(err error) {
	if m.subscribed.Swap(false) {
		m.cfg.Logger.Warn("revocation feed lost; relying on periodic reloads until it is back", zap.Error(err))
	}
}

// resubscribe replaces a connection that died silently.
func (m *Mirror) resubscribe(ctx context.Context) {
	m.psMu.Lock()
	defer m.psMu.Unlock()
	if ctx.Err() != nil {
		return
	}
	_ = m.ps.Close()
	m.ps = m.cfg.Redis.Subscribe(ctx, m.cfg.Keys.Channel())
}

func (m *Mirror) resyncLoop(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.Resync)
	defer t.Stop()
	timeout := min(max(m.cfg.Resync, time.Second), 10*time.Second)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.resyncNow:
		}
		sctx, cancel := context.WithTimeout(ctx, timeout)
		_ = m.Resync(sctx)
		cancel()
	}
}

// Resync loads the whole list from Redis now and drops expired entries; in
// memory and Feed modes it only drops expired entries. The background loop
// calls it every Resync; tests call it to step the mirror.
func (m *Mirror) Resync(ctx context.Context) error {
	started := m.cfg.Clock.Now()
	switch {
	case m.cfg.Feed != nil:
		// Not a load: it must not count against staleness.
		m.mu.Lock()
		m.replaceBase(newTable(0))
		m.mu.Unlock()
		return nil
	case m.cfg.Redis == nil:
		m.commit(newTable(0), started)
		return nil
	}
	cutoff := started.Add(-Grace).UnixMilli()
	zs, err := m.cfg.Redis.ZRangeByScoreWithScores(ctx, m.cfg.Keys.Set(), &redis.ZRangeBy{
		Min: strconv.FormatInt(cutoff, 10), Max: "+inf",
	}).Result()
	if err != nil {
		if !m.syncFailing.Swap(true) {
			m.cfg.Logger.Warn("reloading revocations failed; keeping the entries held, failing closed after max_staleness",
				zap.Error(err), zap.Duration("max_staleness", m.cfg.MaxStaleness))
		}
		return fmt.Errorf("loading revocations from redis: %w", err)
	}
	loaded := newTable(len(zs))
	for _, z := range zs {
		member, _ := z.Member.(string)
		e, err := ParseMember(member, z.Score)
		if err != nil {
			m.cfg.Logger.Warn("ignoring a malformed revocation entry", zap.Error(err))
			continue
		}
		loaded.add(e)
	}
	m.commit(loaded, started)
	if m.syncFailing.Swap(false) {
		m.cfg.Logger.Info("reloading revocations works again")
	}
	return nil
}

// commit makes loaded ∪ held the new base, without expired entries, and
// records a successful load that started at started.
func (m *Mirror) commit(loaded *table, started time.Time) {
	m.mu.Lock()
	m.replaceBase(loaded)
	recovered := m.syncedLocked(started)
	m.mu.Unlock()
	m.logRecovery(recovered)
}

// replaceBase makes loaded ∪ held the new base, without expired entries. The
// caller holds m.mu.
func (m *Mirror) replaceBase(loaded *table) {
	cur := m.view.Load()
	cutoff := m.cfg.Clock.Now().Add(-Grace).UnixMilli()
	cur.base.mergeInto(loaded, cutoff)
	cur.recent.mergeInto(loaded, cutoff)
	m.view.Store(&view{base: loaded, recent: emptyTable})
}

// synced records a successful load (or feed answer) at t.
func (m *Mirror) synced(t time.Time) {
	m.mu.Lock()
	recovered := m.syncedLocked(t)
	m.mu.Unlock()
	m.logRecovery(recovered)
}

// syncedLocked records a successful load at t and clears the staleness it
// ends; it reports a recovery from an earlier success. The caller holds m.mu.
func (m *Mirror) syncedLocked(t time.Time) (recovered bool) {
	previous := m.lastSync.Load()
	if ns := t.UnixNano(); ns > previous {
		m.lastSync.Store(ns)
	}
	if m.remote() && m.cfg.Clock.Now().UnixNano()-m.lastSync.Load() <= m.maxStale {
		recovered = m.stale.Swap(false) && previous != 0
	}
	return recovered
}

func (m *Mirror) logRecovery(recovered bool) {
	if recovered {
		m.cfg.Logger.Info("revocation mirror is fresh again: tokens are accepted")
	}
}

// apply adds one entry heard on the pub/sub feed.
func (m *Mirror) apply(e Entry) { m.applyAll([]Entry{e}, time.Time{}) }

// applyAll adds entries heard on a feed. When now is set, entries already
// expired at now are dropped (a full load from secretsd's feed may carry
// some); the pub/sub feed's are kept until the next resync drops them.
func (m *Mirror) applyAll(es []Entry, now time.Time) {
	if !now.IsZero() {
		cutoff := now.Add(-Grace).UnixMilli()
		alive := es[:0:0]
		for _, e := range es {
			if e.Until.UnixMilli() >= cutoff {
				alive = append(alive, e)
			}
		}
		es = alive
	}
	if len(es) == 0 {
		return
	}
	m.mu.Lock()
	cur := m.view.Load()
	if n := cur.recent.len(); n+len(es) <= 64+cur.base.len()/4 {
		recent := newTable(n + len(es))
		cur.recent.mergeInto(recent, math.MinInt64)
		for _, e := range es {
			recent.add(e)
		}
		m.view.Store(&view{base: cur.base, recent: recent})
	} else {
		// Fold the recent entries into the base so that a burst of n
		// announcements costs O(n) copying, not O(n²). This is not a load,
		// so it does not count against staleness.
		base := newTable(cur.base.len() + n + len(es))
		cutoff := m.cfg.Clock.Now().Add(-Grace).UnixMilli()
		cur.base.mergeInto(base, cutoff)
		cur.recent.mergeInto(base, cutoff)
		for _, e := range es {
			base.add(e)
		}
		m.view.Store(&view{base: base, recent: emptyTable})
	}
	m.mu.Unlock()
	if m.cfg.OnApply != nil {
		for _, e := range es {
			m.cfg.OnApply(e)
		}
	}
}

// Stats is what the mirror exposes as metrics.
type Stats struct {
	// Entries is the number of revocations held.
	Entries int
	// LastSync is when the last successful full load from Redis started, or
	// when the last answer of the Feed arrived (zero: never).
	LastSync time.Time
	// Stale reports whether Check currently fails closed.
	Stale bool
	// StaleRefusals counts the checks refused because the mirror was stale.
	StaleRefusals uint64
	// FeedSubscribed reports whether the feed is up: the Redis pub/sub
	// subscription, or the last poll of secretsd's Feed succeeded (always
	// false in memory mode, which has none).
	FeedSubscribed bool
}

// Stats returns the mirror's current figures.
func (m *Mirror) Stats() Stats {
	return Stats{
		Entries:        m.view.Load().len(),
		LastSync:       m.lastSyncTime(),
		Stale:          m.stale.Load(),
		StaleRefusals:  m.staleRefusals.Load(),
		FeedSubscribed: m.subscribed.Load(),
	}
}

func (m *Mirror) lastSyncTime() time.Time {
	if ns := m.lastSync.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// InMemory reports whether the mirror runs without Redis or a Feed.
func (m *Mirror) InMemory() bool { return !m.remote() }

// remote reports whether the mirror is fed from outside, and so can go stale.
func (m *Mirror) remote() bool { return m.cfg.Redis != nil || m.cfg.Feed != nil }

// Publisher returns a publisher whose revocations this mirror (and, with
// Redis, every mirror on the same Redis and keys) sees. With a Feed,
// revocations are made in secretsd; this one reaches this mirror only.
func (m *Mirror) Publisher() Publisher {
	if m.cfg.Redis != nil {
		return NewRedisPublisher(m.cfg.Redis, m.cfg.Keys, m.cfg.Clock)
	}
	return localPublisher{m}
}

// localPublisher feeds a memory-mode mirror directly.
type localPublisher struct{ m *Mirror }

func (l localPublisher) RevokeToken(_ context.Context, jti string, until time.Time) error {
	return l.publish(Entry{Kind: KindToken, ID: jti, Until: until})
}

func (l localPublisher) RevokeSession(_ context.Context, sid string, until time.Time) error {
	return l.publish(Entry{Kind: KindSession, ID: sid, Until: until})
}

func (l localPublisher) RevokeUser(_ context.Context, sub string, before, until time.Time) error {
	return l.publish(Entry{Kind: KindUser, ID: sub, Before: before, Until: until})
}

func (l localPublisher) publish(e Entry) error {
	if err := e.validate(l.m.cfg.Clock.Now()); err != nil {
		return err
	}
	l.m.apply(e)
	return nil
}

var (
	_ Checker   = (*Mirror)(nil)
	_ Publisher = localPublisher{}
)
