package authz

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// Reload re-reads the policy files now and swaps in the new sets if they
// changed and are valid. An invalid set is rejected (and logged once per
// distinct content); the previous one stays in force. It returns the
// rejection, wrapping ErrReloadRejected, or nil.
func (a *Authorizer) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	err := a.reloadSet(false)
	if a.cfg.Shadow != nil {
		if serr := a.reloadSet(true); serr != nil && err == nil {
			err = serr
		}
	}
	return err
}

func (a *Authorizer) reloadSet(shadow bool) error {
	name, ptr := "enforced", &a.current
	if shadow {
		name, ptr = "shadow", &a.shadow
	}
	src := a.source(shadow)
	snap, err := src.read()
	var key string // what was seen: content fingerprint or read error
	if err == nil {
		if cur := ptr.Load(); cur != nil && cur.fingerprint == snap.fingerprint {
			delete(a.rejected, shadow)
			return nil // unchanged
		}
		key = fmt.Sprintf("%x", snap.fingerprint)
		if a.rejected[shadow] != key {
			var set *PolicySet
			if set, err = a.compile(shadow, snap); err == nil {
				ev := ReloadEvent{Set: name, Source: src.String(), Fingerprint: key,
					Policies: set.Len(), PreviousPolicies: lenOf(ptr.Load())}
				if herr := a.notifyReload(ev); herr != nil {
					// Not remembered as rejected: the set is valid, and is
					// tried again at the next check.
					a.cfg.Logger.Error("cedar policy reload not applied: it could not be recorded; the previous policies stay in force",
						zap.String("set", name), zap.String("source", src.String()), zap.Error(herr))
					return fmt.Errorf("%w: %s policies: %w", ErrReloadNotRecorded, name, herr)
				}
				old := ptr.Swap(set)
				delete(a.rejected, shadow)
				a.cfg.Logger.Info("cedar policies reloaded",
					zap.String("set", name),
					zap.String("source", src.String()),
					zap.Int("policies", set.Len()),
					zap.Int("previous_policies", lenOf(old)))
				return nil
			}
		}
	} else {
		key = "read: " + err.Error()
	}
	if a.rejected[shadow] == key {
		// Already logged; a file left broken must not flood the log.
		return fmt.Errorf("%w: %s policies unchanged since rejected", ErrReloadRejected, name)
	}
	a.rejected[shadow] = key
	prev := lenOf(ptr.Load())
	if herr := a.notifyReload(ReloadEvent{Set: name, Source: src.String(), Fingerprint: fingerprintHex(snap),
		PreviousPolicies: prev, Err: err}); herr != nil {
		a.cfg.Logger.Error("cedar policy reload rejection could not be recorded", zap.String("set", name), zap.Error(herr))
	}
	if a.cfg.ReloadFailures != nil {
		a.cfg.ReloadFailures.Inc()
	}
	a.cfg.Logger.Error("cedar policy reload rejected; the previous policies stay in force",
		zap.String("set", name),
		zap.String("source", src.String()),
		zap.Error(err))
	return fmt.Errorf("%w: %s policies: %w", ErrReloadRejected, name, err)
}

func lenOf(s *PolicySet) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

// Run checks the files every ReloadInterval (a negative one disables it)
// until Close. Polling content hashes rather than watching inotify events
// also follows Kubernetes ConfigMap updates, which swap a symlink.
func (a *Authorizer) Run() {
	defer close(a.done)
	if a.cfg.ReloadInterval < 0 {
		<-a.stop
		return
	}
	t := time.NewTicker(a.cfg.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			_ = a.Reload() // logged inside
		}
	}
}

// Start runs Run in a goroutine.
func (a *Authorizer) Start() { go a.Run() }

// Close stops Run and waits for it when it was started.
func (a *Authorizer) Close(started bool) {
	a.stopOnce.Do(func() { close(a.stop) })
	if started {
		<-a.done
	}
}

func dirHasSchema(dir string) bool {
	if dir == "" {
		return false
	}
	m, _ := filepath.Glob(filepath.Join(dir, "*.cedarschema"))
	if len(m) > 0 {
		return true
	}
	_, err := os.Stat(dir)
	return err != nil // an unreadable dir reports its own error when read
}
