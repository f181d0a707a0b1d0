package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/config"
	"github.com/portcullis/portcullis/secretsd/server"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func testConfig(t *testing.T, sc store.Config) config.Config {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := config.Default()
	cfg.Storage = config.Storage{Driver: sc.Driver, Path: sc.Path, DSN: sc.DSN, Schema: sc.Schema, MaxOpenConns: sc.MaxOpenConns}
	cfg.KMS.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.Password = config.Password{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}
	cfg.Server.ShutdownTimeout = 10 * time.Second
	cfg.Audit = cfg.Audit.Under(t.TempDir())
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestShutdownEndsLongPollsAndDrains starts a long poll of the revocation
// feed, then cancels Serve's context: the poll is answered at once (empty,
// same cursor) instead of holding the shutdown for its wait, and Serve
// returns nil.
func TestShutdownEndsLongPollsAndDrains(t *testing.T) {
	storetest.EachConfig(t, func(t *testing.T, sc store.Config) {
		t.Parallel()
		cfg := testConfig(t, sc)
		var logs testenv.LogBuffer
		srv, err := server.New(t.Context(), cfg, zerolog.New(&logs))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		arrived := make(chan struct{})
		ln = &signalListener{Listener: ln, arrived: arrived}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()

		c, _ := client.New("http://" + ln.Addr().String())
		type result struct {
			batch   client.RevocationBatch
			err     error
			elapsed time.Duration
		}
		polled := make(chan result, 1)
		go func() {
			start := time.Now()
			b, err := c.Revocations(context.Background(), 0, 25*time.Second)
			polled <- result{b, err, time.Since(start)}
		}()
		<-arrived // the poll's bytes reached the server
		cancel()

		res := <-polled
		if res.err != nil {
			t.Fatalf("long poll during shutdown: %v", res.err)
		}
		if len(res.batch.Entries) != 0 || res.batch.Cursor != 0 || res.elapsed > 10*time.Second {
			t.Fatalf("long poll = %+v after %s; want an empty answer with the same cursor, at once", res.batch, res.elapsed)
		}
		if err := <-served; err != nil {
			t.Fatalf("Serve returned %v, want nil after a clean drain", err)
		}
		if !strings.Contains(logs.String(), `"message":"stopped"`) {
			t.Fatalf("no stop line in the log:\n%s", logs.String())
		}
	})
}

// TestStartLineNamesTheSetupButNoSecret checks the one start-up line: the
// listen address, driver, Redis on/off, algorithm and kid, and never the
// master key, a Redis password or the feed token.
func TestStartLineNamesTheSetupButNoSecret(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, storetest.SQLiteConfig(t))
	cfg.Redis.URL = "redis://:redis-password-secret@127.0.0.1:1/0" // never dialled: nothing here pings it
	cfg.Revocation.FeedToken = "feed-token-secret-0123456789"
	cfg.JWT.Algorithm = "EdDSA"
	var logs testenv.LogBuffer
	srv, err := server.New(t.Context(), cfg, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	var start string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, "secretsd started") {
			start = line
		}
	}
	for _, want := range []string{`"listen":"` + ln.Addr().String() + `"`, `"store":"sqlite"`, `"redis":"on"`, `"signing_alg":"EdDSA"`, `"kid":"`} {
		if !strings.Contains(start, want) {
			t.Errorf("start line %q lacks %s", start, want)
		}
	}
	for _, secret := range []string{"redis-password-secret", cfg.KMS.MasterKey, cfg.Revocation.FeedToken} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret: %.10q…", secret)
		}
	}
}

func TestRunFailsOnABusyPort(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t, storetest.SQLiteConfig(t))
	cfg.Server.Listen = busy.Addr().String()
	err = server.Run(t.Context(), cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("Run on a busy port: %v", err)
	}
}

func TestOpenServicesReportsABadMasterKey(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, storetest.SQLiteConfig(t))
	cfg.KMS.MasterKey = "not-a-key"
	_, err := server.OpenServices(t.Context(), cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "SECRETSD_MASTER_KEY") || strings.Contains(err.Error(), "not-a-key") {
		t.Fatalf("err = %v", err)
	}
}

func TestPruneDeletesExpiredChallenges(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, storetest.SQLiteConfig(t))
	srv, err := server.New(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st := srv.Services().Store
	past := time.Now().Add(-time.Hour)
	if err := st.PutChallenge(t.Context(), store.Challenge{ID: []byte("expired-challenge-id-0123456789ab"), Purpose: "mfa_login", ExpiresAt: past}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Prune(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PruneChallenges(t.Context(), time.Now()); err != nil || n != 0 {
		t.Fatalf("after Prune, %d expired challenges were left (%v)", n, err)
	}
}

// signalListener closes arrived once the first connection's request has
// reached the handler: net/http reads the request, drops it if the server is
// shutting down by then, and otherwise starts a background read on the
// connection just before calling the handler. So the first Read that begins
// after the request's bytes were read is the signal; the bytes alone would
// race with the shutdown.
type signalListener struct {
	net.Listener
	arrived chan struct{}
	once    sync.Once
}

func (l *signalListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &signalConn{Conn: c, l: l}, nil
}

type signalConn struct {
	net.Conn
	l    *signalListener
	read atomic.Bool // the request's bytes have been read
}

func (c *signalConn) Read(p []byte) (int, error) {
	if c.read.Load() {
		c.l.once.Do(func() { close(c.l.arrived) })
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.read.Store(true)
	}
	return n, err
}
