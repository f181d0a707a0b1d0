// Package client is the Go client of secretsd's REST API (secretsd/api/API.md).
// The portcullis CLI and the end-to-end tests use it. Every method takes a
// context; every error the server answers with is a *Error.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of New.
const (
	DefaultTimeout = 30 * time.Second
	// MaxResponseBytes bounds what is read of any response, so that a broken
	// or hostile server cannot make the client allocate without limit.
	MaxResponseBytes = 1 << 20
	// UserAgent is sent with every request unless WithUserAgent changes it.
	UserAgent = "portcullis-client/1"
)

// ErrResponseTooLarge is returned when a response body exceeds MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response larger than 1 MiB")

// Client calls one secretsd. It is safe for concurrent use; WithBearer
// returns a copy that authenticates its requests.
type Client struct {
	base      *url.URL
	http      *http.Client
	timeout   time.Duration
	userAgent string
	bearer    string
}

// Option configures New.
type Option func(*Client)

// WithHTTPClient sets the underlying HTTP client (transport, TLS). Its own
// Timeout should be zero: the client bounds each request with WithTimeout.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout bounds each request (default 30s). A long poll of Revocations
// gets its wait on top.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the secretsd at baseURL (e.g. "http://127.0.0.1:8200").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http:// or https:// and a host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("server URL %q: must not carry a query, fragment or credentials", baseURL)
	}
	c := &Client{base: u, http: http.DefaultClient, timeout: DefaultTimeout, userAgent: UserAgent}
	for _, o := range opts {
		o(c)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("timeout must be positive, got %s", c.timeout)
	}
	return c, nil
}

// BaseURL is the server's URL as given to New, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// WithBearer returns a copy of c that sends token (an access token or an API
// token) as its bearer credential.
func (c *Client) WithBearer(token string) *Client {
	cp := *c
	cp.bearer = token
	return &cp
}

type requestIDKey struct{}

// WithRequestID makes requests made with ctx carry id as X-Request-Id, to
// correlate them with the server's log. Without it each request gets a new
// random id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok && id != "" {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// call describes one request.
type call struct {
	method string
	path   string     // already escaped, e.g. "/v1/users/" + url.PathEscape(id)
	query  url.Values // optional
	body   any        // JSON-encoded when not nil
	out    any        // JSON-decoded into when not nil and the status is 2xx
	want   int        // the success status
	extra  time.Duration
	// maxBytes bounds the response body; 0 is MaxResponseBytes.
	maxBytes int64
}

// do sends the call and decodes the answer; a non-success status becomes a
// *Error, and a status other than want on success is an error too, since it
// means client and server disagree on the contract.
func (c *Client) do(ctx context.Context, k call) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout+k.extra)
	defer cancel()
	raw, status, err := c.send(ctx, k)
	if err != nil {
		return err
	}
	if status != k.want {
		return fmt.Errorf("%s %s: unexpected status %d (want %d)", k.method, k.path, status, k.want)
	}
	if k.out == nil {
		return nil
	}
	if out, ok := k.out.(*[]byte); ok {
		*out = raw
		return nil
	}
	if err := json.Unmarshal(raw, k.out); err != nil {
		return fmt.Errorf("%s %s: decoding the response: %w", k.method, k.path, err)
	}
	return nil
}

// send performs the request and returns the body of a 2xx response; any
// other status is returned as a *Error.
func (c *Client) send(ctx context.Context, k call) ([]byte, int, error) {
	method, path := k.method, k.path
	limit := k.maxBytes
	if limit <= 0 {
		limit = MaxResponseBytes
	}
	resp, id, err := c.open(ctx, k)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: reading the response: %w", method, path, err)
	}
	if int64(len(raw)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, ErrResponseTooLarge)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.StatusCode, responseError(resp, raw, id)
	}
	return raw, resp.StatusCode, nil
}

// responseError is the *Error of a non-2xx response.
func responseError(resp *http.Response, raw []byte, id string) *Error {
	e := DecodeError(resp.StatusCode, raw)
	if e.RequestID = resp.Header.Get("X-Request-Id"); e.RequestID == "" {
		e.RequestID = id
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	return e
}

// open sends the request and returns the response with its body unread,
// and the request id sent.
func (c *Client) open(ctx context.Context, k call) (*http.Response, string, error) {
	method, path, query, body := k.method, k.path, k.query, k.body
	u := *c.base
	// path is escaped already (ids go through url.PathEscape): keep it as
	// the raw path, with the decoded form beside it as net/url wants.
	u.RawPath = c.base.EscapedPath() + path
	var err error
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	if query != nil {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return nil, "", fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	id := requestID(ctx)
	req.Header.Set("X-Request-Id", id)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, id, fmt.Errorf("%s %s: %w", method, path, stripURLError(err))
	}
	return resp, id, nil
}

// stripURLError drops the *url.Error wrapper, whose message repeats the
// method and the whole URL, keeping what went wrong (refused, timeout, ...).
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}
