package mfa_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestDevicesListAndMethods(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, st, mfa.Config{})
		if has, err := e.svc.HasFactor(ctx, e.user.ID); has || err != nil {
			t.Fatalf("HasFactor of a new user = %v, %v", has, err)
		}
		if m, _ := e.svc.Methods(ctx, e.user.ID); len(m) != 0 {
			t.Fatalf("methods of a new user %v", m)
		}
		_, secret := e.enrolTOTP(t, e.user, "")
		pending, err := e.svc.EnrollTOTP(ctx, e.user, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		if _, err := e.register(t, e.user, newKey(t, e.user), rp, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GenerateBackupCodes(ctx, e.user); err != nil {
			t.Fatal(err)
		}
		devices, err := e.svc.Devices(ctx, e.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range devices {
			names = append(names, d.Name)
		}
		if want := []string{"Authenticator app", "Authenticator app 2", "Security key"}; !slices.Equal(names, want) {
			t.Errorf("device names %q, want %q (default names, oldest first)", names, want)
		}
		listed, _ := json.Marshal(devices)
		if strings.Contains(string(listed), secret) || strings.Contains(string(listed), pending.Secret) ||
			strings.Contains(strings.ToLower(string(listed)), "secret") {
			t.Errorf("the device list shows a secret: %s", listed)
		}
		m, err := e.svc.Methods(ctx, e.user.ID)
		if err != nil || !slices.Equal(m, []string{mfa.MethodTOTP, mfa.MethodWebAuthn, mfa.MethodBackupCode}) {
			t.Errorf("Methods = %v, %v", m, err)
		}
		if has, _ := e.svc.HasFactor(ctx, e.user.ID); !has {
			t.Error("HasFactor = false")
		}

		if err := e.svc.Reset(ctx, e.user.ID); err != nil {
			t.Fatal(err)
		}
		if devices, _ := e.svc.Devices(ctx, e.user.ID); len(devices) != 0 {
			t.Errorf("%d devices after Reset", len(devices))
		}
		if n, _ := e.svc.BackupCodesLeft(ctx, e.user.ID); n != 0 {
			t.Errorf("%d backup codes after Reset", n)
		}
		if has, _ := e.svc.HasFactor(ctx, e.user.ID); has {
			t.Error("HasFactor after Reset")
		}
	})
}

func TestDeviceNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, storetest.SQLite(t), mfa.Config{})
	e.enrolTOTP(t, e.user, "phone")
	_, err := e.svc.EnrollTOTP(ctx, e.user, " phone ")
	wantErr(t, err, mfa.ErrNameTaken)
	wantErr(t, err, store.ErrConflict)
	for _, bad := range []string{strings.Repeat("x", 65), "tab\there", "nul\x00", "\xff"} {
		_, err := e.svc.EnrollTOTP(ctx, e.user, bad)
		wantErr(t, err, mfa.ErrInvalidName)
	}
	// Enrolling again under the name of an unconfirmed device restarts it.
	first, err := e.svc.EnrollTOTP(ctx, e.user, "tablet")
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.EnrollTOTP(ctx, e.user, "tablet")
	if err != nil {
		t.Fatalf("re-enrolling an unconfirmed device: %v", err)
	}
	_, err = e.svc.ConfirmTOTP(ctx, e.user, first.Device.ID, codeAt(t, first.Secret, e.clock.Now()))
	wantErr(t, err, mfa.ErrNoFactor)
	if _, err := e.svc.ConfirmTOTP(ctx, e.user, second.Device.ID, codeAt(t, second.Secret, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveDevice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, st, mfa.Config{})
		u := e.user // RequiresMFA

		phone, _ := e.enrolTOTP(t, u, "phone")
		pending, err := e.svc.EnrollTOTP(ctx, u, "pending")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GenerateBackupCodes(ctx, u); err != nil {
			t.Fatal(err)
		}
		// An unconfirmed device is never a factor: always removable.
		if err := e.svc.RemoveDevice(ctx, u, pending.Device.ID); err != nil {
			t.Fatalf("removing an unconfirmed device: %v", err)
		}
		// The last confirmed device of a user who requires MFA stays, even
		// with backup codes left.
		err = e.svc.RemoveDevice(ctx, u, phone.ID)
		wantErr(t, err, mfa.ErrLastFactor)
		if _, err := st.GetDevice(ctx, u.ID, phone.ID); err != nil {
			t.Fatalf("the refused removal removed the device: %v", err)
		}
		// With a second one, either may go, but not both.
		key, err := e.register(t, u, newKey(t, u), rp, "key")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RemoveDevice(ctx, u, phone.ID); err != nil {
			t.Fatalf("removing one of two devices: %v", err)
		}
		wantErr(t, e.svc.RemoveDevice(ctx, u, key.ID), mfa.ErrLastFactor)

		// Unknown, removed, or another user's device: not found.
		wantErr(t, e.svc.RemoveDevice(ctx, u, phone.ID), mfa.ErrNoFactor)
		wantErr(t, e.svc.RemoveDevice(ctx, u, "nope"), store.ErrNotFound)
		other := newUser(t, st, false)
		wantErr(t, e.svc.RemoveDevice(ctx, other, key.ID), mfa.ErrNoFactor)

		// A user whose role does not require MFA may remove the last one.
		u.RequiresMFA = false
		if err := e.svc.RemoveDevice(ctx, u, key.ID); err != nil {
			t.Fatalf("removing the last device of a user without required MFA: %v", err)
		}
	})
}
