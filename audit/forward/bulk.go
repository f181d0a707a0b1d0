package forward

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/portcullis/portcullis/audit/export"
	"github.com/portcullis/portcullis/audit/record"
)

// maxIDBytes is Elasticsearch's limit on a document _id.
const maxIDBytes = 512

// bulk speaks Elasticsearch/OpenSearch _bulk: for each event a "create"
// action with a deterministic _id, then the ECS document. "create" of an _id
// that exists fails with 409 and leaves the first copy: redelivery after a
// lost answer is idempotent, so the index holds each event exactly once.
type bulk struct {
	apiKey string
	index  []byte // the index as a JSON string
}

func newBulk(apiKey, index string) bulk {
	q, _ := json.Marshal(index)
	return bulk{apiKey: apiKey, index: q}
}

// DocumentID is the Elasticsearch _id of r: its chain position, unique in
// the trail and the same at every delivery.
func DocumentID(r record.Record) string {
	return r.Writer + "-" + r.Class + "-" + strconv.FormatUint(r.Seq, 10)
}

func (b bulk) header(hdr http.Header) {
	hdr.Set("Content-Type", "application/x-ndjson")
	if b.apiKey != "" {
		hdr.Set("Authorization", "ApiKey "+b.apiKey)
	}
}

func (b bulk) encode(dst []byte, recs []record.Record) ([]byte, error) {
	for _, r := range recs {
		id := DocumentID(r)
		if len(id) > maxIDBytes {
			return dst, fmt.Errorf("record %s/%s#%d: document id longer than %d bytes", r.Writer, r.Class, r.Seq, maxIDBytes)
		}
		qid, _ := json.Marshal(id)
		dst = append(dst, `{"create":{"_index":`...)
		dst = append(dst, b.index...)
		dst = append(dst, `,"_id":`...)
		dst = append(dst, qid...)
		dst = append(dst, "}}\n"...)
		var err error
		if dst, err = export.AppendECS(dst, r); err != nil {
			return dst, err
		}
		dst = append(dst, '\n') // _bulk requires the final newline too
	}
	return dst, nil
}

func (b bulk) verdict(status int, body []byte, recs []record.Record) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = DocumentID(r)
	}
	return parseBulkResponse(status, body, ids)
}

type bulkItem struct {
	ID     string `json:"_id"`
	Status int    `json:"status"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// parseBulkResponse accepts the batch whose documents ids (in order) are all
// stored: each item 2xx, or 409 (that _id is there already, from an earlier
// delivery). Any other item status (429 rejected, 400 mapping error, 500)
// fails the whole batch, which is sent again; the 409s then cover what went in.
func parseBulkResponse(status int, body []byte, ids []string) error {
	if status != http.StatusOK {
		var e struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
			return fmt.Errorf("HTTP %d: %s", status, esError(e.Error))
		}
		return fmt.Errorf("HTTP %d: %s", status, excerpt(body))
	}
	var r struct {
		Errors *bool                 `json:"errors"`
		Items  []map[string]bulkItem `json:"items"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Errors == nil {
		return fmt.Errorf("HTTP %d, not a _bulk response: %s", status, excerpt(body))
	}
	if len(r.Items) != len(ids) {
		return fmt.Errorf("_bulk answered %d items for %d events", len(r.Items), len(ids))
	}
	failed, first := 0, ""
	for i, m := range r.Items {
		it, ok := m["create"]
		if len(m) != 1 || !ok {
			return fmt.Errorf("_bulk item %d is not the answer to a create", i)
		}
		if it.ID != "" && it.ID != ids[i] {
			return fmt.Errorf("_bulk item %d is about _id %s, not %s", i, clean(it.ID), ids[i])
		}
		if it.Status >= 200 && it.Status < 300 || it.Status == http.StatusConflict {
			continue
		}
		failed++
		if first == "" {
			first = fmt.Sprintf("_id %s: status %d", ids[i], it.Status)
			if it.Error != nil {
				first += fmt.Sprintf(": %s: %s", clean(it.Error.Type), clean(it.Error.Reason))
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("_bulk refused %d of %d events; first %s", failed, len(ids), first)
	}
	return nil
}

// esError renders Elasticsearch's error: an object with type and reason, or a string.
func esError(raw json.RawMessage) string {
	var e struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(raw, &e) == nil && (e.Type != "" || e.Reason != "") {
		return clean(e.Type) + ": " + clean(e.Reason)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return clean(s)
	}
	return excerpt(raw)
}
