package forward

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/portcullis/portcullis/audit/export"
	"github.com/portcullis/portcullis/audit/record"
)

// hec speaks Splunk's HTTP Event Collector: the batch is the event envelopes
// one after another (HEC accepts concatenated objects), and the collector
// answers 200 {"text":"Success","code":0} only when it took all of them.
type hec struct {
	token string
	opts  export.Options
}

func (h hec) header(hdr http.Header) {
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Authorization", "Splunk "+h.token)
}

func (h hec) encode(dst []byte, recs []record.Record) ([]byte, error) {
	for i, r := range recs {
		if i > 0 {
			dst = append(dst, '\n')
		}
		var err error
		if dst, err = export.HECEvent(dst, r, h.opts); err != nil {
			return dst, err
		}
	}
	return append(dst, '\n'), nil
}

func (h hec) verdict(status int, body []byte, _ []record.Record) error {
	return parseHECResponse(status, body)
}

// parseHECResponse accepts only 200 with code 0; anything else is a failure
// carrying the collector's own message (e.g. "Invalid token", code 4).
func parseHECResponse(status int, body []byte) error {
	var r struct {
		Text    string `json:"text"`
		Code    *int   `json:"code"`
		Invalid *int   `json:"invalid-event-number"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Code == nil {
		return fmt.Errorf("HTTP %d, not a HEC response: %s", status, excerpt(body))
	}
	if status == http.StatusOK && *r.Code == 0 {
		return nil
	}
	msg := fmt.Sprintf("HTTP %d: %s (HEC code %d)", status, clean(r.Text), *r.Code)
	if r.Invalid != nil {
		msg += fmt.Sprintf(", at event %d of the batch", *r.Invalid)
	}
	return fmt.Errorf("%s", msg)
}
