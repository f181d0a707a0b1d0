package authz_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/portcullis/portcullis/internal/authz"
)

// reloadLog records what OnReload was told and fails while fail is set.
type reloadLog struct {
	events []authz.ReloadEvent
	fail   error
}

func (l *reloadLog) hook(ev authz.ReloadEvent) error {
	l.events = append(l.events, ev)
	return l.fail
}

func (l *reloadLog) last(t *testing.T) authz.ReloadEvent {
	t.Helper()
	if len(l.events) == 0 {
		t.Fatal("OnReload was not called")
	}
	return l.events[len(l.events)-1]
}

// Policy changes are privileged: the hook (the audit trail) hears of each set
// before it takes effect, and a set it cannot record never applies.
func TestOnReloadSeesEverySetBeforeItTakesEffect(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	log := &reloadLog{}
	a := newAuthorizer(t, "development", func(c *authz.Config) {
		c.Policies = authz.Source{Dir: dir}
		c.OnReload = log.hook
	})
	if ev := log.last(t); !ev.Initial || ev.Err != nil || ev.Set != "enforced" || ev.Policies != a.Policies().Len() || len(ev.Fingerprint) != 64 {
		t.Fatalf("initial load event = %+v", ev)
	}
	viewerWritesNotes := authz.Request{Principal: user("Viewer", "ops"), Method: "POST", Path: "/api/notes/1", SourceIP: office}

	t.Run("a change that cannot be recorded keeps the old set", func(t *testing.T) {
		log.fail = errors.New("disk full")
		writeFile(t, filepath.Join(dir, "notes.cedar"), extraPermit)
		before := a.Policies()
		if err := a.Reload(); !errors.Is(err, authz.ErrReloadNotRecorded) {
			t.Fatalf("reload error = %v, want ErrReloadNotRecorded", err)
		}
		if a.Policies() != before || a.Authorize(viewerWritesNotes).Allowed {
			t.Fatal("an unrecorded policy set took effect")
		}
	})

	t.Run("once it can be recorded the same change applies at the next check", func(t *testing.T) {
		log.fail = nil
		n := len(log.events)
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
		ev := log.last(t)
		if len(log.events) != n+1 || ev.Initial || ev.Err != nil || ev.Policies != ev.PreviousPolicies+1 {
			t.Fatalf("reload event = %+v", ev)
		}
		if !a.Authorize(viewerWritesNotes).Allowed {
			t.Fatal("recorded change not in force")
		}
	})

	t.Run("a rejected set is reported with its error", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "notes.cedar"), "permit (principal, action, resource) when { principal.tem };")
		if err := a.Reload(); !errors.Is(err, authz.ErrReloadRejected) {
			t.Fatalf("reload error = %v", err)
		}
		if ev := log.last(t); ev.Err == nil || ev.Policies != 0 || ev.PreviousPolicies == 0 {
			t.Fatalf("rejection event = %+v", ev)
		}
	})
}

func TestOnReloadRefusingTheInitialLoadFailsNew(t *testing.T) {
	t.Parallel()
	_, err := authz.New(authz.Config{
		Policies: authz.Source{Dir: repoPolicies}, Environment: "production", ReloadInterval: -1,
		OnReload: func(authz.ReloadEvent) error { return errors.New("trail down") },
	})
	if !errors.Is(err, authz.ErrReloadNotRecorded) {
		t.Fatalf("New error = %v, want ErrReloadNotRecorded", err)
	}
}

func TestOnReloadHearsOfAnInvalidInitialSet(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t)
	writeFile(t, filepath.Join(dir, "bad.cedar"), "permit (principal, action, resource) when { principal.tem };")
	log := &reloadLog{}
	_, err := authz.New(authz.Config{Policies: authz.Source{Dir: dir}, Environment: "production", ReloadInterval: -1, OnReload: log.hook})
	if err == nil {
		t.Fatal("an invalid set loaded")
	}
	if ev := log.last(t); !ev.Initial || ev.Err == nil {
		t.Fatalf("event = %+v", ev)
	}
}
