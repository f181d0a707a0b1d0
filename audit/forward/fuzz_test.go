package forward_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/forward"
)

// FuzzHECResponse: any answer is parsed without panic, and only a 200 with
// code 0 counts as delivered.
func FuzzHECResponse(f *testing.F) {
	f.Add(200, []byte(`{"text":"Success","code":0}`))
	f.Add(200, []byte(`{"text":"Success","code":0,"ackId":7}`))
	f.Add(403, []byte(`{"text":"Invalid token","code":4}`))
	f.Add(400, []byte(`{"text":"Invalid data format","code":6,"invalid-event-number":3}`))
	f.Add(503, []byte(`{"text":"Server is busy","code":9}`))
	f.Add(200, []byte(`<html>proxy</html>`))
	f.Add(200, []byte(`{"text":"Success"}`))
	f.Add(200, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := forward.ParseHECResponse(status, body)
		if err == nil && status != 200 {
			t.Fatalf("HTTP %d accepted", status)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error spans lines: %q", err)
		}
	})
}

// FuzzBulkResponse: any answer is parsed without panic; a batch counts as
// delivered only on 200 with one item per event.
func FuzzBulkResponse(f *testing.F) {
	f.Add(200, []byte(`{"took":3,"errors":false,"items":[{"create":{"_index":"a","_id":"w-c-1","status":201}},{"create":{"_id":"w-c-2","status":201}}]}`), 2)
	f.Add(200, []byte(`{"took":3,"errors":true,"items":[{"create":{"_id":"w-c-1","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},{"create":{"_id":"w-c-2","status":429,"error":{"type":"es_rejected_execution_exception"}}}]}`), 2)
	f.Add(401, []byte(`{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}`), 1)
	f.Add(413, []byte(`{"error":"Request Entity Too Large"}`), 1)
	f.Add(200, []byte(`{"errors":false,"items":[]}`), 1)
	f.Add(200, []byte(`{"errors":false,"items":[{"index":{"_id":"w-c-1","status":201}}]}`), 1)
	f.Add(200, []byte(`not json`), 0)
	f.Fuzz(func(t *testing.T, status int, body []byte, n int) {
		n = min(max(n, 0), 64)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("w-c-%d", i+1)
		}
		err := forward.ParseBulkResponse(status, body, ids)
		if err == nil && status != 200 {
			t.Fatalf("HTTP %d accepted", status)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error spans lines: %q", err)
		}
	})
}

// FuzzCursorFile: a cursor file either parses to what Save would write for
// that number, or is an error.
func FuzzCursorFile(f *testing.F) {
	for _, s := range []string{"0\n", "1234\n", "", "12", "-1\n", "9223372036854775807\n", "9223372036854775808\n", "+1\n", "01\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := forward.ParseCursor(b)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("negative cursor %d from %q", n, b)
		}
		if fmt.Sprintf("%d\n", n) != strings.TrimLeft(string(b), "0") && !(n == 0 && strings.Trim(string(b), "0") == "\n") {
			t.Fatalf("%q parsed as %d", b, n)
		}
	})
}
