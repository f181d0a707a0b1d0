package trail_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/audit/trail"
)

func TestRecordIsDurableAndRoutedByRetentionClass(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	tr := open(t, cfg)
	ctx := context.Background()
	cases := []struct {
		action event.Action
		class  event.Retention
	}{
		{event.PolicyChange, event.Standard},
		{event.BreakGlassActivate, event.BreakGlassRetention},
		{event.UserCreate, event.Standard},
		{event.BreakGlassApprove, event.BreakGlassRetention},
	}
	want := map[event.Retention][]string{}
	for _, c := range cases {
		e := privilegedEvent(c.action)
		if err := tr.Record(ctx, e); err != nil {
			t.Fatalf("%s: %v", c.action.Name, err)
		}
		want[c.class] = append(want[c.class], e.Event.ID)
	}
	// Durable on return: the files hold the records with the trail still open.
	for class, ids := range want {
		dir := trail.ChainDir(cfg.Root, cfg.Writer, class)
		rep, err := chain.Verify(dir, cfg.Signer.Public().(ed25519PublicKey))
		if err != nil && !errors.Is(err, chain.ErrUnsealed) {
			t.Fatalf("%s: %v", class, err)
		}
		if rep.Records != uint64(len(ids)) {
			t.Fatalf("%s chain holds %d records, want %d", class, rep.Records, len(ids))
		}
		got := readChain(t, dir)
		for i, id := range ids {
			if got[i].Event.ID != id {
				t.Errorf("%s chain record %d is %s, want %s", class, i+1, got[i].Event.ID, id)
			}
			if got[i].Event.Code == "" || got[i].ECS.Version == "" {
				t.Errorf("%s chain record %d lacks code or ecs.version", class, i+1)
			}
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range verifyIntact(t, cfg.Root) {
		if r.Unsealed != 0 {
			t.Errorf("%s: %d records unsealed after Close", r.Class, r.Unsealed)
		}
	}
}

func TestEventsOutsideTheCatalogueOrWithBadAddressesAreRefused(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	tr := open(t, cfg)
	unknown := privilegedEvent(event.PolicyChange)
	unknown.Event.Action = "policy.delete_everything"
	badIP := requestEvent(cfgClock{})
	badIP.Source.IP = "not-an-ip"
	cases := []struct {
		name string
		e    *event.Event
		want error
	}{
		{"unknown action", unknown, trail.ErrUnknownAction},
		{"nil event", nil, trail.ErrUnknownAction},
		{"source.ip that cannot be truncated", badIP, pseudo.ErrMalformedIP},
	}
	for _, c := range cases {
		if err := tr.Record(context.Background(), c.e); !errors.Is(err, c.want) {
			t.Errorf("%s: Record = %v, want %v", c.name, err, c.want)
		}
		if err := tr.Enqueue(c.e); !errors.Is(err, c.want) {
			t.Errorf("%s: Enqueue = %v, want %v", c.name, err, c.want)
		}
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))); n != 0 {
		t.Errorf("%d refused events were written", n)
	}
}

func TestPersonalValuesNeverReachTheFiles(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	tr := open(t, cfg)
	if err := tr.Record(context.Background(), privilegedEvent(event.KeyRotate)); err != nil {
		t.Fatal(err)
	}
	if err := tr.Enqueue(requestEvent(cfgClock{})); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	all := allFileBytes(t, cfg.Root)
	for _, raw := range []string{rawUser, rawName, rawIP} {
		if bytes.Contains(all, []byte(raw)) {
			t.Errorf("the trail files hold the raw value %q", raw)
		}
	}
	userP := cfg.Pseudonymizer.User(rawUser)
	_, ipHash, _ := cfg.Pseudonymizer.IP(rawIP)
	for _, e := range readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard)) {
		if e.User.ID != userP || e.Source.IP != "203.0.113.0" || e.Portcullis.SourceIPHash != ipHash {
			t.Errorf("%s: user.id %q source.ip %q hash %q, want the pseudonym, the /24 and the keyed hash",
				e.Event.Action, e.User.ID, e.Source.IP, e.Portcullis.SourceIPHash)
		}
		if e.Portcullis.Personal != "" {
			t.Errorf("%s: personal values sealed without a key store", e.Event.Action)
		}
	}
}

func TestPersonalValuesAreSealedUnderTheSubjectsKey(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	keys, err := shred.OpenKeys(filepath.Join(t.TempDir(), "subjects.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	cfg.Keys = keys
	tr := open(t, cfg)
	if err := tr.Record(context.Background(), privilegedEvent(event.UserUpdate)); err != nil {
		t.Fatal(err)
	}
	if err := tr.Enqueue(requestEvent(cfgClock{})); err != nil {
		t.Fatal(err)
	}
	anonymous := requestEvent(cfgClock{})
	anonymous.User = nil
	if err := tr.Enqueue(anonymous); err != nil {
		t.Fatal(err)
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	if len(got) != 3 {
		t.Fatalf("%d records, want 3", len(got))
	}
	subject := cfg.Pseudonymizer.User(rawUser)
	for _, e := range got[:2] {
		fields, err := keys.Open(e.Portcullis.Personal)
		if err != nil {
			t.Fatalf("%s: opening the sealed values: %v", e.Event.Action, err)
		}
		if fields[pseudo.FieldSourceIP] != rawIP || (e.Event.Action == event.UserUpdate.Name && fields[pseudo.FieldUserName] != rawName) {
			t.Errorf("%s: sealed %v", e.Event.Action, fields)
		}
	}
	if got[2].Portcullis.Personal != "" {
		t.Error("an event without a user was sealed")
	}
	if bytes.Contains(allFileBytes(t, cfg.Root), []byte(rawIP)) {
		t.Error("the raw address is in the trail files")
	}
	// Crypto-shredding: once the subject's key is gone the values are too,
	// and the chain still verifies.
	if _, err := keys.Erase(subject); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Open(got[0].Portcullis.Personal); !errors.Is(err, shred.ErrErased) {
		t.Errorf("after Erase, Open = %v, want ErrErased", err)
	}
	verifyIntact(t, cfg.Root)
}

// drop means never stored: a dropped field is not sealed either.
func TestDroppedFieldsAreNotSealed(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)}},
		Fields: map[string]pseudo.Mode{pseudo.FieldUserName: pseudo.Drop}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Pseudonymizer = p
	keys, err := shred.OpenKeys(filepath.Join(t.TempDir(), "subjects.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	cfg.Keys = keys
	tr := open(t, cfg)
	if err := tr.Record(context.Background(), privilegedEvent(event.UserUpdate)); err != nil {
		t.Fatal(err)
	}
	got := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	if len(got) != 1 {
		t.Fatalf("%d records, want 1", len(got))
	}
	fields, err := keys.Open(got[0].Portcullis.Personal)
	if err != nil {
		t.Fatal(err)
	}
	if _, sealed := fields[pseudo.FieldUserName]; sealed || fields[pseudo.FieldSourceIP] != rawIP {
		t.Errorf("sealed %v: want the address and not the dropped name", fields)
	}
	if got[0].User.Name != "" {
		t.Errorf("user.name %q written", got[0].User.Name)
	}
}
