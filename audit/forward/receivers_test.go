package forward_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// positionKey names one event by its chain position.
type positionKey struct {
	writer, class string
	seq           uint64
}

// hecReceiver checks requests the way Splunk's HTTP Event Collector does and
// records every event it accepts, duplicates included.
type hecReceiver struct {
	*httptest.Server
	t     testing.TB
	token string

	mu       sync.Mutex
	received []positionKey
	// fail answers the next requests with this status after (or instead of) accepting them.
	failStatus   int
	failRequests int
	failAccepted bool   // the events went in, but the answer says otherwise (a lost answer)
	failBody     string // the failure's body, default Splunk's "Server is busy"
	requests     int
}

func newHECReceiver(t testing.TB, token string) *hecReceiver {
	h := &hecReceiver{t: t, token: token}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

func hecReply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (h *hecReceiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/services/collector/event" {
		hecReply(w, http.StatusNotFound, `{"text":"The requested URL was not found on this server.","code":404}`)
		return
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		hecReply(w, http.StatusUnauthorized, `{"text":"Token is required","code":2}`)
		return
	}
	if auth != "Splunk "+h.token {
		hecReply(w, http.StatusForbidden, `{"text":"Invalid token","code":4}`)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		hecReply(w, http.StatusBadRequest, `{"text":"Invalid data format","code":6}`)
		return
	}
	var got []positionKey
	dec := json.NewDecoder(bytes.NewReader(body))
	for i := 0; ; i++ {
		var env map[string]json.RawMessage
		if err := dec.Decode(&env); err == io.EOF {
			if i == 0 {
				hecReply(w, http.StatusBadRequest, `{"text":"No data","code":5}`)
				return
			}
			break
		} else if err != nil {
			hecReply(w, http.StatusBadRequest, fmt.Sprintf(`{"text":"Invalid data format","code":6,"invalid-event-number":%d}`, i))
			return
		}
		if why := checkEnvelope(env); why != "" {
			h.t.Errorf("HEC envelope %d: %s", i, why)
			hecReply(w, http.StatusBadRequest, fmt.Sprintf(`{"text":"Invalid data format","code":6,"invalid-event-number":%d}`, i))
			return
		}
		var fields map[string]string
		json.Unmarshal(env["fields"], &fields)
		seq, _ := strconv.ParseUint(fields["portcullis_seq"], 10, 64)
		got = append(got, positionKey{fields["portcullis_writer"], fields["portcullis_class"], seq})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	if h.failRequests > 0 {
		h.failRequests--
		if h.failAccepted {
			h.received = append(h.received, got...)
		}
		body := h.failBody
		if body == "" {
			body = `{"text":"Server is busy","code":9}`
		}
		hecReply(w, h.failStatus, body)
		return
	}
	h.received = append(h.received, got...)
	hecReply(w, http.StatusOK, `{"text":"Success","code":0}`)
}

// checkEnvelope applies HEC's rules for one event envelope.
func checkEnvelope(env map[string]json.RawMessage) string {
	for k := range env {
		switch k {
		case "time", "host", "source", "sourcetype", "index", "fields", "event":
		default:
			return "unknown key " + k
		}
	}
	if t, ok := env["time"]; ok {
		var f float64
		if json.Unmarshal(t, &f) != nil {
			return "time is not a number: " + string(t)
		}
	}
	for _, k := range []string{"host", "source", "sourcetype", "index"} {
		if v, ok := env[k]; ok {
			var s string
			if json.Unmarshal(v, &s) != nil || s == "" {
				return k + " is not a non-empty string"
			}
		}
	}
	var fields map[string]string
	if v, ok := env["fields"]; ok && json.Unmarshal(v, &fields) != nil {
		return "fields is not an object of strings"
	}
	var ev map[string]any
	if json.Unmarshal(env["event"], &ev) != nil || len(ev) == 0 {
		return "event is missing or not an object"
	}
	return ""
}

func (h *hecReceiver) failNext(n, status int, accepted bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failRequests, h.failStatus, h.failAccepted = n, status, accepted
}

func (h *hecReceiver) events() []positionKey {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]positionKey(nil), h.received...)
}

// esReceiver checks requests the way Elasticsearch's _bulk does, stores each
// created document once, answers 409 for an _id it has, and can be told to
// fail whole requests or single items.
type esReceiver struct {
	*httptest.Server
	t      testing.TB
	apiKey string

	mu          sync.Mutex
	docs        map[string]json.RawMessage // _id → document
	indexes     map[string]string          // _id → _index
	creates     int                        // create actions seen
	failStatus  int                        // whole-request failure for the next failRequests
	failReqs    int
	failStored  bool            // the failed request's documents went in (a lost answer)
	itemFailure map[string]int  // _id → item status to answer once (429, 500)
	itemsFailed map[string]bool // which of them were answered
}

func newESReceiver(t testing.TB, apiKey string) *esReceiver {
	e := &esReceiver{t: t, apiKey: apiKey, docs: map[string]json.RawMessage{}, indexes: map[string]string{},
		itemFailure: map[string]int{}, itemsFailed: map[string]bool{}}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.Close)
	return e
}

func esReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func esError(w http.ResponseWriter, status int, typ, reason string) {
	esReply(w, status, map[string]any{"error": map[string]any{"type": typ, "reason": reason}, "status": status})
}

type bulkAction struct {
	Create *struct {
		Index *string `json:"_index"`
		ID    *string `json:"_id"`
	} `json:"create"`
}

func (e *esReceiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/_bulk" {
		esError(w, http.StatusNotFound, "no_handler", "no handler for "+r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		esError(w, http.StatusNotAcceptable, "media_type_header_exception", "Content-Type ["+ct+"] is not supported")
		return
	}
	if e.apiKey != "" && r.Header.Get("Authorization") != "ApiKey "+e.apiKey {
		esError(w, http.StatusUnauthorized, "security_exception", "unable to authenticate with provided credentials")
		return
	}
	body, _ := io.ReadAll(r.Body)
	if len(body) == 0 || body[len(body)-1] != '\n' {
		e.t.Errorf("_bulk body does not end with a newline")
		esError(w, http.StatusBadRequest, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
		return
	}
	type item struct {
		index, id string
		doc       json.RawMessage
	}
	var items []item
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for line := 0; sc.Scan(); line++ {
		var a bulkAction
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil || a.Create == nil || a.Create.Index == nil || a.Create.ID == nil || *a.Create.ID == "" {
			e.t.Errorf("_bulk line %d is not a create action: %s", line, sc.Text())
			esError(w, http.StatusBadRequest, "illegal_argument_exception", "Malformed action/metadata line ["+strconv.Itoa(line+1)+"]")
			return
		}
		line++
		if !sc.Scan() {
			e.t.Errorf("_bulk action without a document")
			esError(w, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
			return
		}
		var doc map[string]any
		if json.Unmarshal(sc.Bytes(), &doc) != nil {
			e.t.Errorf("_bulk line %d is not a document: %s", line, sc.Text())
			esError(w, http.StatusBadRequest, "document_parsing_exception", "failed to parse")
			return
		}
		items = append(items, item{*a.Create.Index, *a.Create.ID, append(json.RawMessage(nil), sc.Bytes()...)})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	failWhole := e.failReqs > 0
	if failWhole {
		e.failReqs--
		if !e.failStored {
			esError(w, e.failStatus, "cluster_block_exception", "index is read-only")
			return
		}
	}
	resp := map[string]any{"took": 3, "errors": false}
	var out []map[string]any
	errorsSeen := false
	for _, it := range items {
		e.creates++
		res := map[string]any{"_index": it.index, "_id": it.id}
		if st, ok := e.itemFailure[it.id]; ok && !e.itemsFailed[it.id] {
			e.itemsFailed[it.id] = true
			res["status"] = st
			res["error"] = map[string]any{"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"}
			errorsSeen = true
		} else if _, dup := e.docs[it.id]; dup {
			res["status"] = http.StatusConflict
			res["error"] = map[string]any{"type": "version_conflict_engine_exception", "reason": "[" + it.id + "]: version conflict, document already exists (current version [1])"}
			errorsSeen = true
		} else {
			e.docs[it.id] = it.doc
			e.indexes[it.id] = it.index
			res["status"] = http.StatusCreated
			res["result"] = "created"
		}
		out = append(out, map[string]any{"create": res})
	}
	if failWhole { // stored, but the answer is lost
		esError(w, e.failStatus, "node_disconnected_exception", "node left")
		return
	}
	resp["errors"] = errorsSeen
	resp["items"] = out
	esReply(w, http.StatusOK, resp)
}

func (e *esReceiver) failNext(n, status int, stored bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failReqs, e.failStatus, e.failStored = n, status, stored
}

func (e *esReceiver) failItem(id string, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.itemFailure[id] = status
}

func (e *esReceiver) stored() (docs map[string]json.RawMessage, indexes map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	docs = make(map[string]json.RawMessage, len(e.docs))
	for k, v := range e.docs {
		docs[k] = v
	}
	indexes = make(map[string]string, len(e.indexes))
	for k, v := range e.indexes {
		indexes[k] = v
	}
	return docs, indexes
}
