package authz

import (
	"encoding/hex"
	"errors"
)

// ErrReloadNotRecorded wraps the error of Config.OnReload when it refused a
// policy set: the set did not take effect.
var ErrReloadNotRecorded = errors.New("policy set change could not be recorded")

// ReloadEvent describes one policy set about to take effect, or rejected.
type ReloadEvent struct {
	// Set is "enforced" or "shadow".
	Set string
	// Source names the files (Source.String).
	Source string
	// Initial is true for the load in New, false for a reload.
	Initial bool
	// Fingerprint is the hex SHA-256 over the set's files; empty when they
	// could not be read.
	Fingerprint string
	// Policies and PreviousPolicies count the policies of the new set (0
	// when rejected) and of the one in force before (0 at the initial load).
	Policies         int
	PreviousPolicies int
	// Err is why the set was rejected (unreadable or invalid); nil for a set
	// about to take effect.
	Err error
}

// notifyReload calls the hook. For a set about to take effect its error
// means the set must not take effect.
func (a *Authorizer) notifyReload(ev ReloadEvent) error {
	if a.cfg.OnReload == nil {
		return nil
	}
	return a.cfg.OnReload(ev)
}

func fingerprintHex(snap *snapshot) string {
	if snap == nil {
		return ""
	}
	return hex.EncodeToString(snap.fingerprint[:])
}

func setName(shadow bool) string {
	if shadow {
		return "shadow"
	}
	return "enforced"
}
