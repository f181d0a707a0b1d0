package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/portcullis/portcullis/secretsd/store"
)

// bootstrapSetting holds the id the first admin gets. Claiming it with
// InitSetting makes concurrent bootstraps (two nodes, two commands) agree on
// one id, so at most one CreateUser succeeds; a bootstrap that failed after
// claiming it can be run again and reuses the id.
const bootstrapSetting = "identity.bootstrap_admin_id"

// Bootstrap creates the first Admin; ErrAlreadyBootstrapped when any user
// exists. It is audited before it takes effect.
func (s *Service) Bootstrap(ctx context.Context, username, password string) (User, error) {
	in, err := validateNewUser(NewUser{Username: username, Password: password, Role: RoleAdmin})
	if err != nil {
		return User{}, err
	}
	n, err := s.deps.Store.CountUsers(ctx)
	if err != nil {
		return User{}, fmt.Errorf("bootstrap: counting users: %w", err)
	}
	if n > 0 {
		return User{}, ErrAlreadyBootstrapped
	}
	hash, err := s.hasher.hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	id, err := s.deps.Store.InitSetting(ctx, bootstrapSetting, []byte(newID()))
	if err != nil {
		return User{}, fmt.Errorf("bootstrap: %w", err)
	}
	u := s.newStoreUser(string(id), in, hash)
	if err := s.recordFirst(ctx, Event{Action: AuditUserBootstrap, Outcome: OutcomeSuccess, Subject: u.ID,
		Details: map[string]any{"username": u.Username, "role": u.Role}}); err != nil {
		return User{}, err
	}
	if err := s.deps.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return User{}, ErrAlreadyBootstrapped
		}
		return User{}, fmt.Errorf("bootstrap: %w", err)
	}
	return s.publicUser(ctx, u)
}

// Me returns the actor's account.
func (s *Service) Me(ctx context.Context, a Actor) (User, error) {
	if err := authorize(a, actWhoAmI); err != nil {
		return User{}, err
	}
	u, err := s.getUser(ctx, a.UserID)
	if err != nil {
		return User{}, err
	}
	return s.publicUser(ctx, u)
}

// CreateUser creates an account (Admin only, audited first). The username is
// normalised (NormalizeUsername); ErrConflict when it is taken.
func (s *Service) CreateUser(ctx context.Context, a Actor, in NewUser) (User, error) {
	if err := authorize(a, actUsersWrite); err != nil {
		return User{}, err
	}
	in, err := validateNewUser(in)
	if err != nil {
		return User{}, err
	}
	// Checked before the audit record, so that the common refusal does not
	// leave a success event behind; the store's unique index still decides.
	if _, err := s.deps.Store.GetUserByUsername(ctx, in.Username); err == nil {
		return User{}, fmt.Errorf("username %q: %w", in.Username, ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return User{}, fmt.Errorf("creating a user: %w", err)
	}
	hash, err := s.hasher.hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	u := s.newStoreUser(newID(), in, hash)
	e := Event{Action: AuditUserCreate, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: u.ID,
		Details: map[string]any{"username": u.Username, "role": u.Role, "team": u.Team, "groups": u.Groups}}
	if err := s.recordFirst(ctx, e); err != nil {
		return User{}, err
	}
	if err := s.deps.Store.CreateUser(ctx, u); err != nil {
		s.record(ctx, Event{Action: AuditUserCreate, Outcome: OutcomeFailure, Reason: "store", ActorID: a.UserID, Subject: u.ID})
		if errors.Is(err, store.ErrConflict) {
			return User{}, fmt.Errorf("username %q: %w", in.Username, ErrConflict)
		}
		return User{}, fmt.Errorf("creating a user: %w", err)
	}
	return s.publicUser(ctx, u)
}

func (s *Service) newStoreUser(id string, in NewUser, hash string) store.User {
	now := s.clock.Now()
	return store.User{
		ID:           id,
		Username:     in.Username,
		Email:        in.Email,
		PasswordHash: hash,
		Role:         string(in.Role),
		Team:         in.Team,
		Groups:       in.Groups,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
}

// ListUsers lists every account, ordered by username (Admin only).
func (s *Service) ListUsers(ctx context.Context, a Actor) ([]User, error) {
	if err := authorize(a, actUsersRead); err != nil {
		return nil, err
	}
	us, err := s.deps.Store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	out := make([]User, 0, len(us))
	for _, u := range us {
		pu, err := s.publicUser(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, pu)
	}
	return out, nil
}

// GetUser returns one account (Admin only).
func (s *Service) GetUser(ctx context.Context, a Actor, id string) (User, error) {
	if err := authorize(a, actUsersRead); err != nil {
		return User{}, err
	}
	u, err := s.getUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	return s.publicUser(ctx, u)
}

// UpdateUser changes role, team, groups, password or disables the account
// (Admin only, audited first). Consequences, so that a change applies at
// once: disabling revokes every session, access token and API token; a new
// role revokes sessions and access tokens (API tokens take the new role at
// their next use); a new password revokes sessions and access tokens. The
// last enabled Admin can be neither disabled nor demoted (ErrConflict).
func (s *Service) UpdateUser(ctx context.Context, a Actor, id string, ch UserChange) (User, error) {
	if err := authorize(a, actUsersWrite); err != nil {
		return User{}, err
	}
	ch, err := validateUserChange(ch)
	if err != nil {
		return User{}, err
	}
	u, err := s.getUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	next := u
	changed := map[string]any{}
	if ch.Role != nil && string(*ch.Role) != u.Role {
		next.Role = string(*ch.Role)
		changed["role"] = map[string]any{"from": u.Role, "to": next.Role}
	}
	if ch.Team != nil && *ch.Team != u.Team {
		next.Team = *ch.Team
		changed["team"] = map[string]any{"from": u.Team, "to": next.Team}
	}
	if ch.Groups != nil && !slices.Equal(*ch.Groups, u.Groups) {
		next.Groups = *ch.Groups
		changed["groups"] = map[string]any{"from": u.Groups, "to": next.Groups}
	}
	if ch.Disabled != nil && *ch.Disabled != u.Disabled {
		next.Disabled = *ch.Disabled
		changed["disabled"] = next.Disabled
	}
	if ch.Password != nil {
		changed["password"] = "changed"
	}
	// Disabling again re-runs the revocation, so that an earlier attempt
	// that failed half-way can be completed by repeating it.
	disabling := ch.Disabled != nil && *ch.Disabled
	if len(changed) == 0 && !disabling {
		return s.publicUser(ctx, u)
	}
	if u.Role == string(RoleAdmin) && !u.Disabled && (next.Role != string(RoleAdmin) || next.Disabled) {
		if err := s.keepAnAdmin(ctx, u.ID); err != nil {
			return User{}, err
		}
	}
	if ch.Password != nil {
		if next.PasswordHash, err = s.hasher.hash(ctx, *ch.Password); err != nil {
			return User{}, err
		}
	}
	if err := s.recordFirst(ctx, Event{Action: AuditUserUpdate, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: u.ID,
		Details: map[string]any{"username": u.Username, "changes": changed}}); err != nil {
		return User{}, err
	}
	if len(changed) > 0 {
		next.UpdatedAt = s.clock.Now()
		if err := s.deps.Store.UpdateUser(ctx, next); err != nil {
			s.record(ctx, Event{Action: AuditUserUpdate, Outcome: OutcomeFailure, Reason: "store", ActorID: a.UserID, Subject: u.ID})
			if errors.Is(err, store.ErrNotFound) {
				return User{}, fmt.Errorf("user %q: %w", id, ErrNotFound)
			}
			return User{}, fmt.Errorf("updating user %s: %w", u.ID, err)
		}
	}
	switch {
	case disabling:
		err = s.revokeUser(ctx, u.ID, "user_disabled", true)
	case next.Role != u.Role:
		err = s.revokeUser(ctx, u.ID, "role_changed", false)
	case ch.Password != nil:
		err = s.revokeUser(ctx, u.ID, "password_changed", false)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %s was changed but revoking its tokens failed (revoke the user to finish): %w", u.ID, err)
	}
	return s.publicUser(ctx, next)
}

// keepAnAdmin refuses to take away the last enabled Admin: nobody could
// manage users any more, short of editing the database.
func (s *Service) keepAnAdmin(ctx context.Context, leaving string) error {
	us, err := s.deps.Store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("counting admins: %w", err)
	}
	for _, u := range us {
		if u.ID != leaving && u.Role == string(RoleAdmin) && !u.Disabled {
			return nil
		}
	}
	return fmt.Errorf("%w: this is the last enabled Admin; make another Admin first", ErrConflict)
}

// ResetMFA removes every factor and backup code of a user (Admin only,
// audited first), for a user who lost their devices. Their next login is
// with the password alone, and they enrol again.
func (s *Service) ResetMFA(ctx context.Context, a Actor, id string) error {
	if err := authorize(a, actUsersWrite); err != nil {
		return err
	}
	u, err := s.getUser(ctx, id)
	if err != nil {
		return err
	}
	if err := s.recordFirst(ctx, Event{Action: AuditUserMFAReset, Outcome: OutcomeSuccess, ActorID: a.UserID, Subject: u.ID,
		Details: map[string]any{"username": u.Username}}); err != nil {
		return err
	}
	if err := s.deps.MFA.Reset(ctx, u.ID); err != nil {
		return fmt.Errorf("resetting the second factors of user %s: %w", u.ID, err)
	}
	return nil
}
