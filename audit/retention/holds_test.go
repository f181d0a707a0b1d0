package retention_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/internal/clock"
)

func openHolds(t *testing.T, root string, c clock.Clock) *retention.Holds {
	t.Helper()
	h, err := retention.OpenHoldsWithClock(root, c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHoldsPlaceListRelease(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	clk := clock.NewManual(day(2025, 1, 1))
	h := openHolds(t, root, clk)
	a, err := h.Place(retention.Hold{Reason: "case A", CreatedBy: "p1:abc", From: day(2020, 1, 1), To: day(2021, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(a.ID) || !a.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("placed hold = %+v; want a random URL-safe id and CreatedAt now", a)
	}
	clk.Advance(time.Hour)
	b, err := h.Place(retention.Hold{ID: "case-b", Reason: "case B"})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "holds", b.ID+".json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("hold file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	// Another process's store sees the same holds, oldest first.
	other := openHolds(t, root, clock.System)
	list, err := other.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != "case-b" || !list[0].From.Equal(a.From) || list[0].CreatedBy != "p1:abc" {
		t.Fatalf("List = %+v", list)
	}
	if _, err := h.Place(retention.Hold{ID: "case-b", Reason: "again"}); !errors.Is(err, retention.ErrBadHold) {
		t.Fatalf("Place with an id in use = %v, want ErrBadHold", err)
	}
	if err := other.Release(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(a.ID); !errors.Is(err, retention.ErrNotFound) {
		t.Fatalf("second Release = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"", "../holds/case-b", "nope"} {
		if err := h.Release(id); !errors.Is(err, retention.ErrNotFound) {
			t.Errorf("Release(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if list, _ := h.List(); len(list) != 1 || list[0].ID != "case-b" {
		t.Fatalf("List after release = %+v", list)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "holds"))
	if len(entries) != 1 {
		t.Fatalf("holds directory holds %d files, want 1 (no temporary files left)", len(entries))
	}
}

func TestPlaceRejectsBadHolds(t *testing.T) {
	t.Parallel()
	h := openHolds(t, t.TempDir(), clock.System)
	cases := map[string]retention.Hold{
		"no reason":              {},
		"blank reason":           {Reason: " \t "},
		"reason too long":        {Reason: strings.Repeat("x", 1025)},
		"reason with a newline":  {Reason: "a\nb"},
		"reason not UTF-8":       {Reason: "\xff"},
		"creator too long":       {Reason: "r", CreatedBy: strings.Repeat("p", 257)},
		"from after to":          {Reason: "r", From: day(2024, 2, 1), To: day(2024, 1, 1)},
		"id with a slash":        {Reason: "r", ID: "a/b"},
		"id with dots":           {Reason: "r", ID: ".."},
		"id too long":            {Reason: "r", ID: strings.Repeat("a", 65)},
		"id with a unicode char": {Reason: "r", ID: "é"},
	}
	for name, hold := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := h.Place(hold); !errors.Is(err, retention.ErrBadHold) {
				t.Fatalf("Place = %+v, %v; want ErrBadHold", got, err)
			}
		})
	}
	if list, err := h.List(); err != nil || len(list) != 0 {
		t.Fatalf("after rejected holds: List = %v, %v; want none", list, err)
	}
}

func TestListFailsClosedOnACorruptHold(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	h := openHolds(t, root, clock.System)
	if _, err := h.Place(retention.Hold{Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "holds", "bad.json"), []byte(`{"id":"bad","reason":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.List(); !errors.Is(err, retention.ErrBadHold) || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("List = %v, want ErrBadHold naming bad.json", err)
	}
}

func FuzzParseHold(f *testing.F) {
	f.Add("h1", []byte(`{"id":"h1","reason":"case","created_by":"p1:x","created_at":"2024-02-29T10:00:00Z","from":"2024-01-01T00:00:00Z","to":"2024-03-01T00:00:00Z"}`))
	f.Add("h1", []byte(`{"id":"h1","reason":"case","created_at":"2024-02-29T10:00:00Z"}`+"\n"))
	f.Add("h1", []byte(`{"id":"h1","reason":"","created_at":"2024-02-29T10:00:00Z"}`))
	f.Add("h1", []byte(`{"id":"h1","reason":"x","created_at":"2024-02-29T10:00:00Z","extra":1}`))
	f.Add("h1", []byte(`{"id":"h1"} {}`))
	f.Add("../x", []byte(`{"id":"../x","reason":"x","created_at":"2024-02-29T10:00:00Z"}`))
	f.Add("h1", []byte(`null`))
	f.Fuzz(func(t *testing.T, id string, data []byte) {
		h, err := retention.ParseHold(id, data)
		if err != nil {
			if !errors.Is(err, retention.ErrBadHold) {
				t.Fatalf("ParseHold error %v is not ErrBadHold", err)
			}
			return
		}
		if h.ID != id || strings.TrimSpace(h.Reason) == "" || len(h.Reason) > 1024 || h.CreatedAt.IsZero() ||
			strings.ContainsAny(h.ID, "./\\") || (!h.From.IsZero() && !h.To.IsZero() && h.From.After(h.To)) {
			t.Fatalf("ParseHold accepted %+v", h)
		}
	})
}
