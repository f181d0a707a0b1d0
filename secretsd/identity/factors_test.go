package identity_test

import (
	"context"
	"testing"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestOwnFactors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.createUser(t, "dev", identity.RoleDeveloper)
	a := e.actor(t, e.login(t, "dev", userPassword))

	en, err := e.svc.EnrollTOTP(ctx, a, "phone")
	noErr(t, "EnrollTOTP", err)
	_, err = e.svc.ConfirmTOTP(ctx, a, en.Device.ID, "000000")
	isErr(t, "ConfirmTOTP with a wrong code", err, mfa.ErrInvalidCode)
	_, err = e.svc.ConfirmTOTP(ctx, a, en.Device.ID, e.code(t, en.Secret))
	noErr(t, "ConfirmTOTP", err)
	_, err = e.svc.GenerateBackupCodes(ctx, a)
	noErr(t, "GenerateBackupCodes", err)
	n, err := e.svc.BackupCodesLeft(ctx, a)
	if err != nil || n != 10 {
		t.Fatalf("BackupCodesLeft = %d, %v", n, err)
	}
	devs, err := e.svc.Devices(ctx, a)
	noErr(t, "Devices", err)
	if len(devs) != 1 || !devs[0].Confirmed || devs[0].Name != "phone" {
		t.Fatalf("devices %+v", devs)
	}
	// A Developer does not require MFA: the last device may go.
	noErr(t, "RemoveDevice", e.svc.RemoveDevice(ctx, a, devs[0].ID))
	if devs, _ := e.svc.Devices(ctx, a); len(devs) != 0 {
		t.Fatalf("devices after removal %+v", devs)
	}
	for _, action := range []string{identity.AuditMFAEnroll, identity.AuditMFAConfirm, identity.AuditMFARemove, identity.AuditMFABackupCodes} {
		if len(e.audit.find(action, identity.OutcomeSuccess)) != 1 {
			t.Errorf("%s not audited once", action)
		}
	}
}
