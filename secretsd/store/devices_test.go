package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func totpDevice(userID, id, name string, created time.Time) store.Device {
	return store.Device{ID: id, UserID: userID, Kind: store.DeviceTOTP, Name: name, Secret: []byte("sealed-seed-" + id), CreatedAt: created}
}

func TestDevices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		mustUser(t, s, "u2")
		phone := totpDevice("u1", "d-phone", "phone", t0)
		key := store.Device{
			ID: "d-key", UserID: "u1", Kind: store.DeviceWebAuthn, Name: "yubikey",
			Secret: []byte("sealed-credential"), CredentialID: []byte{0xca, 0xfe}, Confirmed: true,
			SignCount: 41, CreatedAt: t0.Add(time.Minute),
		}
		noErr(t, s.CreateDevice(ctx, key))
		noErr(t, s.CreateDevice(ctx, phone))

		t.Run("list is the user's devices, oldest first", func(t *testing.T) {
			ds, err := s.ListDevices(ctx, "u1")
			noErr(t, err)
			p, k := phone, key
			p.CreatedAt, k.CreatedAt = us(p.CreatedAt), us(k.CreatedAt)
			if !reflect.DeepEqual(ds, []store.Device{p, k}) {
				t.Fatalf("ListDevices =\n%+v\nwant\n%+v", ds, []store.Device{p, k})
			}
			if ds, _ := s.ListDevices(ctx, "u2"); len(ds) != 0 {
				t.Fatalf("other user sees %d devices", len(ds))
			}
		})
		t.Run("get is scoped to the user", func(t *testing.T) {
			d, err := s.GetDevice(ctx, "u1", "d-key")
			noErr(t, err)
			if d.SignCount != 41 || string(d.CredentialID) != "\xca\xfe" || !d.Confirmed {
				t.Fatalf("GetDevice = %+v", d)
			}
			_, err = s.GetDevice(ctx, "u2", "d-key")
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("a name is unique per user", func(t *testing.T) {
			wantErr(t, s.CreateDevice(ctx, totpDevice("u1", "d-x", "phone", t0)), store.ErrConflict)
			noErr(t, s.CreateDevice(ctx, totpDevice("u2", "d-u2-phone", "phone", t0)))
		})
		t.Run("a WebAuthn credential id is unique", func(t *testing.T) {
			dup := key
			dup.ID, dup.UserID, dup.Name = "d-dup", "u2", "clone"
			wantErr(t, s.CreateDevice(ctx, dup), store.ErrConflict)
		})
		t.Run("a device of an unknown user is refused", func(t *testing.T) {
			wantErr(t, s.CreateDevice(ctx, totpDevice("ghost", "d-ghost", "x", t0)), store.ErrNotFound)
		})
		t.Run("confirm", func(t *testing.T) {
			noErr(t, s.ConfirmDevice(ctx, "u1", "d-phone", t0.Add(time.Hour)))
			d, _ := s.GetDevice(ctx, "u1", "d-phone")
			if !d.Confirmed {
				t.Fatal("not confirmed")
			}
			wantErr(t, s.ConfirmDevice(ctx, "u2", "d-phone", t0), store.ErrNotFound)
		})
		t.Run("delete", func(t *testing.T) {
			wantErr(t, s.DeleteDevice(ctx, "u2", "d-phone"), store.ErrNotFound)
			noErr(t, s.CreateDevice(ctx, totpDevice("u1", "d-tmp", "tmp", t0)))
			noErr(t, s.DeleteDevice(ctx, "u1", "d-tmp"))
			wantErr(t, s.DeleteDevice(ctx, "u1", "d-tmp"), store.ErrNotFound)
		})
		t.Run("delete all of a user's", func(t *testing.T) {
			mustUser(t, s, "u3")
			for i := range 3 {
				noErr(t, s.CreateDevice(ctx, totpDevice("u3", fmt.Sprint("d3-", i), fmt.Sprint("n", i), t0)))
			}
			n, err := s.DeleteDevices(ctx, "u3")
			if err != nil || n != 3 {
				t.Fatalf("DeleteDevices = %d, %v", n, err)
			}
			if ds, _ := s.ListDevices(ctx, "u3"); len(ds) != 0 {
				t.Fatalf("%d left", len(ds))
			}
			if d, _ := s.ListDevices(ctx, "u1"); len(d) != 2 {
				t.Fatalf("other users' devices went too: u1 has %d", len(d))
			}
		})
	})
}

func TestAdvanceTOTPStep(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		noErr(t, s.CreateDevice(ctx, totpDevice("u1", "d1", "phone", t0)))
		at := t0.Add(time.Minute)
		for _, tc := range []struct {
			name string
			step int64
			want bool
		}{
			{"first code is accepted", 100, true},
			{"the same step again is a replay", 100, false},
			{"an older step is refused", 99, false},
			{"a later step is accepted", 101, true},
			{"skipping ahead is accepted", 105, true},
			{"going back after skipping is refused", 104, false},
		} {
			ok, err := s.AdvanceTOTPStep(ctx, "d1", tc.step, at)
			if err != nil || ok != tc.want {
				t.Fatalf("%s: AdvanceTOTPStep(%d) = %v, %v; want %v", tc.name, tc.step, ok, err, tc.want)
			}
		}
		d, _ := s.GetDevice(ctx, "u1", "d1")
		if d.LastStep != 105 || !d.LastUsedAt.Equal(us(at)) {
			t.Fatalf("device after = step %d used %v", d.LastStep, d.LastUsedAt)
		}
		_, err := s.AdvanceTOTPStep(ctx, "nope", 1, at)
		wantErr(t, err, store.ErrNotFound)

		t.Run("one of many concurrent verifications of a code wins", func(t *testing.T) {
			wins := race(t, 20, func(int) (bool, error) { return s.AdvanceTOTPStep(ctx, "d1", 200, at) })
			if wins != 1 {
				t.Fatalf("%d winners, want 1", wins)
			}
		})
	})
}

func TestUpdateSignCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		noErr(t, s.CreateDevice(ctx, store.Device{ID: "k", UserID: "u1", Kind: store.DeviceWebAuthn, Name: "key",
			CredentialID: []byte("cred"), Confirmed: true, SignCount: 5, CreatedAt: t0}))
		ok, err := s.UpdateSignCount(ctx, "k", 5, 6, t0)
		if err != nil || !ok {
			t.Fatalf("CAS 5→6 = %v, %v", ok, err)
		}
		ok, err = s.UpdateSignCount(ctx, "k", 5, 7, t0)
		if err != nil || ok {
			t.Fatalf("CAS from a stale 5 = %v, %v; want false", ok, err)
		}
		ok, err = s.UpdateSignCount(ctx, "k", 6, 1<<32-1, t0)
		if err != nil || !ok {
			t.Fatalf("CAS to max uint32 = %v, %v", ok, err)
		}
		d, _ := s.GetDevice(ctx, "u1", "k")
		if d.SignCount != 1<<32-1 {
			t.Fatalf("SignCount = %d", d.SignCount)
		}
		_, err = s.UpdateSignCount(ctx, "nope", 0, 1, t0)
		wantErr(t, err, store.ErrNotFound)

		t.Run("one of many concurrent compare-and-sets wins", func(t *testing.T) {
			wins := race(t, 20, func(i int) (bool, error) { return s.UpdateSignCount(ctx, "k", 1<<32-1, uint32(i), t0) })
			if wins != 1 {
				t.Fatalf("%d winners, want 1", wins)
			}
		})
	})
}
