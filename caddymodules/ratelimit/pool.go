package ratelimit

import (
	"fmt"

	"github.com/caddyserver/caddy/v2"

	rl "github.com/portcullis/portcullis/internal/ratelimit"
)

// tables keeps each zone's in-process buckets across config reloads: Caddy
// provisions the new config before it cleans up the old one, so a zone whose
// name and limit did not change keeps counting where it was.
var tables = caddy.NewUsagePool()

type pooledTable struct{ *rl.Table }

func (p pooledTable) Destruct() error { return p.Close() }

// tableKey identifies a zone's state: its name and everything that shapes
// its buckets. A changed limit starts from fresh buckets.
func tableKey(name string, l rl.Limit, maxKeys int) string {
	return fmt.Sprintf("%s|%d|%d|%d|%d", name, l.Events, l.Window, l.Burst, maxKeys)
}

func acquireTable(key string, l rl.Limit, maxKeys int) (*rl.Table, error) {
	v, _, err := tables.LoadOrNew(key, func() (caddy.Destructor, error) {
		t := rl.NewTable(l, maxKeys)
		t.StartSweeper(rl.DefaultSweepInterval, nowFunc)
		return pooledTable{t}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(pooledTable).Table, nil
}
