package forward_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/forward"
)

func TestNewRefusesABadDestination(t *testing.T) {
	t.Parallel()
	ok := forward.Destination{Name: "splunk", Kind: forward.SplunkHEC, URL: "https://hec.example:8088", Token: "t0k3n"}
	cases := []struct {
		name string
		edit func(d *forward.Destination)
		want string
	}{
		{"empty name", func(d *forward.Destination) { d.Name = "" }, "name"},
		{"upper-case name", func(d *forward.Destination) { d.Name = "Splunk" }, "name"},
		{"name with a slash", func(d *forward.Destination) { d.Name = "../x" }, "name"},
		{"name too long", func(d *forward.Destination) { d.Name = strings.Repeat("a", 65) }, "name"},
		{"unknown kind", func(d *forward.Destination) { d.Kind = "syslog" }, `kind "syslog"`},
		{"not a URL", func(d *forward.Destination) { d.URL = "://x" }, "not a URL"},
		{"ftp scheme", func(d *forward.Destination) { d.URL = "ftp://hec.example" }, "scheme"},
		{"no host", func(d *forward.Destination) { d.URL = "https:///services" }, "no host"},
		{"credentials in the URL", func(d *forward.Destination) { d.URL = "https://u:p@hec.example" }, "credentials"},
		{"token over plain http to a remote host", func(d *forward.Destination) { d.URL = "http://hec.example:8088" }, "plain http"},
		{"HEC without a token", func(d *forward.Destination) { d.Token = "" }, "needs its token"},
		{"token with a newline", func(d *forward.Destination) { d.Token = "a\r\nX-Evil: 1" }, "HTTP header"},
		{"HEC index with upper case", func(d *forward.Destination) { d.Index = "Main" }, "Splunk index"},
		{"negative batch", func(d *forward.Destination) { d.BatchSize = -1 }, "batch size"},
		{"batch too large", func(d *forward.Destination) { d.BatchSize = forward.MaxBatchSize + 1 }, "batch size"},
		{"negative timeout", func(d *forward.Destination) { d.Timeout = -time.Second }, "timeout"},
		{"Elasticsearch index with a star", func(d *forward.Destination) { d.Kind = forward.Elasticsearch; d.Index = "audit-*" }, "Elasticsearch index"},
		{"Elasticsearch index starting with _", func(d *forward.Destination) { d.Kind = forward.Elasticsearch; d.Index = "_all" }, "Elasticsearch index"},
		{"Elasticsearch index in upper case", func(d *forward.Destination) { d.Kind = forward.Elasticsearch; d.Index = "Audit" }, "Elasticsearch index"},
	}
	src, cur := newSource(t, 0), cursors(t, t.TempDir())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := ok
			tc.edit(&d)
			_, err := forward.New(d, src, cur)
			if !errors.Is(err, forward.ErrDestination) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want a destination error about %s", err, tc.want)
			}
			if d.Token != "" && strings.Contains(err.Error(), d.Token) {
				t.Fatalf("the token is in the error: %v", err)
			}
		})
	}
	if _, err := forward.New(ok, src, cur); err != nil {
		t.Fatalf("a good destination was refused: %v", err)
	}
	if _, err := forward.New(ok, nil, cur); err == nil {
		t.Fatal("a destination without a source was accepted")
	}
}

func TestNewAcceptsPlainHTTPWithoutATokenOrToLoopback(t *testing.T) {
	t.Parallel()
	src, cur := newSource(t, 0), cursors(t, t.TempDir())
	for _, d := range []forward.Destination{
		{Name: "es", Kind: forward.Elasticsearch, URL: "http://es.internal:9200"},
		{Name: "es", Kind: forward.Elasticsearch, URL: "http://[::1]:9200/prefix/", Token: "k"},
		{Name: "hec", Kind: forward.SplunkHEC, URL: "http://localhost:8088/", Token: "k"},
	} {
		if _, err := forward.New(d, src, cur); err != nil {
			t.Errorf("%s: %v", d.URL, err)
		}
	}
}
