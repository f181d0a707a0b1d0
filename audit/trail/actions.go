package trail

import (
	"slices"
	"sync"
	"time"

	"github.com/portcullis/portcullis/audit/event"
)

// catalogued is an action of the catalogue with its chain.
type catalogued struct {
	action event.Action
	class  uint8 // index into retentionClasses()
}

// catalogue maps action names to their entry, built once: event.Lookup copies
// the action's lists on every call, which the request path need not pay.
var catalogue = sync.OnceValue(func() map[string]catalogued {
	classes := retentionClasses()
	out := map[string]catalogued{}
	for _, a := range event.Actions() {
		out[a.Name] = catalogued{action: a, class: uint8(slices.Index(classes, a.Retention))}
	}
	return out
})

// retentionClasses are the classes the catalogue uses, sorted: one chain each.
func retentionClasses() []event.Retention {
	var out []event.Retention
	for _, a := range event.Actions() {
		if !slices.Contains(out, a.Retention) {
			out = append(out, a.Retention)
		}
	}
	slices.Sort(out)
	return out
}

// fixedClock is a clock stopped at one instant, to make an id for an event
// that has a timestamp but no id.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// complete fills what event.New would have set and the caller left empty: the
// ECS version, the id, and the catalogue's code, kind, category and type.
func complete(e *event.Event, a event.Action) {
	if e.ECS.Version == "" {
		e.ECS.Version = event.ECSVersion
	}
	f := &e.Event
	if f.ID != "" && f.Code != "" && f.Kind != "" && f.Category != nil && f.Type != nil {
		return
	}
	n := event.New(a, f.Outcome, fixedClock{e.Timestamp})
	if f.ID == "" {
		f.ID = n.Event.ID
	}
	if f.Code == "" {
		f.Code = n.Event.Code
	}
	if f.Kind == "" {
		f.Kind = n.Event.Kind
	}
	if f.Category == nil {
		f.Category = n.Event.Category
	}
	if f.Type == nil {
		f.Type = n.Event.Type
	}
}
