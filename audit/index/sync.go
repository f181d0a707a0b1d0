package index

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
)

// batchRecords is how many records one write transaction holds: large
// enough that commits do not dominate ingest, small enough that readers see
// progress of a long catch-up and the WAL stays modest.
const batchRecords = 8192

// sync is Sync with syncMu held.
func (ix *Index) sync(ctx context.Context) (SyncReport, error) {
	var rep SyncReport
	writers, err := listWriters(ix.opts.Root)
	if err != nil {
		return rep, err
	}
	pinned, err := ix.TrustedKeys(ctx)
	if err != nil {
		return rep, err
	}
	var errs []error
	// Chains of writers in trouble are left as they are, rows included.
	untouchable := map[string]bool{}
	seen := map[chainName]bool{}
	for _, w := range writers {
		if !w.hasKey {
			if pinned[w.name] != nil {
				errs = append(errs, fmt.Errorf("audit index: writer %s: %s is missing", w.name, publicKeyFile))
				untouchable[w.name] = true
			}
			continue // not a writer yet: the trail writes its key on open
		}
		if err := ix.pinKey(ctx, w.name, pinned[w.name]); err != nil {
			errs = append(errs, err)
			untouchable[w.name] = true
			continue
		}
		for _, class := range w.classes {
			seen[chainName{w.name, class}] = true
			added, removed, err := ix.syncChain(ctx, w.name, class)
			rep.Added += added
			rep.Removed += removed
			if err != nil {
				errs = append(errs, err)
			}
			if ctx.Err() != nil {
				return rep, errors.Join(append(errs, ctx.Err())...)
			}
		}
	}
	// Chains whose directory is gone: every segment was deleted.
	known, err := ix.knownChains(ctx)
	if err != nil {
		return rep, errors.Join(append(errs, err)...)
	}
	for _, c := range known {
		if seen[c] || untouchable[c.writer] {
			continue
		}
		added, removed, err := ix.syncChain(ctx, c.writer, c.class)
		rep.Added += added
		rep.Removed += removed
		if err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

// pinKey pins the writer's key on first sight and checks it afterwards.
func (ix *Index) pinKey(ctx context.Context, writer string, pinned ed25519.PublicKey) error {
	key, err := readPublicKey(ix.opts.Root, writer)
	if err != nil {
		return err
	}
	if pinned != nil {
		if !pinned.Equal(key) {
			return fmt.Errorf("%w: writer %s: %s differs from the key pinned when it was first indexed; its chains are no longer indexed", ErrKeyChanged, writer, publicKeyFile)
		}
		return nil
	}
	_, err = ix.writes.ExecContext(ctx, `INSERT INTO writers (writer, public_key, pinned_at) VALUES (?, ?, ?)`,
		writer, []byte(key), ix.opts.Clock.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("audit index: writer %s: pinning its key: %w", writer, err)
	}
	return nil
}

// knownChains lists the chains the index has rows or positions for.
func (ix *Index) knownChains(ctx context.Context) ([]chainName, error) {
	rows, err := ix.writes.QueryContext(ctx, `SELECT writer, class FROM chains`)
	if err != nil {
		return nil, fmt.Errorf("audit index: listing chains: %w", err)
	}
	defer rows.Close()
	var out []chainName
	for rows.Next() {
		var c chainName
		if err := rows.Scan(&c.writer, &c.class); err != nil {
			return nil, fmt.Errorf("audit index: listing chains: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// segmentState is what the index knows of one segment.
type segmentState struct {
	num               int64
	offset, lines     int64
	firstSeq, lastSeq uint64
}

// syncChain brings one chain up to date with its files.
func (ix *Index) syncChain(ctx context.Context, writer, class string) (added, removed int, err error) {
	chainID, err := ix.chainID(ctx, writer, class)
	if err != nil {
		return 0, 0, err
	}
	files, err := listSegments(segmentDir(ix.opts.Root, writer, class))
	if err != nil {
		return 0, 0, err
	}
	states, err := ix.segmentStates(ctx, chainID)
	if err != nil {
		return 0, 0, err
	}
	onDisk := map[int64]bool{}
	for _, f := range files {
		onDisk[f.num] = true
	}
	var gone []segmentState
	for _, s := range states {
		if !onDisk[s.num] {
			gone = append(gone, s)
		}
	}
	if removed, err = ix.dropSegments(ctx, chainID, gone); err != nil {
		return 0, removed, fmt.Errorf("audit index: chain %s/%s: %w", writer, class, err)
	}
	for i, f := range files {
		st, known := states[f.num]
		if !known {
			st = segmentState{num: f.num}
		}
		if f.size == st.offset {
			continue
		}
		r := segmentRead{chain: chainID, path: segmentPath(ix.opts.Root, writer, class, f.num), state: st,
			sealed: i < len(files)-1}
		if f.size < st.offset {
			// Shorter than what was indexed: the file was replaced (a
			// restore, or tampering that Verify will name). The index
			// follows the files: read it again from the start.
			r.reset = true
		}
		n, gone, err := ix.readSegment(ctx, r)
		added += n
		removed += gone
		if err != nil {
			return added, removed, err // later segments wait until this one is readable
		}
	}
	return added, removed, nil
}

func segmentDir(root, writer, class string) string {
	return root + string(os.PathSeparator) + writer + string(os.PathSeparator) + class
}

// chainID returns the id of the chain, creating its row.
func (ix *Index) chainID(ctx context.Context, writer, class string) (int64, error) {
	var id int64
	err := ix.writes.QueryRowContext(ctx,
		`INSERT INTO chains (writer, class) VALUES (?, ?)
		 ON CONFLICT (writer, class) DO UPDATE SET writer = excluded.writer
		 RETURNING id`, writer, class).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("audit index: chain %s/%s: %w", writer, class, err)
	}
	return id, nil
}

func (ix *Index) segmentStates(ctx context.Context, chainID int64) (map[int64]segmentState, error) {
	rows, err := ix.writes.QueryContext(ctx,
		`SELECT num, offset, lines, first_seq, last_seq FROM segments WHERE chain = ?`, chainID)
	if err != nil {
		return nil, fmt.Errorf("audit index: reading segment positions: %w", err)
	}
	defer rows.Close()
	out := map[int64]segmentState{}
	for rows.Next() {
		var s segmentState
		if err := rows.Scan(&s.num, &s.offset, &s.lines, &s.firstSeq, &s.lastSeq); err != nil {
			return nil, fmt.Errorf("audit index: reading segment positions: %w", err)
		}
		out[s.num] = s
	}
	return out, rows.Err()
}

// dropSegments deletes the rows and positions of segments no longer on disk.
func (ix *Index) dropSegments(ctx context.Context, chainID int64, gone []segmentState) (int, error) {
	if len(gone) == 0 {
		return 0, nil
	}
	tx, err := ix.writes.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	removed := 0
	for _, s := range gone {
		n, err := deleteSegmentRows(ctx, tx, chainID, s)
		if err != nil {
			return 0, err
		}
		removed += n
		if _, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE chain = ? AND num = ?`, chainID, s.num); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return removed, nil
}

func deleteSegmentRows(ctx context.Context, tx *sql.Tx, chainID int64, s segmentState) (int, error) {
	if s.lastSeq == 0 {
		return 0, nil // no record indexed from it
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE chain = ? AND seq BETWEEN ? AND ?`,
		chainID, s.firstSeq, s.lastSeq)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// segmentRead is one pass over a segment from its stored position.
type segmentRead struct {
	chain  int64
	path   string
	state  segmentState
	sealed bool // a later segment exists, so this one is complete
	reset  bool // drop what was indexed from it and read it from the start
}

// readSegment indexes the complete lines after r.state.offset, committing
// the position with the rows every batchRecords records. It stops before a
// torn last line (left for the next Sync) and at a malformed line, which it
// names by file:line.
func (ix *Index) readSegment(ctx context.Context, r segmentRead) (added, removed int, err error) {
	f, err := os.Open(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil // deleted since it was listed: the next Sync drops it
	}
	if err != nil {
		return 0, 0, fmt.Errorf("audit index: %w", err)
	}
	defer f.Close()

	st := r.state
	b := newBatch(ix, r.chain, &st)
	defer b.rollback()
	if err := b.begin(ctx); err != nil {
		return 0, 0, err
	}
	if r.reset {
		if removed, err = deleteSegmentRows(ctx, b.tx, r.chain, st); err != nil {
			return 0, 0, fmt.Errorf("audit index: %s: %w", r.path, err)
		}
		st = segmentState{num: st.num}
	}
	if _, err := f.Seek(st.offset, io.SeekStart); err != nil {
		return 0, removed, fmt.Errorf("audit index: %w", err)
	}
	stop := make(chan struct{})
	defer close(stop)
	for lines := range parseLines(f, stop) {
		for _, l := range lines {
			switch {
			case l.readErr != nil:
				return b.added, removed, errors.Join(fmt.Errorf("audit index: %s: %w", r.path, l.readErr), b.commit(ctx))
			case !l.complete:
				if l.size > 0 && r.sealed {
					err = fmt.Errorf("audit index: %s:%d: the segment ends in the middle of a line although a later segment exists", r.path, st.lines+1)
				}
				return b.added, removed, errors.Join(err, b.commit(ctx))
			}
			perr := l.err
			if perr == nil && l.kind == lineRecord {
				perr = b.insert(ctx, &l.rec)
			}
			if perr != nil {
				// Keep what came before; the chain waits at this line.
				return b.added, removed, errors.Join(fmt.Errorf("audit index: %s:%d: %w", r.path, st.lines+1, perr), b.commit(ctx))
			}
			st.offset += l.size
			st.lines++
			if b.pending >= batchRecords {
				if err := b.commit(ctx); err != nil {
					return b.added, removed, err
				}
				if err := b.begin(ctx); err != nil {
					return b.added, removed, err
				}
			}
		}
	}
	// parseLines always ends with an incomplete line or an error.
	return b.added, removed, errors.New("audit index: internal error: segment reader ended early")
}

// parsedLine is one line of a segment, parsed.
type parsedLine struct {
	size     int64 // bytes, with the "\n"
	complete bool  // false for the bytes after the last "\n" (none at a clean end)
	kind     lineKind
	rec      indexedRecord
	err      error // the line does not parse
	readErr  error // reading the file failed
}

// linesPerSend batches the hand-off between the two goroutines.
const linesPerSend = 256

// parseLines reads and parses the lines of f on a goroutine of its own, so
// JSON decoding overlaps the SQLite inserts . The
// last line sent is incomplete or carries readErr; a line that does not
// parse is the last complete one sent. It stops early when stop is closed.
func parseLines(f io.Reader, stop <-chan struct{}) <-chan []parsedLine {
	out := make(chan []parsedLine, 4)
	go func() {
		defer close(out)
		lr := lineReader{r: bufio.NewReaderSize(f, 1<<20)}
		batch := make([]parsedLine, 0, linesPerSend)
		send := func() bool {
			select {
			case out <- batch:
				batch = make([]parsedLine, 0, linesPerSend)
				return true
			case <-stop:
				return false
			}
		}
		for {
			line, complete, err := lr.next()
			l := parsedLine{size: int64(len(line)), complete: complete, readErr: err}
			if complete && err == nil {
				l.kind, l.rec, l.err = parseLine(bytes.TrimSuffix(line, []byte{'\n'}))
			}
			batch = append(batch, l)
			last := !complete || err != nil || l.err != nil
			if last || len(batch) == linesPerSend {
				if !send() || last {
					return
				}
			}
		}
	}()
	return out
}

// lineReader returns whole lines, however long.
type lineReader struct {
	r   *bufio.Reader
	buf []byte
}

// next returns the next line with its "\n" (complete) or the bytes before
// the end of the file (not complete; empty at a clean end). The line is
// valid until the next call.
func (l *lineReader) next() (line []byte, complete bool, err error) {
	s, err := l.r.ReadSlice('\n')
	if err == nil {
		return s, true, nil
	}
	l.buf = append(l.buf[:0], s...)
	for err == bufio.ErrBufferFull {
		s, err = l.r.ReadSlice('\n')
		l.buf = append(l.buf, s...)
	}
	switch err {
	case nil:
		return l.buf, true, nil
	case io.EOF:
		return l.buf, false, nil
	}
	return nil, false, err
}
