package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/portcullis/portcullis/internal/clock"
)

// Defaults of a KeySource.
const (
	DefaultRefresh = 5 * time.Minute
	// DefaultRefetchInterval is the least time between two fetches caused by
	// tokens with an unknown kid, so that a flood of made-up kids cannot
	// turn the gateway into a load generator against the key server.
	DefaultRefetchInterval = 10 * time.Second
	// maxJWKSSize bounds what is read from a source.
	maxJWKSSize  = 1 << 20
	fetchTimeout = 10 * time.Second
)

// SourceOptions configure a KeySource.
type SourceOptions struct {
	// Source is a file path or an http(s) URL of a JWKS.
	Source string
	// Refresh is how often the source is read again in the background
	// (files: only when their modification time or size changed).
	// Default: DefaultRefresh.
	Refresh time.Duration
	// RefetchInterval is the least time between fetches triggered by an
	// unknown kid. Default: DefaultRefetchInterval.
	RefetchInterval time.Duration
	// HTTPClient fetches URL sources. Default: a client with a 10s timeout.
	HTTPClient *http.Client
	// Logger receives refresh failures and skipped keys. Default: no-op.
	Logger *zap.Logger
	// Clock drives the refetch rate limit. Default: the system clock.
	Clock clock.Clock
}

// KeySource is a key set read from a file or URL and kept current: it is
// refreshed in the background, and fetched again (rate-limited) when a token
// names a kid it does not know, so keys added by a rotation are found at
// once and removed keys stop verifying at the next refresh. A failed or
// malformed refresh keeps the last good set.
type KeySource struct {
	opts    SourceOptions
	isURL   bool
	name    string // the source, with any URL password redacted, for logs and errors
	set     atomic.Pointer[KeySet]
	limiter *rate.Limiter
	log     *zap.Logger

	fetchMu      sync.Mutex // serialises fetches and guards the fields below
	etag         string
	lastModified string
	fileMod      time.Time
	fileSize     int64
	fetches      atomic.Int64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewKeySource reads the source once (an unusable set is an error naming the
// source) and starts the background refresh; Close stops it.
func NewKeySource(opts SourceOptions) (*KeySource, error) {
	if opts.Source == "" {
		return nil, errors.New("jwks: no source given")
	}
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.RefetchInterval <= 0 {
		opts.RefetchInterval = DefaultRefetchInterval
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	s := &KeySource{
		opts:    opts,
		name:    opts.Source,
		limiter: rate.NewLimiter(rate.Every(opts.RefetchInterval), 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if u, err := url.Parse(opts.Source); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		s.isURL = true
		s.name = u.Redacted()
	} else if strings.Contains(opts.Source, "://") {
		return nil, fmt.Errorf("jwks %s: only file paths and http(s) URLs are supported", s.name)
	}
	s.log = opts.Logger.With(zap.String("jwks", s.name))
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	if _, err := s.fetch(ctx, true); err != nil {
		return nil, fmt.Errorf("jwks %s: %w", s.name, err)
	}
	go s.refreshLoop()
	return s, nil
}

// Name is the source, with any URL password redacted.
func (s *KeySource) Name() string { return s.name }

// Set returns the current key set.
func (s *KeySource) Set() *KeySet { return s.set.Load() }

// Fetches counts the reads of the source that returned a document (for
// tests and metrics).
func (s *KeySource) Fetches() int64 { return s.fetches.Load() }

// Key returns the key for kid. An unknown kid triggers a fetch of the source,
// at most one per RefetchInterval, so a freshly rotated key is found without
// waiting for the next refresh.
func (s *KeySource) Key(kid string) (*Key, error) {
	set := s.set.Load()
	k, err := set.Key(kid)
	if err == nil || kid == "" {
		return k, err
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	// Another request may have just fetched while we waited.
	if cur := s.set.Load(); cur != set {
		if k, err := cur.Key(kid); err == nil {
			return k, nil
		}
	}
	if !s.limiter.AllowN(s.opts.Clock.Now(), 1) {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	if _, ferr := s.fetchLocked(ctx, false); ferr != nil {
		s.log.Error("fetching the key set for an unknown kid failed; keeping the last good set", zap.Error(ferr))
		return nil, err
	}
	return s.set.Load().Key(kid)
}

// Has reports whether k is in the current set.
func (s *KeySource) Has(k *Key) bool { return s.set.Load().Has(k) }

// Refresh reads the source now (files only when changed) and reports whether
// the set was replaced. On error the last good set stays in force.
func (s *KeySource) Refresh(ctx context.Context) (bool, error) {
	changed, err := s.fetch(ctx, false)
	if err != nil {
		s.log.Error("refreshing the key set failed; keeping the last good set", zap.Error(err))
	}
	return changed, err
}

// Close stops the background refresh.
func (s *KeySource) Close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

func (s *KeySource) refreshLoop() {
	defer close(s.done)
	t := time.NewTicker(s.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
			_, _ = s.Refresh(ctx)
			cancel()
		}
	}
}

func (s *KeySource) fetch(ctx context.Context, initial bool) (bool, error) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	return s.fetchLocked(ctx, initial)
}

func (s *KeySource) fetchLocked(ctx context.Context, initial bool) (bool, error) {
	var data []byte
	var err error
	if s.isURL {
		data, err = s.readURL(ctx, initial)
	} else {
		data, err = s.readFile(initial)
	}
	if err != nil || data == nil {
		return false, err
	}
	s.fetches.Add(1)
	set, skipped, err := ParseKeySet(data, s.set.Load())
	for _, sk := range skipped {
		s.log.Warn("skipping a key that cannot verify tokens", zap.String("key", sk.String()))
	}
	if err != nil {
		return false, err
	}
	old := s.set.Swap(set)
	if old != nil {
		for _, k := range old.keys {
			if !set.Has(k) {
				s.log.Info("key removed from the set", zap.String("kid", k.ID))
			}
		}
	}
	s.log.Debug("key set loaded", zap.Int("keys", set.Len()))
	return true, nil
}

// readFile returns the file's contents, or nil when its modification time
// and size are those of the last read.
func (s *KeySource) readFile(initial bool) ([]byte, error) {
	fi, err := os.Stat(s.opts.Source)
	if err != nil {
		return nil, err
	}
	if !initial && fi.ModTime().Equal(s.fileMod) && fi.Size() == s.fileSize {
		return nil, nil
	}
	if fi.Size() > maxJWKSSize {
		return nil, fmt.Errorf("larger than %d bytes", maxJWKSSize)
	}
	data, err := os.ReadFile(s.opts.Source)
	if err != nil {
		return nil, err
	}
	s.fileMod, s.fileSize = fi.ModTime(), fi.Size()
	return data, nil
}

// readURL GETs the set, conditionally when the server gave validators, and
// returns nil when it is unchanged (304).
func (s *KeySource) readURL(ctx context.Context, initial bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.opts.Source, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if !initial {
		if s.etag != "" {
			req.Header.Set("If-None-Match", s.etag)
		}
		if s.lastModified != "" {
			req.Header.Set("If-Modified-Since", s.lastModified)
		}
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is already named by the caller
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && !initial {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKSSize {
		return nil, fmt.Errorf("larger than %d bytes", maxJWKSSize)
	}
	s.etag, s.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return data, nil
}
