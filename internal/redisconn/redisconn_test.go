package redisconn_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/redisconn"
	"github.com/portcullis/portcullis/internal/testenv"
)

func TestValidateAndNew(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		opts    redisconn.Options
		wantErr error  // nil: valid
		errHas  string // part of the message, when refused
	}{
		{name: "a standalone URL with no mode is standalone", opts: redisconn.Options{URL: "redis://127.0.0.1:6379/0"}},
		{name: "rediss and query parameters are standalone too", opts: redisconn.Options{URL: "rediss://u:p@redis.example:6380/2?dial_timeout=2s&pool_size=20", Mode: "standalone"}},
		{name: "a unix socket is standalone", opts: redisconn.Options{URL: "unix:///run/redis.sock?db=1"}},
		{name: "a cluster URL lists more nodes with addr", opts: redisconn.Options{URL: "redis://a:6379?addr=b:6379&addr=c:6379", Mode: "cluster"}},
		{name: "a sentinel URL names the primary", opts: redisconn.Options{URL: "redis://s1:26379/0?addr=s2:26379&master_name=mymaster", Mode: "sentinel"}},
		{name: "an unknown mode is refused", opts: redisconn.Options{URL: "redis://a:6379", Mode: "galaxy"},
			wantErr: redisconn.ErrUnknownMode, errHas: `unknown redis mode "galaxy" (want standalone, cluster or sentinel)`},
		{name: "modes are lower-case", opts: redisconn.Options{URL: "redis://a:6379", Mode: "Cluster"}, wantErr: redisconn.ErrUnknownMode},
		{name: "an http URL is not a Redis URL", opts: redisconn.Options{URL: "http://a:6379"},
			wantErr: redisconn.ErrInvalidURL, errHas: "invalid URL scheme: http"},
		{name: "a database must be a number", opts: redisconn.Options{URL: "redis://a:6379/x"},
			wantErr: redisconn.ErrInvalidURL, errHas: `invalid database number: "x"`},
		{name: "an unknown query parameter is refused", opts: redisconn.Options{URL: "redis://a:6379?colour=red"},
			wantErr: redisconn.ErrInvalidURL, errHas: "unexpected option: colour"},
		{name: "a unix socket cannot be a cluster", opts: redisconn.Options{URL: "unix:///run/redis.sock", Mode: "cluster"},
			wantErr: redisconn.ErrInvalidURL, errHas: "(cluster)"},
		{name: "sentinel mode needs the primary's name", opts: redisconn.Options{URL: "redis://s1:26379?addr=s2:26379", Mode: "sentinel"},
			wantErr: redisconn.ErrInvalidURL, errHas: "master_name= must name the primary"},
		{name: "a cluster node must be host:port", opts: redisconn.Options{URL: "redis://a:6379?addr=b", Mode: "cluster"},
			wantErr: redisconn.ErrInvalidURL, errHas: "addr param: b"},
		{name: "a URL that does not parse is refused", opts: redisconn.Options{URL: "redis://a:port/0"},
			wantErr: redisconn.ErrInvalidURL, errHas: "does not parse as a URL"},
		{name: "a URL without // is refused rather than dialling localhost", opts: redisconn.Options{URL: "redis:a:6379"},
			wantErr: redisconn.ErrInvalidURL, errHas: "no // before the host"},
		{name: "an empty URL is refused", opts: redisconn.Options{}, wantErr: redisconn.ErrInvalidURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			verr := c.opts.Validate()
			client, nerr := c.opts.New()
			if client != nil {
				_ = client.Close()
			}
			if c.wantErr == nil {
				if verr != nil || nerr != nil {
					t.Fatalf("Validate = %v, New = %v; want both nil", verr, nerr)
				}
				return
			}
			for _, err := range []error{verr, nerr} {
				if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("error = %v, want %v containing %q", err, c.wantErr, c.errHas)
				}
			}
		})
	}
}

// The client type follows the mode: go-redis' Sentinel client is a
// *redis.Client that asks the sentinels for the primary.
func TestNewBuildsTheModesClient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode string
		url  string
		want string
	}{
		{"", "redis://a:6379", "*redis.Client"},
		{"cluster", "redis://a:6379?addr=b:6379", "*redis.ClusterClient"},
		{"sentinel", "redis://s:26379?master_name=m", "*redis.Client"},
	}
	for _, c := range cases {
		client, err := redisconn.Options{URL: c.url, Mode: c.mode}.New()
		if err != nil {
			t.Fatal(err)
		}
		var got string
		switch client.(type) {
		case *redis.Client:
			got = "*redis.Client"
		case *redis.ClusterClient:
			got = "*redis.ClusterClient"
		}
		_ = client.Close()
		if got != c.want {
			t.Errorf("mode %q: client %T, want %s", c.mode, client, c.want)
		}
	}
}

func TestEffectiveModeDefaultsToStandalone(t *testing.T) {
	t.Parallel()
	if m := (redisconn.Options{}).EffectiveMode(); m != redisconn.ModeStandalone {
		t.Errorf("EffectiveMode() = %q", m)
	}
	if m := (redisconn.Options{Mode: redisconn.ModeSentinel}).EffectiveMode(); m != redisconn.ModeSentinel {
		t.Errorf("EffectiveMode() = %q", m)
	}
}

// Secrets never appear in logs or errors: neither the userinfo's password
// nor the primary's password that sentinel mode reads from password=.
func TestRedactedHidesPasswords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, url, want string
	}{
		{"no password", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"the userinfo password", "redis://:hunter2@h:6379/0", "redis://:xxxxx@h:6379/0"},
		{"the user name stays", "rediss://app:hunter2@h:6380", "rediss://app:xxxxx@h:6380"},
		{"the sentinel primary's password", "redis://s:26379?master_name=m&password=hunter2&addr=t:26379",
			"redis://s:26379?master_name=m&password=xxxxx&addr=t:26379"},
		{"an escaped parameter name", "redis://s:26379?pass%77ord=hunter2", "redis://s:26379?pass%77ord=xxxxx"},
		{"a parameter name that does not decode", "redis://s:26379?%zz=hunter2", "redis://s:26379?%zz=xxxxx"},
		{"a URL without //", "redis:u:hunter2@h", "redis:xxxxx"},
		{"a URL that does not parse", "redis://:hunter2@h:port", "(unparseable url)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := (redisconn.Options{URL: c.url}).Redacted(); got != c.want {
				t.Errorf("Redacted() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestErrorsNeverCarryThePassword(t *testing.T) {
	t.Parallel()
	for _, o := range []redisconn.Options{
		{URL: "redis://:hunter2@h:notaport/0"},
		{URL: "http://:hunter2@h:6379"},
		{URL: "redis://:hunter2@h:6379/x"},
		{URL: "redis://:hunter2@h:6379?colour=red"},
		{URL: "redis:hunter2@h"},
		{URL: "redis://s:26379?password=hunter2&addr=bad&master_name=m", Mode: "sentinel"},
		{URL: "redis://s:26379?password=hunter2&dial_timeout=soon&master_name=m", Mode: "sentinel"},
		{URL: "redis://:hunter2@s:26379?password=hunter2", Mode: "sentinel"},
		{URL: "redis://:hunter2@h:6379", Mode: "replica"},
	} {
		err := o.Validate()
		if err == nil {
			t.Fatalf("%s: Validate = nil, want an error", o.Redacted())
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error carries the password: %v", err)
		}
	}
}

func TestNewTalksToRedis(t *testing.T) {
	t.Parallel()
	client, err := redisconn.Options{URL: testenv.RedisURL(t)}.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
}

// A Redis that hangs (a stopped process, dropped packets) costs a command
// its caller's deadline, not go-redis' own read timeout (60s here): the
// client honours the context.
func TestAHangingRedisCostsTheCallersDeadline(t *testing.T) {
	t.Parallel()
	addr := blackHole(t)
	client, err := redisconn.Options{URL: "redis://" + addr + "/0?max_retries=-1&read_timeout=60s&write_timeout=60s"}.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.Ping(ctx).Err() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("PING to a server that never answers succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("PING outlived its 50ms deadline by 30s: the client ignores the context")
	}
}

// blackHole is a server that never answers: the kernel completes the TCP
// handshake into the listen backlog, and nothing ever reads.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().String()
}
