package revocation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/internal/httperr"
)

// secretsd's revocation feed, the source of a gateway without Redis, is
// GET <url>?after=<cursor>&wait=<duration> (secretsd/api/API.md, "Revocation
// feed"). It answers a FeedResponse at once when entries after the cursor
// exist, otherwise when one appears or wait passes. after=0 returns every
// entry still in force.

// Defaults and bounds of FeedConfig.
const (
	// DefaultFeedWait is how long a poll may be held open when nothing is
	// new, before the MaxStaleness/2 cap: an idle gateway costs one request
	// per wait, and a new entry is answered at once whatever it is.
	DefaultFeedWait = 25 * time.Second
	// MaxFeedWait is the feed's own bound on wait.
	MaxFeedWait = 30 * time.Second
	// DefaultFeedMaxResponseBytes bounds one answer: about 150,000 entries,
	// far more than a page of secretsd's feed.
	DefaultFeedMaxResponseBytes = 16 << 20
)

// feedSlack is how much longer than its wait a poll may take before it is
// abandoned: a server that died without closing the connection (no RST) is
// noticed after wait+feedSlack; the watchdog fails closed meanwhile anyway.
const feedSlack = 5 * time.Second

// FeedConfig says how a Mirror follows secretsd's revocation feed.
type FeedConfig struct {
	// URL is the feed's http(s) URL, e.g.
	// http://127.0.0.1:8200/v1/revocations. Required.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <token>" (secretsd's
	// [revocation] feed_token). It is never logged nor put in errors.
	Token string
	// HTTPClient makes the requests; its Timeout should be zero or longer
	// than Wait+5s, since every poll carries its own deadline. Default: a
	// client of the mirror's own that follows no redirect, so that the token
	// is sent to the configured URL only.
	HTTPClient *http.Client
	// Wait is how long secretsd may hold a poll when it has nothing new. It
	// is capped at 30s (the feed's bound) and at half of MaxStaleness, so
	// that an idle but healthy feed never lets the mirror go stale.
	// Default: 25s, which the cap makes 15s with the default MaxStaleness.
	Wait time.Duration
	// MaxResponseBytes bounds the body of one answer; a larger one is an
	// error, like an unreachable feed. Default: 16 MiB.
	MaxResponseBytes int64
}

// FeedResponse is the body of the feed's answer; secretsd encodes it, the
// mirror decodes it. Entries are Entry.Message strings, in cursor order.
type FeedResponse struct {
	// Cursor is the position after the last entry returned: the next poll
	// asks for entries after it.
	Cursor int64 `json:"cursor"`
	// Entries are the entries after the requested cursor, possibly a page
	// of them (the client asks again at once).
	Entries []string `json:"entries"`
}

// Validate checks the URL; the other fields have safe defaults.
func (c FeedConfig) Validate() error {
	_, err := parseFeedURL(c.URL)
	return err
}

func parseFeedURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("revocation feed: the URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("revocation feed: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("revocation feed %s: want an http or https URL", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("revocation feed %s: the URL names no host", u.Redacted())
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("revocation feed %s: the URL must not have a fragment", u.Redacted())
	}
	return u, nil
}

// feedClient makes the requests of one feed.
type feedClient struct {
	base     *url.URL
	name     string // the URL without password or query, for logs and errors
	token    string
	http     *http.Client
	ownHTTP  bool
	wait     time.Duration
	maxBytes int64
}

func newFeedClient(c FeedConfig, maxStaleness time.Duration) (*feedClient, error) {
	u, err := parseFeedURL(c.URL)
	if err != nil {
		return nil, err
	}
	named := *u
	named.RawQuery, named.ForceQuery = "", false
	f := &feedClient{base: u, name: named.Redacted(), token: c.Token, http: c.HTTPClient,
		wait: c.Wait, maxBytes: c.MaxResponseBytes}
	if f.http == nil {
		f.ownHTTP = true
		f.http = &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if f.wait <= 0 {
		f.wait = DefaultFeedWait
	}
	f.wait = min(f.wait, MaxFeedWait, maxStaleness/2)
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultFeedMaxResponseBytes
	}
	return f, nil
}

// plainTextToken reports whether the token would cross a network in clear
// text: plain http to a host that is not this machine.
func (f *feedClient) plainTextToken() bool {
	if f.token == "" || f.base.Scheme != "http" {
		return false
	}
	host := f.base.Hostname()
	ip := net.ParseIP(host)
	return host != "localhost" && (ip == nil || !ip.IsLoopback())
}

// feedPage is a decoded answer.
type feedPage struct {
	cursor    int64
	received  int     // entries in the answer, malformed ones included
	entries   []Entry // the well-formed ones
	malformed []error
}

// poll asks for the entries after cursor, letting the server hold the
// request for up to wait.
func (f *feedClient) poll(ctx context.Context, after int64, wait time.Duration) (feedPage, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+feedSlack)
	defer cancel()
	u := *f.base
	q := u.Query()
	q.Set("after", strconv.FormatInt(after, 10))
	q.Set("wait", wait.String())
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return feedPage{}, fmt.Errorf("revocation feed %s: %w", f.name, err)
	}
	req.Header.Set("Accept", "application/json")
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return feedPage{}, fmt.Errorf("polling the revocation feed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return feedPage{}, f.refusal(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return feedPage{}, fmt.Errorf("reading the revocation feed %s: %w", f.name, err)
	}
	if int64(len(body)) > f.maxBytes {
		return feedPage{}, fmt.Errorf("revocation feed %s: the answer exceeds %d bytes", f.name, f.maxBytes)
	}
	page, err := decodeFeedPage(body)
	if err != nil {
		return feedPage{}, fmt.Errorf("revocation feed %s: %w", f.name, err)
	}
	return page, nil
}

// refusal describes an answer other than 200, with the error code of its
// JSON body (internal/httperr) when it has one.
func (f *feedClient) refusal(resp *http.Response) error {
	var body httperr.Body
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	what := resp.Status
	if json.Unmarshal(raw, &body) == nil && body.Code != "" {
		what += ": " + truncate(body.Code)
		if body.Message != "" {
			what += ": " + truncate(body.Message)
		}
	}
	hint := ""
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = " (check the feed token)"
	case http.StatusNotFound:
		hint = " (is it secretsd's /v1/revocations?)"
	}
	return fmt.Errorf("revocation feed %s answered %s%s", f.name, what, hint)
}

func (f *feedClient) close() {
	if f.ownHTTP {
		f.http.CloseIdleConnections()
	}
}

// decodeFeedPage decodes an answer of the feed, which is untrusted input: a
// malformed document is an error, a malformed entry is reported and skipped
// so that one bad entry cannot hide the others.
func decodeFeedPage(body []byte) (feedPage, error) {
	var doc struct {
		Cursor  *int64            `json:"cursor"`
		Entries []json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return feedPage{}, fmt.Errorf("decoding the answer: %w", err)
	}
	if doc.Cursor == nil {
		return feedPage{}, errors.New("the answer has no cursor")
	}
	if *doc.Cursor < 0 {
		return feedPage{}, fmt.Errorf("the answer's cursor %d is negative", *doc.Cursor)
	}
	page := feedPage{cursor: *doc.Cursor, received: len(doc.Entries), entries: make([]Entry, 0, len(doc.Entries))}
	for i, raw := range doc.Entries {
		var msg string
		if err := json.Unmarshal(raw, &msg); err != nil {
			page.malformed = append(page.malformed, fmt.Errorf("%w: entry %d is not a string", errMalformed, i))
			continue
		}
		e, err := ParseMessage(msg)
		if err != nil {
			page.malformed = append(page.malformed, err)
			continue
		}
		page.entries = append(page.entries, e)
	}
	return page, nil
}
