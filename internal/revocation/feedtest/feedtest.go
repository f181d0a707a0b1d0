// Package feedtest is a revocation feed for tests of its clients: a real HTTP
// server speaking secretsd's wire format (GET /v1/revocations?after=&wait=,
// secretsd/api/API.md), that tests publish entries on, take down and bring
// back on the same address, and ask what their clients sent.
package feedtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
)

// Path is where the feed is served.
const Path = "/v1/revocations"

// Options configures a Server.
type Options struct {
	// Token, when set, is the bearer token every poll must carry.
	Token string
	// PageSize is the most entries one answer carries. Default: 1000.
	PageSize int
}

// Poll is one request the server answered.
type Poll struct {
	After int64
	Wait  time.Duration
	// Status is what the server answered: 200, or 400/401.
	Status int
	// Cursor and Entries are the answer's, when Status is 200.
	Cursor  int64
	Entries int
}

// Server is a running feed.
type Server struct {
	t    testing.TB
	opts Options
	addr string

	mu      sync.Mutex
	log     []string      // log[i] has cursor i+1
	changed chan struct{} // closed (and replaced) when log grows
	polls   []Poll
	srv     *http.Server
}

// Start serves a feed on a free loopback port until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	s := &Server{t: t, opts: opts, addr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), changed: make(chan struct{})}
	s.Up()
	t.Cleanup(s.Down)
	return s
}

// URL is the feed's URL.
func (s *Server) URL() string { return "http://" + s.addr + Path }

// Publish appends an entry, answering the polls that wait for one.
func (s *Server) Publish(e revocation.Entry) { s.PublishMessage(e.Message()) }

// PublishMessage appends a message as is, well-formed or not.
func (s *Server) PublishMessage(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, msg)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Reset forgets every entry, as a secretsd whose log was recreated: cursors
// start again from 0, and a poll after a cursor beyond the new log's end is
// answered with that end, so that its client can tell.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// Polls returns the requests answered so far.
func (s *Server) Polls() []Poll {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Poll(nil), s.polls...)
}

// Down closes the listener and every connection, polls held open included:
// the feed is unreachable until Up.
func (s *Server) Down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up serves the feed again on the same address.
func (s *Server) Up() {
	s.t.Helper()
	var l net.Listener
	var err error
	// The port was just released by Down; the kernel may take a moment.
	for range 50 {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("feedtest: listening on %s: %v", s.addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, s.serve)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.opts.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		s.record(Poll{Status: http.StatusUnauthorized})
		w.Header().Set("WWW-Authenticate", "Bearer")
		_ = httperr.Write(w, httperr.New(http.StatusUnauthorized, "unauthorized", "a valid feed token is required"))
		return
	}
	after, wait, err := params(r)
	if err != nil {
		s.record(Poll{Status: http.StatusBadRequest})
		_ = httperr.Write(w, httperr.New(http.StatusBadRequest, "invalid_request", err.Error()))
		return
	}
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		head := int64(len(s.log))
		if after != head {
			from := min(after, head)
			to := min(head, from+int64(s.opts.PageSize))
			page := revocation.FeedResponse{Cursor: to, Entries: append([]string{}, s.log[from:to]...)}
			s.polls = append(s.polls, Poll{After: after, Wait: wait, Status: http.StatusOK, Cursor: page.Cursor, Entries: len(page.Entries)})
			s.mu.Unlock()
			writeJSON(w, page)
			return
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timeout.C:
			s.record(Poll{After: after, Wait: wait, Status: http.StatusOK, Cursor: after})
			writeJSON(w, revocation.FeedResponse{Cursor: after, Entries: []string{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) record(p Poll) {
	s.mu.Lock()
	s.polls = append(s.polls, p)
	s.mu.Unlock()
}

func params(r *http.Request) (after int64, wait time.Duration, err error) {
	q := r.URL.Query()
	after, err = strconv.ParseInt(q.Get("after"), 10, 64)
	if err != nil || after < 0 {
		return 0, 0, errors.New("after: want a cursor, a non-negative integer")
	}
	wait, err = time.ParseDuration(q.Get("wait"))
	if err != nil || wait < 0 || wait > revocation.MaxFeedWait {
		return 0, 0, errors.New("wait: want a duration of at most 30s")
	}
	return after, wait, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
