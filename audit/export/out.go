package export

import (
	"fmt"
	"io"

	"github.com/portcullis/portcullis/audit/record"
)

// out is the underlying writer with the state every format shares: one
// reusable buffer (so memory stays constant), a sticky error, closed.
type out struct {
	w      io.Writer
	buf    []byte
	err    error
	closed bool
}

// usable reports why nothing more may be written, if so.
func (o *out) usable() error {
	if o.closed {
		return ErrClosed
	}
	return o.err
}

// flush writes b in one call, so a refused record never leaves half a line.
func (o *out) flush(b []byte) error {
	if _, err := o.w.Write(b); err != nil {
		o.err = fmt.Errorf("audit export: writing: %w", err)
		return o.err
	}
	return nil
}

// linesWriter writes one line per record: JSONL, HEC and ECS.
type linesWriter struct {
	out
	line func(dst []byte, r record.Record) ([]byte, error)
}

func (l *linesWriter) Write(r record.Record) error {
	if err := l.usable(); err != nil {
		return err
	}
	b, err := l.line(l.buf[:0], r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.buf = b
	return l.flush(b)
}

func (l *linesWriter) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	return l.err
}

// arrayWriter writes one JSON array: "[", the record objects separated by
// ",\n", "]". The opening bracket goes out with the first record, so a
// refused first record leaves nothing written.
type arrayWriter struct {
	out
	n int
}

func (a *arrayWriter) Write(r record.Record) error {
	if err := a.usable(); err != nil {
		return err
	}
	sep := byte(',')
	if a.n == 0 {
		sep = '['
	}
	b, err := appendRecordObject(append(a.buf[:0], sep, '\n'), r)
	if err != nil {
		return err
	}
	a.buf = b
	if err := a.flush(b); err != nil {
		return err
	}
	a.n++
	return nil
}

func (a *arrayWriter) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if a.err != nil {
		return a.err
	}
	if a.n == 0 {
		return a.flush([]byte("[]\n"))
	}
	return a.flush([]byte("\n]\n"))
}
