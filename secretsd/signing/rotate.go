package signing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
)

// Rotate makes a new active key and retires the current one, which stays
// published for MaxTokenTTL plus Leeway. It returns the kid that signs
// afterwards: the new key, unless another node rotated at the same moment
// with a newer one.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rotateLocked(ctx)
}

func (k *Keyring) rotateLocked(ctx context.Context) (string, error) {
	now := k.clock.Now()
	stored, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("signing: loading keys: %w", err)
	}
	// The new key must be the newest of the store, or it would be retired
	// at once in favour of the current one: a node whose clock lags the
	// node that made the current key dates its key just after it.
	createdAt := now.Truncate(time.Microsecond) // the store's precision
	for _, s := range stored {
		if !s.CreatedAt.Before(createdAt) {
			createdAt = s.CreatedAt.Add(time.Microsecond)
		}
	}
	sk, err := k.newStoredKey(ctx, k.cfg.Algorithm, createdAt)
	if err != nil {
		return "", fmt.Errorf("signing: rotating: %w", err)
	}
	// The new key is stored before the old one is retired: if this node
	// stops in between, the store holds two active keys, and the newest
	// signs everywhere, as after a concurrent rotation.
	if err := k.store.CreateSigningKey(ctx, sk); err != nil {
		return "", fmt.Errorf("signing: storing the new key %s: %w", sk.ID, err)
	}
	if err := k.retireSupersededLocked(ctx, now); err != nil {
		return "", err
	}
	if err := k.reloadLocked(ctx); err != nil {
		return "", err
	}
	kid := k.ActiveKeyID()
	k.log.Info().Str("kid", kid).Str("alg", k.cfg.Algorithm).Msg("signing key rotated")
	return kid, nil
}

// retireSupersededLocked retires every active key of the store but the
// newest. It reads the store, not memory, so that keys other nodes made
// since the last reload count. Retiring only keys older than the newest
// (never "every key but mine") is what keeps two nodes rotating at once from
// retiring each other's key and leaving none active.
func (k *Keyring) retireSupersededLocked(ctx context.Context, now time.Time) error {
	stored, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("signing: loading keys: %w", err)
	}
	var newest *store.SigningKey
	for i := range stored {
		if s := &stored[i]; s.RetiredAt.IsZero() && (newest == nil || newer(s, newest)) {
			newest = s
		}
	}
	if newest == nil {
		return nil
	}
	until := now.Add(k.cfg.publishFor())
	for _, s := range stored {
		if !s.RetiredAt.IsZero() || s.ID == newest.ID {
			continue
		}
		err := k.store.RetireSigningKey(ctx, s.ID, now, until)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile: nothing left to retire
		}
		if err != nil {
			return fmt.Errorf("signing: retiring key %s: %w", s.ID, err)
		}
		k.log.Info().Str("kid", s.ID).Time("publish_until", until).Msg("signing key retired")
	}
	return nil
}

// Run rotates on schedule, picks up keys rotated by other nodes and drops keys
// past their PublishUntil, until ctx ends: one Maintain every ReloadEvery
// (or per value of Config.Ticks). Failures are logged and retried at the
// next tick; the keys in memory keep signing meanwhile.
func (k *Keyring) Run(ctx context.Context) {
	ticks := k.cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(k.cfg.ReloadEvery)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			if err := k.Maintain(ctx); err != nil && ctx.Err() == nil {
				k.log.Error().Err(err).Msg("signing key maintenance failed")
			}
		}
	}
}

// Maintain is one pass of Run: it deletes keys past their PublishUntil,
// retires active keys superseded by a newer one (two nodes rotated at once),
// reloads the keys, and rotates when the active key is older than
// RotateEvery (or when the store has no active key at all).
func (k *Keyring) Maintain(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.clock.Now()
	n, err := k.store.DeleteSigningKeysRetiredBefore(ctx, now)
	if err != nil {
		return fmt.Errorf("signing: deleting expired keys: %w", err)
	}
	if n > 0 {
		k.log.Info().Int("keys", n).Msg("signing keys past their publication deleted")
	}
	if err := k.retireSupersededLocked(ctx, now); err != nil {
		return err
	}
	if err := k.reloadLocked(ctx); err != nil {
		return err
	}
	active := k.state.Load().active
	if active == nil || (k.cfg.RotateEvery > 0 && now.Sub(active.createdAt) >= k.cfg.RotateEvery) {
		_, err := k.rotateLocked(ctx)
		return err
	}
	return nil
}
