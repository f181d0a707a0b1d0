package index

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit/record"
)

// selectColumns reads a record. CROSS JOIN makes SQLite keep events as the
// outer loop, so the plan over events is the one it would choose alone, and
// each row finds its chain's names by primary key.
const selectColumns = `SELECT e.id, c.writer, c.class, e.seq, e.ts, e.payload
	FROM events e CROSS JOIN chains c ON c.id = e.chain`

// whereClause is the SQL condition of a filter and its arguments.
//
// Terms that should never drive the choice of index are written with a
// unary "+" (which stops SQLite from using an index for them): the writer's
// chain list would otherwise lead the planner to the (chain, seq) index and a
// sort of every row of that writer, where walking the time index is cheap.
func (f Filter) whereClause() (string, []any) {
	var (
		terms []string
		args  []any
	)
	add := func(term string, a ...any) {
		terms = append(terms, term)
		args = append(args, a...)
	}
	in := func(col string, values []string) string {
		for _, v := range values {
			args = append(args, v)
		}
		return col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(values)), ",") + ")"
	}
	if !f.From.IsZero() {
		add("e.ts >= ?", unixNanos(f.From))
	}
	if !f.To.IsZero() {
		add("e.ts < ?", unixNanos(f.To))
	}
	if len(f.Actions) > 0 {
		terms = append(terms, in("e.action", f.Actions))
	}
	if f.Outcome != "" {
		add("+e.outcome = ?", f.Outcome)
	}
	if len(f.Actors) > 0 {
		terms = append(terms, in("e.actor", f.Actors))
	}
	if len(f.Sources) > 0 {
		ip := in("e.source_ip", f.Sources)
		hash := in("e.source_hash", f.Sources)
		terms = append(terms, "("+ip+" OR "+hash+")")
	}
	if f.Resource != "" {
		add("e.resource = ?", f.Resource)
	}
	if f.RequestID != "" {
		add("e.request_id = ?", f.RequestID)
	}
	if f.Text != "" {
		// LIKE is case-insensitive for ASCII letters; % _ and the escape
		// itself are matched literally.
		add(`e.payload LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(f.Text)+"%")
	}
	if f.Writer != "" {
		add("+e.chain IN (SELECT id FROM chains WHERE writer = ?)", f.Writer)
	}
	if len(terms) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(terms, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// query implements Query: keyset pagination on (ts, id), newest first.
func (ix *Index) query(ctx context.Context, f Filter, cursor string, limit int) (Result, error) {
	if err := f.validate(); err != nil {
		return Result{}, err
	}
	limit = clampLimit(limit)
	where, args := f.whereClause()
	if cursor != "" {
		c, err := decodeCursor(cursor)
		if err != nil {
			return Result{}, err
		}
		// Spelled out rather than as the row value (ts, id) < (?, ?), which
		// SQLite does not use to bound an index range on ts.
		cond := "(e.ts < ? OR (e.ts = ? AND e.id < ?))"
		args = append(args, c.ts, c.ts, c.id)
		if where == "" {
			where = " WHERE " + cond
		} else {
			where += " AND " + cond
		}
	}
	args = append(args, limit+1)
	rows, err := ix.reads.QueryContext(ctx, selectColumns+where+" ORDER BY e.ts DESC, e.id DESC LIMIT ?", args...)
	if err != nil {
		return Result{}, fmt.Errorf("audit index: query: %w", err)
	}
	defer rows.Close()
	var (
		res  Result
		last pageCursor
	)
	for rows.Next() {
		if len(res.Records) == limit {
			res.Next = last.String()
			break
		}
		rec, c, err := scanRecord(rows)
		if err != nil {
			return Result{}, err
		}
		res.Records = append(res.Records, rec)
		last = c
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("audit index: query: %w", err)
	}
	return res, nil
}

// scan implements Scan: one statement, rows streamed oldest first.
func (ix *Index) scan(ctx context.Context, f Filter, fn func(record.Record) error) error {
	if err := f.validate(); err != nil {
		return err
	}
	where, args := f.whereClause()
	rows, err := ix.reads.QueryContext(ctx, selectColumns+where+" ORDER BY e.ts, e.id", args...)
	if err != nil {
		return fmt.Errorf("audit index: scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, _, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit index: scan: %w", err)
	}
	return nil
}

// after implements After.
func (ix *Index) after(ctx context.Context, cursor int64, limit int) ([]record.Record, error) {
	rows, err := ix.reads.QueryContext(ctx, selectColumns+" WHERE e.id > ? ORDER BY e.id LIMIT ?", cursor, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("audit index: after: %w", err)
	}
	defer rows.Close()
	var out []record.Record
	for rows.Next() {
		rec, _, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit index: after: %w", err)
	}
	return out, nil
}

// scanRecord reads one row of selectColumns.
func scanRecord(rows *sql.Rows) (record.Record, pageCursor, error) {
	var (
		rec     record.Record
		c       pageCursor
		seq     int64
		payload []byte
	)
	if err := rows.Scan(&c.id, &rec.Writer, &rec.Class, &seq, &c.ts, &payload); err != nil {
		return record.Record{}, c, fmt.Errorf("audit index: reading a row: %w", err)
	}
	rec.Cursor, rec.Seq, rec.Time, rec.Event = c.id, uint64(seq), time.Unix(0, c.ts).UTC(), payload
	return rec, c, nil
}
