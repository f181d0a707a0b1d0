package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/internal/httperr"
)

// GET /v1/revocations?after=<cursor>&wait=<duration>: the revocation feed
// for gateways without Redis, a long poll (API.md). The wait is capped at
// MaxFeedWait and ends early when the server begins to shut down, with no
// entries and the same cursor, so the gateway simply asks again.
func (a *API) revocations(w http.ResponseWriter, r *http.Request) {
	if a.opts.FeedToken != "" {
		token, ok := bearer(r)
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(a.opts.FeedToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="secretsd-revocations"`)
			_ = httperr.Write(w, httperr.New(http.StatusUnauthorized, codeUnauthorized,
				"the revocation feed needs Authorization: Bearer <[revocation] feed_token>"))
			return
		}
	}
	after, wait, err := feedQuery(r, a.opts.MaxFeedWait)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if a.opts.Stopping != nil {
		go func() {
			select {
			case <-a.opts.Stopping:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	entries, cursor, err := a.id.RevocationsAfter(ctx, after, wait)
	if err != nil {
		if errors.Is(err, context.Canceled) && r.Context().Err() == nil {
			// Shutting down: an empty answer, not an error.
			entries, cursor, err = nil, after, nil
		} else {
			a.writeError(w, r, err)
			return
		}
	}
	msgs := make([]string, len(entries))
	for i, e := range entries {
		msgs[i] = e.Message()
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"cursor": cursor, "entries": msgs})
}

// feedQuery reads after (a cursor, default 0) and wait (a Go duration,
// default 0: answer at once), refusing what does not parse.
func feedQuery(r *http.Request, maxWait time.Duration) (after int64, wait time.Duration, err error) {
	q := r.URL.Query()
	if s := q.Get("after"); s != "" {
		after, err = strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			return 0, 0, newError(http.StatusBadRequest, codeInvalidRequest,
				fmt.Sprintf("query parameter \"after\": %q is not a cursor (a non-negative integer)", truncate(s, 32))).
				with("field", "after")
		}
	}
	if s := q.Get("wait"); s != "" {
		wait, err = time.ParseDuration(s)
		if err != nil || wait < 0 {
			return 0, 0, newError(http.StatusBadRequest, codeInvalidRequest,
				fmt.Sprintf("query parameter \"wait\": %q is not a duration (e.g. \"25s\")", truncate(s, 32))).
				with("field", "wait")
		}
	}
	return after, min(wait, maxWait), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
