package trail_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
)

// rawUser and rawIP are personal values the tests send; they must never
// reach the chain files.
const (
	rawUser = "alice.personal@example.com"
	rawName = "Alice Personal"
	rawIP   = "203.0.113.77"
)

func newPseudonymizer(t testing.TB) *pseudo.Pseudonymizer {
	t.Helper()
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newSigner(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// config is a Trail config under a fresh root.
func config(t testing.TB) trail.Config {
	return trail.Config{
		Root:          t.TempDir(),
		Writer:        "gw-1",
		Signer:        newSigner(t),
		KeyID:         "gw-1",
		Pseudonymizer: newPseudonymizer(t),
	}
}

func open(t testing.TB, cfg trail.Config) *trail.Trail {
	t.Helper()
	tr, err := trail.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// requestEvent is a gateway request as the audit handler builds it.
func requestEvent(clk clock.Clock) *event.Event {
	e := new(event.Event)
	*e = event.New(event.GatewayRequest, event.Success, clk)
	e.Event.Duration = 1_234_567
	e.User = &event.User{ID: rawUser, Name: rawName, Roles: []string{"Developer"}}
	e.Source = &event.Source{IP: rawIP}
	e.HTTP = &event.HTTP{
		Request:  &event.HTTPRequest{Method: "GET"},
		Response: &event.HTTPResponse{StatusCode: 200, Body: &event.HTTPBody{Bytes: 5120}},
	}
	e.URL = &event.URL{Path: "/api/teams/platform/projects/1"}
	e.Portcullis = &event.Product{
		RequestID:  "01JC8Q2W3E4R5T6Y7U8I9O0PAS",
		SessionID:  "sess-4f1c2a",
		DecisionID: "dec-77aa01",
		PolicyIDs:  []string{"policy0", "policy3"},
		RateLimit:  &event.RateLimit{Zone: "per-user", Limit: 600, Remaining: 598},
		MFA:        &event.MFA{Method: "otp", Verified: true},
	}
	return e
}

// privilegedEvent is a privileged action by rawUser.
func privilegedEvent(a event.Action, clk ...clock.Clock) *event.Event {
	e := new(event.Event)
	c := clock.System
	if len(clk) > 0 {
		c = clk[0]
	}
	*e = event.New(a, event.Success, c)
	e.User = &event.User{ID: rawUser, Name: rawName}
	e.Source = &event.Source{IP: rawIP}
	e.Portcullis = &event.Product{Resource: &event.Resource{Type: "policy", ID: "production.cedar"}}
	return e
}

// readChain returns the events of every record of the chain in dir, in order.
func readChain(t testing.TB, dir string) []event.Event {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for _, seg := range segs {
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			_, payload, ok := bytes.Cut(sc.Bytes(), []byte(`"payload":`))
			if !ok {
				continue // a checkpoint
			}
			var e event.Event
			if err := json.Unmarshal(payload[:len(payload)-1], &e); err != nil {
				t.Fatalf("%s: %v", seg, err)
			}
			out = append(out, e)
		}
	}
	return out
}

// verifyIntact fails unless every chain under root verifies (an unsealed
// tail allowed) and returns the reports.
func verifyIntact(t testing.TB, root string) []trail.ChainReport {
	t.Helper()
	reps, err := trail.VerifyAll(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil {
			t.Fatalf("chain %s/%s: %v", r.Writer, r.Class, r.Err)
		}
	}
	return reps
}

// allFileBytes is every byte of every file under root.
func allFileBytes(t testing.TB, root string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

type ed25519PublicKey = ed25519.PublicKey

// cfgClock is the system clock, as the gateway uses it.
type cfgClock struct{}

func (cfgClock) Now() time.Time { return time.Now() }
