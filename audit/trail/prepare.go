package trail

import (
	"fmt"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
)

// prepare turns an admitted event into the payload of its record: sealed
// personal values, pseudonymised fields, JSON. e is changed in place.
//
// When sealing fails (the key store is unavailable) and mustSeal is false,
// the event is written without its sealed values: a queued event was already
// acknowledged and is better kept pseudonymised than lost; the metric shows
// it. Record passes true, so the privileged action fails instead.
func (t *Trail) prepare(e *event.Event, a event.Action, mustSeal bool) ([]byte, error) {
	return t.prepareAppend(nil, e, a, mustSeal)
}

// prepareAppend is prepare appending the payload to dst, so that the writer
// encodes a whole batch into one reused buffer. On error dst is returned
// unchanged. The JSON is event.AppendJSON's, byte for byte json.Marshal's.
func (t *Trail) prepareAppend(dst []byte, e *event.Event, a event.Action, mustSeal bool) ([]byte, error) {
	complete(e, a)
	if err := t.seal(e); err != nil {
		if mustSeal {
			return dst, err
		}
		t.m.sealErrors.Inc()
	}
	if err := t.cfg.Pseudonymizer.Event(e); err != nil {
		return dst, fmt.Errorf("audit trail: %w", err)
	}
	out, err := e.AppendJSON(dst)
	if err != nil {
		return dst, fmt.Errorf("audit trail: encoding event %s: %w", e.Event.ID, err)
	}
	return out, nil
}

// seal puts the raw user name and full source address into
// portcullis.personal, encrypted under the key of the subject (the user id's
// pseudonym), before pseudonymisation replaces them: erasing that key later
// erases them without touching the chain. Events without a user id are not
// sealed: there is no subject whose erasure they would follow. A field whose
// mode is drop is not sealed either: drop means never stored.
func (t *Trail) seal(e *event.Event) error {
	if t.cfg.Keys == nil || e.User == nil || e.User.ID == "" {
		return nil
	}
	fields := map[string]string{}
	if e.User.Name != "" && t.nameMode != pseudo.Drop {
		fields[pseudo.FieldUserName] = e.User.Name
	}
	if e.Source != nil && e.Source.IP != "" && t.ipMode != pseudo.Drop {
		fields[pseudo.FieldSourceIP] = e.Source.IP
	}
	if len(fields) == 0 {
		return nil
	}
	subject, err := t.cfg.Pseudonymizer.Hash(pseudo.FieldUserID, e.User.ID)
	if err != nil {
		return fmt.Errorf("audit trail: %w", err)
	}
	sealed, err := t.cfg.Keys.Seal(subject, fields)
	if err != nil {
		return fmt.Errorf("audit trail: sealing personal values: %w", err)
	}
	if e.Portcullis == nil {
		e.Portcullis = &event.Product{}
	}
	e.Portcullis.Personal = sealed
	return nil
}
