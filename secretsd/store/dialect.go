package store

import (
	"strconv"
	"strings"
	"time"
)

// dialect is the seam between SQLite and PostgreSQL. Queries are written once
// with "?" placeholders and the few things that differ are here: placeholder
// syntax and how a time is handed to the driver. Both databases understand
// ON CONFLICT, RETURNING and partial indexes, so the SQL itself is shared;
// the DDL lives in per-dialect migration files.
type dialect struct {
	name string
	// numbered placeholders ($1, $2, ...) instead of "?".
	numbered bool
	// unixMicros stores times as INTEGER microseconds since the epoch
	// (SQLite has no time type; integers compare and sort exactly) rather
	// than as TIMESTAMPTZ.
	unixMicros bool
	// prepare caches prepared statements (see stmtCache).
	prepare bool
	// oneWriter lets one write (statement or transaction) at a time reach
	// the database (see writeSlot).
	oneWriter bool
}

var (
	sqliteDialect   = dialect{name: DriverSQLite, unixMicros: true, prepare: true, oneWriter: true}
	postgresDialect = dialect{name: DriverPostgres, numbered: true}
)

// rebind rewrites the "?" placeholders of q for the dialect. Queries in this
// package never hold a literal "?".
func (d dialect) rebind(q string) string {
	if !d.numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// time converts t to the column value: UTC, truncated to the microsecond
// that both databases keep.
func (d dialect) time(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.unixMicros {
		return t.UnixMicro()
	}
	return t
}

// optTime is time for a nullable column: the zero time is NULL.
func (d dialect) optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.time(t)
}
