package retention

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portcullis/portcullis/internal/clock"
)

const (
	holdsDir  = "holds"
	holdExt   = ".json"
	maxID     = 64
	maxReason = 1024
	maxBy     = 256
	// maxHoldFile bounds what List reads of one file.
	maxHoldFile = 16 << 10
)

// Holds stores legal holds as files under <root>/holds/, so every writing
// process on the host sees them. Safe for concurrent use.
type Holds struct {
	dir   string
	clock clock.Clock
}

// OpenHolds opens the hold store of the trail rooted at root.
func OpenHolds(root string) (*Holds, error) { return OpenHoldsWithClock(root, clock.System) }

// OpenHoldsWithClock is OpenHolds with the clock that stamps CreatedAt.
func OpenHoldsWithClock(root string, c clock.Clock) (*Holds, error) {
	dir := filepath.Join(root, holdsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit retention: creating %s: %w", dir, err)
	}
	return &Holds{dir: dir, clock: c}, nil
}

// Place stores h, giving it an id when empty; Reason is required. CreatedAt
// is set to now when zero. An id already in use is refused.
func (h *Holds) Place(hold Hold) (Hold, error) {
	if hold.ID == "" {
		var b [16]byte
		rand.Read(b[:]) // crypto/rand never fails
		hold.ID = base64.RawURLEncoding.EncodeToString(b[:])
	}
	if hold.CreatedAt.IsZero() {
		hold.CreatedAt = h.clock.Now()
	}
	hold.CreatedAt = hold.CreatedAt.UTC()
	if !hold.From.IsZero() {
		hold.From = hold.From.UTC()
	}
	if !hold.To.IsZero() {
		hold.To = hold.To.UTC()
	}
	if err := validateHold(hold); err != nil {
		return Hold{}, err
	}
	data, err := json.Marshal(hold)
	if err != nil {
		return Hold{}, fmt.Errorf("audit retention: encoding hold: %w", err)
	}
	if err := h.create(hold.ID+holdExt, append(data, '\n')); err != nil {
		return Hold{}, err
	}
	return hold, nil
}

// create writes name whole or not at all, and never over an existing file:
// a temporary file is synced, then hard-linked to its name.
func (h *Holds) create(name string, data []byte) error {
	tmp, err := os.CreateTemp(h.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("audit retention: writing hold: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit retention: writing hold: %w", err)
	}
	if err := os.Link(tmp.Name(), filepath.Join(h.dir, name)); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: id %q is already in use", ErrBadHold, strings.TrimSuffix(name, holdExt))
		}
		return fmt.Errorf("audit retention: writing hold: %w", err)
	}
	return syncDir(h.dir)
}

// Release removes the hold; ErrNotFound when absent.
func (h *Holds) Release(id string) error {
	if validID(id) != nil {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	err := os.Remove(filepath.Join(h.dir, id+holdExt))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("audit retention: releasing hold %q: %w", id, err)
	}
	return syncDir(h.dir)
}

// List returns the holds, oldest first. A hold file that does not parse is
// an error, not skipped: what it held is unknown, so nothing may be deleted.
func (h *Holds) List() ([]Hold, error) {
	entries, err := os.ReadDir(h.dir)
	if err != nil {
		return nil, fmt.Errorf("audit retention: listing holds: %w", err)
	}
	var holds []Hold
	for _, e := range entries {
		name := e.Name()
		id, ok := strings.CutSuffix(name, holdExt)
		if !ok || strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		data, err := readBounded(filepath.Join(h.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("audit retention: reading hold %s: %w", name, err)
		}
		hold, err := ParseHold(id, data)
		if err != nil {
			return nil, fmt.Errorf("audit retention: holds/%s: %w", name, err)
		}
		holds = append(holds, hold)
	}
	slices.SortFunc(holds, func(a, b Hold) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return holds, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxHoldFile+1))
}

// ParseHold decodes the file of hold id: one JSON object with the fields of
// Hold and no others, valid as Place requires.
func ParseHold(id string, data []byte) (Hold, error) {
	var h Hold
	if len(data) > maxHoldFile {
		return h, fmt.Errorf("%w: file larger than %d bytes", ErrBadHold, maxHoldFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return Hold{}, fmt.Errorf("%w: %v", ErrBadHold, err)
	}
	if dec.More() {
		return Hold{}, fmt.Errorf("%w: data after the hold object", ErrBadHold)
	}
	if h.ID != id {
		return Hold{}, fmt.Errorf("%w: id %q does not match the file name", ErrBadHold, h.ID)
	}
	if h.CreatedAt.IsZero() {
		return Hold{}, fmt.Errorf("%w: created_at is missing", ErrBadHold)
	}
	if err := validateHold(h); err != nil {
		return Hold{}, err
	}
	return h, nil
}

func validateHold(h Hold) error {
	if err := validID(h.ID); err != nil {
		return err
	}
	if err := validText("reason", h.Reason, maxReason); err != nil {
		return err
	}
	if strings.TrimSpace(h.Reason) == "" {
		return fmt.Errorf("%w: a reason is required", ErrBadHold)
	}
	if h.CreatedBy != "" {
		if err := validText("created_by", h.CreatedBy, maxBy); err != nil {
			return err
		}
	}
	if !h.From.IsZero() && !h.To.IsZero() && h.From.After(h.To) {
		return fmt.Errorf("%w: from %s is after to %s", ErrBadHold, h.From.Format(time.RFC3339), h.To.Format(time.RFC3339))
	}
	return nil
}

// validID accepts ids that are safe as file names: 1 to 64 URL-safe
// characters.
func validID(id string) error {
	if id == "" || len(id) > maxID {
		return fmt.Errorf("%w: id must be 1 to %d characters", ErrBadHold, maxID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: id may hold only [A-Za-z0-9_-]", ErrBadHold)
		}
	}
	return nil
}

func validText(field, s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrBadHold, field, limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrBadHold, field)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s holds a control character", ErrBadHold, field)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit retention: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit retention: syncing %s: %w", dir, err)
	}
	return nil
}
