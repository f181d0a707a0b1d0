package forward_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/forward"
	"github.com/portcullis/portcullis/audit/record"
)

const (
	hecToken = "11111111-2222-3333-4444-555555555555"
	esAPIKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
)

func hecDest(url string) forward.Destination {
	return forward.Destination{Name: "splunk", Kind: forward.SplunkHEC, URL: url, Token: hecToken, BatchSize: 100}
}

func esDest(url string) forward.Destination {
	return forward.Destination{Name: "elastic", Kind: forward.Elasticsearch, URL: url, Token: esAPIKey, BatchSize: 100}
}

func positions(recs []record.Record) []positionKey {
	out := make([]positionKey, len(recs))
	for i, r := range recs {
		out[i] = positionKey{r.Writer, r.Class, r.Seq}
	}
	return out
}

func TestHECDeliversEveryRecordInBatchesAndAdvancesTheCursor(t *testing.T) {
	t.Parallel()
	rcv := newHECReceiver(t, hecToken)
	src := newSource(t, 1234)
	cur := cursors(t, t.TempDir())
	f := newForwarder(t, hecDest(rcv.URL), src, cur)

	steps, total := drain(t, f)
	if steps != 13 || total != 1234 {
		t.Fatalf("%d steps delivered %d, want 13 steps and 1234", steps, total)
	}
	if got, want := rcv.events(), positions(src.all()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("receiver got %d events, want the 1234 in order", len(got))
	}
	if c := loadCursor(t, cur, "splunk"); c != 1234 {
		t.Fatalf("cursor %d, want 1234", c)
	}
	if st := f.Status(); st.Delivered != 1234 || st.Cursor != 1234 || st.Failures != 0 {
		t.Fatalf("status %+v", st)
	}
}

func TestElasticsearchDeliversEveryRecordInBatchesWithDeterministicIDs(t *testing.T) {
	t.Parallel()
	rcv := newESReceiver(t, esAPIKey)
	src := newSource(t, 1234)
	cur := cursors(t, t.TempDir())
	d := esDest(rcv.URL + "/")
	f := newForwarder(t, d, src, cur)

	if steps, total := drain(t, f); steps != 13 || total != 1234 {
		t.Fatalf("%d steps delivered %d, want 13 and 1234", steps, total)
	}
	docs, indexes := rcv.stored()
	if len(docs) != 1234 {
		t.Fatalf("%d documents stored, want 1234", len(docs))
	}
	for _, r := range src.all() {
		id := forward.DocumentID(r)
		if !bytes.Equal(docs[id], r.Event) {
			t.Fatalf("document %s is not the payload as written", id)
		}
		if indexes[id] != forward.DefaultIndex {
			t.Fatalf("document %s went to index %q", id, indexes[id])
		}
	}
	if c := loadCursor(t, cur, "elastic"); c != 1234 {
		t.Fatalf("cursor %d, want 1234", c)
	}
}

func TestElasticsearchFailureKeepsTheCursorAndRedeliveryStoresEachEventOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		break_ func(rcv *esReceiver, batch []record.Record)
	}{
		{"whole request refused with 500", func(rcv *esReceiver, _ []record.Record) { rcv.failNext(1, 500, false) }},
		{"stored but the answer lost", func(rcv *esReceiver, _ []record.Record) { rcv.failNext(1, 502, true) }},
		{"one item rejected with 429", func(rcv *esReceiver, b []record.Record) { rcv.failItem(forward.DocumentID(b[57]), 429) }},
		{"one item failing with 500", func(rcv *esReceiver, b []record.Record) { rcv.failItem(forward.DocumentID(b[0]), 500) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := newESReceiver(t, esAPIKey)
			src := newSource(t, 350)
			cur := cursors(t, t.TempDir())
			f := newForwarder(t, esDest(rcv.URL), src, cur)
			if n, err := f.Step(context.Background()); err != nil || n != 100 {
				t.Fatalf("first Step = %d, %v", n, err)
			}
			tc.break_(rcv, src.all()[100:200])
			n, err := f.Step(context.Background())
			if err == nil || n != 0 {
				t.Fatalf("Step against a failing receiver = %d, %v; want an error", n, err)
			}
			if c := loadCursor(t, cur, "elastic"); c != 100 {
				t.Fatalf("cursor moved to %d on a failure, want 100", c)
			}
			if st := f.Status(); st.Failures != 1 || st.LastError != err.Error() {
				t.Fatalf("status %+v", st)
			}
			drain(t, f) // recovered
			docs, _ := rcv.stored()
			if len(docs) != 350 {
				t.Fatalf("%d documents stored, want each of the 350 exactly once", len(docs))
			}
			if c := loadCursor(t, cur, "elastic"); c != 350 {
				t.Fatalf("cursor %d, want 350", c)
			}
		})
	}
}

func TestHECFailureKeepsTheCursorAndRedeliveryLosesNothing(t *testing.T) {
	t.Parallel()
	for _, accepted := range []bool{false, true} {
		t.Run(fmt.Sprintf("accepted before failing=%v", accepted), func(t *testing.T) {
			t.Parallel()
			rcv := newHECReceiver(t, hecToken)
			src := newSource(t, 250)
			cur := cursors(t, t.TempDir())
			f := newForwarder(t, hecDest(rcv.URL), src, cur)
			if _, err := f.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
			rcv.failNext(2, http.StatusServiceUnavailable, accepted)
			for range 2 {
				_, err := f.Step(context.Background())
				if err == nil || !strings.Contains(err.Error(), "Server is busy (HEC code 9)") {
					t.Fatalf("Step = %v, want HEC's busy message", err)
				}
				if c := loadCursor(t, cur, "splunk"); c != 100 {
					t.Fatalf("cursor moved to %d on a failure, want 100", c)
				}
			}
			drain(t, f)
			seen := map[positionKey]int{}
			for _, p := range rcv.events() {
				seen[p]++
			}
			for _, p := range positions(src.all()) {
				if seen[p] == 0 {
					t.Fatalf("event %v lost", p)
				}
			}
			if want := 250 + map[bool]int{false: 0, true: 200}[accepted]; len(rcv.events()) != want {
				t.Fatalf("receiver got %d events, want %d (at least once)", len(rcv.events()), want)
			}
		})
	}
}

func TestRestartResumesFromTheCursor(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{forward.SplunkHEC, forward.Elasticsearch} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			hrcv, ercv := newHECReceiver(t, hecToken), newESReceiver(t, esAPIKey)
			d := hecDest(hrcv.URL)
			if kind == forward.Elasticsearch {
				d = esDest(ercv.URL)
			}
			dir := t.TempDir()
			src := newSource(t, 500)
			first := newForwarder(t, d, src, cursors(t, dir))
			for range 2 {
				if _, err := first.Step(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			src.add(t, 20) // written while the process was down
			second := newForwarder(t, d, src, cursors(t, dir))
			if _, total := drain(t, second); total != 320 {
				t.Fatalf("the restarted forwarder delivered %d, want the 320 after its cursor", total)
			}
			if kind == forward.SplunkHEC {
				if got, want := hrcv.events(), positions(src.all()); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("receiver got %d events, want the 520 once each in order", len(got))
				}
			} else {
				rcv := ercv
				ercv.mu.Lock()
				creates := rcv.creates
				ercv.mu.Unlock()
				if docs, _ := rcv.stored(); len(docs) != 520 || creates != 520 {
					t.Fatalf("%d documents from %d creates, want 520 sent once", len(docs), creates)
				}
			}
		})
	}
}

func TestTokenNeverAppearsInErrors(t *testing.T) {
	t.Parallel()
	echo := func(token string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// A hostile or broken collector echoing the credentials.
			hecReply(w, http.StatusForbidden, fmt.Sprintf(`{"text":"Invalid token %s, header %q","code":4,"error":{"type":"security_exception","reason":"bad key %s"}}`, token, r.Header.Get("Authorization"), token))
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	cases := []struct {
		name  string
		dest  func(url string) forward.Destination
		token string
		url   string
	}{
		{"HEC refusing and echoing", hecDest, hecToken, ""},
		{"Elasticsearch refusing and echoing", esDest, esAPIKey, ""},
		{"HEC unreachable", hecDest, hecToken, closed.URL},
		{"Elasticsearch unreachable", esDest, esAPIKey, closed.URL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := tc.url
			if url == "" {
				srv := httptest.NewServer(echo(tc.token))
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			f := newForwarder(t, tc.dest(url), newSource(t, 3), cursors(t, t.TempDir()))
			_, err := f.Step(context.Background())
			if err == nil {
				t.Fatal("Step succeeded against a refusing collector")
			}
			if strings.Contains(err.Error(), tc.token) || strings.Contains(f.Status().LastError, tc.token) {
				t.Fatalf("the token is in the error: %v", err)
			}
			if !strings.Contains(err.Error(), "audit forward") {
				t.Fatalf("error without context: %v", err)
			}
		})
	}
}

func TestHECWrongTokenIsAFailureNamingTheCollectorsMessage(t *testing.T) {
	t.Parallel()
	rcv := newHECReceiver(t, "the-right-token")
	cur := cursors(t, t.TempDir())
	f := newForwarder(t, hecDest(rcv.URL), newSource(t, 5), cur)
	_, err := f.Step(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 403: Invalid token (HEC code 4)") {
		t.Fatalf("Step = %v", err)
	}
	if loadCursor(t, cur, "splunk") != 0 || len(rcv.events()) != 0 {
		t.Fatal("a refused batch moved the cursor or was recorded")
	}
}

func TestElasticsearchUnauthorizedIsAFailure(t *testing.T) {
	t.Parallel()
	rcv := newESReceiver(t, "other-key")
	f := newForwarder(t, esDest(rcv.URL), newSource(t, 5), cursors(t, t.TempDir()))
	_, err := f.Step(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 401: security_exception") {
		t.Fatalf("Step = %v", err)
	}
}

func TestStepFailsClosed(t *testing.T) {
	t.Parallel()
	redirect := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	cases := []struct {
		name  string
		url   func(hec *hecReceiver) string
		setup func(src *memSource)
		want  string
	}{
		{"a redirect is not followed", func(*hecReceiver) string { return redirect.URL }, func(*memSource) {}, "HTTP 307"},
		{"the feed failing", nil, func(s *memSource) { s.setErr(errFeed) }, "index is being rebuilt"},
		{"a corrupt payload", nil, func(s *memSource) { s.recs[1].Event = []byte(`{"a":`) }, "is not a JSON object"},
		{"cursors going backwards", nil, func(s *memSource) { s.recs[2].Cursor = 1 }, "returned cursor 1 after 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := newHECReceiver(t, hecToken)
			url := rcv.URL
			if tc.url != nil {
				url = tc.url(rcv)
			}
			src := newSource(t, 5)
			tc.setup(src)
			cur := cursors(t, t.TempDir())
			f := newForwarder(t, hecDest(url), src, cur)
			n, err := f.Step(context.Background())
			if err == nil || n != 0 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Step = %d, %v; want an error saying %q", n, err, tc.want)
			}
			if loadCursor(t, cur, "splunk") != 0 || len(rcv.events()) != 0 {
				t.Fatal("a failed step moved the cursor or delivered")
			}
		})
	}
}

func TestStepWithNothingNewDeliversNothing(t *testing.T) {
	t.Parallel()
	rcv := newESReceiver(t, "")
	d := esDest(rcv.URL)
	d.Token = ""
	f := newForwarder(t, d, newSource(t, 0), cursors(t, t.TempDir()))
	if n, err := f.Step(context.Background()); n != 0 || err != nil {
		t.Fatalf("Step = %d, %v", n, err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.creates != 0 {
		t.Fatal("an empty step sent a request")
	}
}

func TestRunDeliversUntilCancelled(t *testing.T) {
	t.Parallel()
	rcv := newHECReceiver(t, hecToken)
	src := newSource(t, 1234)
	all := make(chan struct{})
	src.onAfter = func(cursor int64) {
		if cursor == 1234 { // everything delivered and the cursor saved
			close(all)
			src.onAfter = nil
		}
	}
	cur := cursors(t, t.TempDir())
	f := newForwarder(t, hecDest(rcv.URL), src, cur)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx, time.Millisecond)
	}()
	<-all
	cancel()
	<-done
	if c := loadCursor(t, cur, "splunk"); c != 1234 {
		t.Fatalf("cursor %d after Run, want 1234", c)
	}
	if st := f.Status(); st.Delivered != 1234 {
		t.Fatalf("status %+v", st)
	}
	if got := len(rcv.events()); got != 1234 {
		t.Fatalf("receiver got %d events, want 1234", got)
	}
}
