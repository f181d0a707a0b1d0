package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/config"
	"github.com/portcullis/portcullis/secretsd/store"
)

func TestRevocationFeedLongPollSeesALaterRevocation(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, tokens := h.bootstrapAdmin()

		now, err := h.Client.Revocations(h.ctx(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(now.Entries) != 0 {
			t.Fatalf("a fresh store has revocations: %+v", now)
		}

		type result struct {
			batch client.RevocationBatch
			err   error
		}
		done := make(chan result, 1)
		reached := h.reached("/v1/revocations")
		go func() {
			b, err := h.Client.Revocations(h.ctx(), now.Cursor, 25*time.Second)
			done <- result{b, err}
		}()
		<-reached // the long poll is at the server: what follows happens after it started
		if err := h.as(tokens.AccessToken).Logout(h.ctx()); err != nil {
			t.Fatal(err)
		}
		res := <-done
		if res.err != nil {
			t.Fatal(res.err)
		}
		if len(res.batch.Entries) != 1 || res.batch.Cursor <= now.Cursor {
			t.Fatalf("long poll = %+v, want the one new entry and a later cursor", res.batch)
		}
		e, err := revocation.ParseMessage(res.batch.Entries[0])
		if err != nil || e.Kind != revocation.KindSession || e.ID != tokens.SessionID {
			t.Fatalf("entry %q = %+v, %v; want the session %s", res.batch.Entries[0], e, err, tokens.SessionID)
		}

		// after=0 lists what is in force; the cursor then has nothing new.
		all, err := h.Client.Revocations(h.ctx(), 0, 0)
		if err != nil || len(all.Entries) != 1 || all.Cursor != res.batch.Cursor {
			t.Fatalf("after=0: %+v, %v", all, err)
		}
		empty, err := h.Client.Revocations(h.ctx(), all.Cursor, 0)
		if err != nil || len(empty.Entries) != 0 || empty.Cursor != all.Cursor {
			t.Fatalf("nothing new: %+v, %v", empty, err)
		}
	})
}

func TestRevocationFeedQueryAndToken(t *testing.T) {
	t.Parallel()
	const feedToken = "feed-token-0123456789"
	h := start(t, sqliteConfig(t), func(c *config.Config) { c.Revocation.FeedToken = feedToken })
	for _, c := range []struct {
		name, query, token string
		status             int
		code               string
	}{
		{"no token", "?after=0", "", 401, "unauthorized"},
		{"wrong token", "?after=0", "feed-token-wrong-456789", 401, "unauthorized"},
		{"bad cursor", "?after=-1", feedToken, 400, "invalid_request"},
		{"cursor not a number", "?after=abc", feedToken, 400, "invalid_request"},
		{"bad wait", "?wait=forever", feedToken, 400, "invalid_request"},
		{"negative wait", "?wait=-1s", feedToken, 400, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.request(http.MethodGet, "/v1/revocations"+c.query, c.token, "", nil)
			m := wantError(t, r, c.status, c.code)
			if strings.Contains(m["message"].(string), feedToken) {
				t.Fatal("the answer holds the feed token")
			}
		})
	}
	r := h.request(http.MethodGet, "/v1/revocations?after=0&wait=0s", feedToken, "", nil)
	if r.Status != 200 || r.json(t)["entries"] == nil {
		t.Fatalf("with the feed token: %d %s", r.Status, r.Body)
	}
}
