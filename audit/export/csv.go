package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/record"
)

// Columns are the CSV columns, in order: flattened ECS fields plus the
// chain position. Arrays are joined with "|"; portcullis.details is its JSON
// object.
var Columns = []string{
	"@timestamp",
	"event.id",
	"event.code",
	"event.kind",
	"event.action",
	"event.outcome",
	"event.reason",
	"event.category",
	"event.type",
	"event.duration",
	"user.id",
	"user.name",
	"user.roles",
	"source.ip",
	"portcullis.source_ip_hash",
	"http.request.method",
	"http.response.status_code",
	"http.response.body.bytes",
	"url.path",
	"portcullis.request_id",
	"portcullis.session_id",
	"portcullis.token_id",
	"portcullis.decision_id",
	"portcullis.policy_ids",
	"portcullis.resource.type",
	"portcullis.resource.id",
	"portcullis.details",
	"writer",
	"class",
	"seq",
}

// flatEvent is what the CSV reads of a payload. @timestamp and details stay
// as written: re-formatting them would change what the chain holds.
type flatEvent struct {
	Timestamp  string       `json:"@timestamp"`
	Event      event.Fields `json:"event"`
	User       event.User   `json:"user"`
	Source     event.Source `json:"source"`
	HTTP       flatHTTP     `json:"http"`
	URL        event.URL    `json:"url"`
	Portcullis flatProduct  `json:"portcullis"`
}

type flatHTTP struct {
	Request  event.HTTPRequest `json:"request"`
	Response struct {
		StatusCode int             `json:"status_code"`
		Body       *event.HTTPBody `json:"body"`
	} `json:"response"`
}

type flatProduct struct {
	RequestID    string          `json:"request_id"`
	SessionID    string          `json:"session_id"`
	TokenID      string          `json:"token_id"`
	DecisionID   string          `json:"decision_id"`
	PolicyIDs    []string        `json:"policy_ids"`
	SourceIPHash string          `json:"source_ip_hash"`
	Resource     event.Resource  `json:"resource"`
	Details      json.RawMessage `json:"details"`
}

// csvWriter writes the header with the first row (or at Close for an empty
// export), then one row per record. Each row goes through a reused buffer and
// out in one write, so a refused record writes nothing.
type csvWriter struct {
	out
	row     []string
	rowBuf  bytes.Buffer
	enc     *csv.Writer
	started bool
}

func newCSVWriter(w io.Writer) *csvWriter {
	c := &csvWriter{out: out{w: w}, row: make([]string, len(Columns))}
	c.enc = csv.NewWriter(&c.rowBuf)
	return c
}

func (c *csvWriter) Write(r record.Record) error {
	if err := c.usable(); err != nil {
		return err
	}
	if err := c.fill(r); err != nil {
		return err
	}
	c.rowBuf.Reset()
	if !c.started {
		_ = c.enc.Write(Columns) // into a bytes.Buffer: cannot fail
	}
	for i, v := range c.row {
		c.row[i] = neutralise(v)
	}
	_ = c.enc.Write(c.row)
	c.enc.Flush()
	if err := c.flush(c.rowBuf.Bytes()); err != nil {
		return err
	}
	c.started = true
	return nil
}

func (c *csvWriter) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.err != nil || c.started {
		return c.err
	}
	c.rowBuf.Reset()
	_ = c.enc.Write(Columns)
	c.enc.Flush()
	return c.flush(c.rowBuf.Bytes())
}

// fill sets c.row from r, in Columns order.
func (c *csvWriter) fill(r record.Record) error {
	var scratch bytes.Buffer
	p, err := payload(r, &scratch)
	if err != nil {
		return err
	}
	var e flatEvent
	if err := json.Unmarshal(p, &e); err != nil {
		return payloadError(r, fmt.Sprintf("is not an audit event: %v", err))
	}
	var bodyBytes string
	if b := e.HTTP.Response.Body; b != nil {
		bodyBytes = strconv.FormatInt(b.Bytes, 10)
	}
	details := string(e.Portcullis.Details)
	if details == "null" {
		details = ""
	}
	pc := &e.Portcullis
	row := append(c.row[:0],
		e.Timestamp,
		e.Event.ID,
		e.Event.Code,
		e.Event.Kind,
		e.Event.Action,
		string(e.Event.Outcome),
		e.Event.Reason,
		strings.Join(e.Event.Category, "|"),
		strings.Join(e.Event.Type, "|"),
		optInt(e.Event.Duration),
		e.User.ID,
		e.User.Name,
		strings.Join(e.User.Roles, "|"),
		e.Source.IP,
		pc.SourceIPHash,
		e.HTTP.Request.Method,
		optInt(int64(e.HTTP.Response.StatusCode)),
		bodyBytes,
		e.URL.Path,
		pc.RequestID,
		pc.SessionID,
		pc.TokenID,
		pc.DecisionID,
		strings.Join(pc.PolicyIDs, "|"),
		pc.Resource.Type,
		pc.Resource.ID,
		details,
		r.Writer,
		r.Class,
		strconv.FormatUint(r.Seq, 10),
	)
	if len(row) != len(Columns) {
		panic("audit export: CSV row and Columns disagree") // a programming error
	}
	return nil
}

// optInt leaves a zero (an omitted ECS number) empty.
func optInt(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// neutralise defuses CSV (formula) injection: a spreadsheet runs a cell that
// starts with = + - @ as a formula, and tab or carriage return can hide such
// a start; prefixing a single quote makes it text (OWASP, "CSV Injection").
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
