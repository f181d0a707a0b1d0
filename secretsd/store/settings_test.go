package store_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		_, err := s.Setting(ctx, "backup_code_key")
		wantErr(t, err, store.ErrNotFound)

		got, err := s.InitSetting(ctx, "backup_code_key", []byte("first"))
		if err != nil || string(got) != "first" {
			t.Fatalf("InitSetting = %q, %v", got, err)
		}
		got, err = s.InitSetting(ctx, "backup_code_key", []byte("second"))
		if err != nil || string(got) != "first" {
			t.Fatalf("second InitSetting = %q, %v; want the first value kept", got, err)
		}
		if got, _ := s.Setting(ctx, "backup_code_key"); string(got) != "first" {
			t.Fatalf("Setting = %q", got)
		}

		t.Run("concurrent nodes agree on one value", func(t *testing.T) {
			const n = 20
			vals := make([][]byte, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					v, err := s.InitSetting(ctx, "raced", []byte(fmt.Sprint("node-", i)))
					if err != nil {
						t.Error(err)
					}
					vals[i] = v
				})
			}
			wg.Wait()
			for _, v := range vals {
				if !bytes.Equal(v, vals[0]) || len(v) == 0 {
					t.Fatalf("nodes got different values: %q", vals)
				}
			}
		})
	})
}
