package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/server"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// [audit] fields reaches the events secretsd writes: a dropped user.name is
// not written, a kept source.ip is written as it came (and no hash stands in
// for it), while user.id keeps its default pseudonym.
func TestConfiguredFieldModesReachTheTrail(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, storetest.SQLiteConfig(t))
	cfg.Audit.Fields = []string{"user.name=drop", "source.ip=keep"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := event.New(event.PolicyChange, event.Success, clock.System)
	e.User = &event.User{ID: "alice-id", Name: "Alice Example"}
	e.Source = &event.Source{IP: "203.0.113.7"}
	if err := srv.Services().Audit.Trail.Record(t.Context(), &e); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, w := range writtenEvents(t, trail.ChainDir(cfg.Audit.Dir, cfg.Audit.Writer, event.Standard)) {
		if w.Event.Action != event.PolicyChange.Name {
			continue
		}
		found = true
		if w.User == nil || w.User.Name != "" || w.User.ID == "" || w.User.ID == "alice-id" {
			t.Errorf("user = %+v; want no name and a pseudonymised id", w.User)
		}
		if w.Source == nil || w.Source.IP != "203.0.113.7" {
			t.Errorf("source = %+v; want the address kept", w.Source)
		}
		if w.Portcullis != nil && w.Portcullis.SourceIPHash != "" {
			t.Errorf("source_ip_hash = %q; a kept address needs none", w.Portcullis.SourceIPHash)
		}
	}
	if !found {
		t.Fatal("the policy.change event is not in the standard chain")
	}
}

// writtenEvents reads the events of the chain in dir.
func writtenEvents(t *testing.T, dir string) []event.Event {
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
			var rec struct {
				Payload *event.Event `json:"payload"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", seg, err)
			}
			if rec.Payload != nil {
				out = append(out, *rec.Payload)
			}
		}
	}
	return out
}
