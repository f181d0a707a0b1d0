package pseudo

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"

	"github.com/portcullis/portcullis/audit/event"
)

// ErrMalformedIP is returned for a value that is not an IP address.
var ErrMalformedIP = errors.New("malformed ip address")

// Config configures a Pseudonymizer.
type Config struct {
	// Keys are the HMAC keys. Keys[0] is the active key that makes new
	// pseudonyms; the others are older keys, kept so that an auditor can still
	// find events written before a rotation (see HashAll).
	Keys []Key
	// Fields maps a field name to its mode. Fields not named here take their
	// mode from DefaultFields, and a field named nowhere is pseudonymised.
	Fields map[string]Mode
}

// Pseudonymizer turns personal values into pseudonyms. It is safe for
// concurrent use.
type Pseudonymizer struct {
	keys   []*macKey
	fields map[string]Mode
}

// New checks cfg and returns a Pseudonymizer.
func New(cfg Config) (*Pseudonymizer, error) {
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: no key configured", ErrBadKey)
	}
	p := &Pseudonymizer{fields: DefaultFields()}
	seen := map[string]bool{}
	for _, k := range cfg.Keys {
		if err := k.validate(); err != nil {
			return nil, err
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("%w: key id %q used twice", ErrBadKey, k.ID)
		}
		seen[k.ID] = true
		p.keys = append(p.keys, newMACKey(k))
	}
	if err := validateModes(cfg.Fields); err != nil {
		return nil, err
	}
	maps.Copy(p.fields, cfg.Fields)
	return p, nil
}

// KeyID is the id of the active key, the prefix of every new pseudonym.
func (p *Pseudonymizer) KeyID() string { return p.keys[0].ID }

// Mode is the configured mode of field.
func (p *Pseudonymizer) Mode(field string) Mode {
	if m, ok := p.fields[field]; ok {
		return m
	}
	return Pseudonymise
}

// User returns the pseudonym of a user id.
func (p *Pseudonymizer) User(id string) string {
	return p.keys[0].sum(domainOf(FieldUserID), id)
}

// Email returns the pseudonym of an email address, normalised first (trimmed,
// lower-cased) so that "Alice@Example.com " and "alice@example.com" are one
// person.
func (p *Pseudonymizer) Email(addr string) string {
	return p.keys[0].sum(domainEmail, normalizeEmail(addr))
}

// IP returns the truncated address (/24 for IPv4 and IPv4-mapped IPv6, /48 for
// IPv6) and the keyed hash of the full address. A zone is removed first.
func (p *Pseudonymizer) IP(addr string) (truncated, hash string, err error) {
	a, err := parseIP(addr)
	if err != nil {
		return "", "", err
	}
	bits := 48
	if a.Is4() {
		bits = 24
	}
	prefix, _ := a.Prefix(bits) // cannot fail: bits fit both families
	return prefix.Addr().String(), p.keys[0].sumAddr(domainIP, a), nil
}

// Hash returns the pseudonym under the active key that field would carry for
// value, whatever the field's mode: the lookup an auditor uses to find one
// person (like Vault's sys/audit-hash). For an IP field it is the hash of the
// full address.
func (p *Pseudonymizer) Hash(field, value string) (string, error) {
	return p.hashWith(p.keys[0], field, value)
}

// HashAll returns value's pseudonym under every configured key, active first,
// so that a search also finds events written before a key rotation.
func (p *Pseudonymizer) HashAll(field, value string) ([]string, error) {
	out := make([]string, 0, len(p.keys))
	for _, k := range p.keys {
		h, err := p.hashWith(k, field, value)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func (p *Pseudonymizer) hashWith(k *macKey, field, value string) (string, error) {
	d := domainOf(field)
	switch d {
	case domainIP:
		a, err := parseIP(value)
		if err != nil {
			return "", err
		}
		value = a.String()
	case domainEmail:
		value = normalizeEmail(value)
	}
	return k.sum(d, value), nil
}

// Apply transforms value as field's mode says. keep is false when the field
// must not be written at all. For Truncate the result is the truncated address
// (use IP to get the hash as well).
func (p *Pseudonymizer) Apply(field, value string) (out string, keep bool, err error) {
	switch p.Mode(field) {
	case Keep:
		return value, true, nil
	case Drop:
		return "", false, nil
	case Truncate:
		t, _, err := p.IP(value)
		if err != nil {
			return "", false, fmt.Errorf("truncating %s: %w", field, err)
		}
		return t, true, nil
	}
	h, err := p.Hash(field, value)
	if err != nil {
		return "", false, fmt.Errorf("pseudonymising %s: %w", field, err)
	}
	return h, true, nil
}

// Event pseudonymises e in place before it is written: user.id, user.name,
// source.ip and source.address follow their modes. Unless source.ip is kept
// or dropped, the keyed hash of the full source address goes to
// portcullis.source_ip_hash. On error e may be half done and must not be written.
func (p *Pseudonymizer) Event(e *event.Event) error {
	if u := e.User; u != nil {
		var err error
		if u.ID, err = p.field(FieldUserID, u.ID); err != nil {
			return err
		}
		if u.Name, err = p.field(FieldUserName, u.Name); err != nil {
			return err
		}
	}
	s := e.Source
	if s == nil {
		return nil
	}
	if s.IP != "" {
		mode := p.Mode(FieldSourceIP)
		if mode == Truncate || mode == Pseudonymise {
			t, h, err := p.IP(s.IP)
			if err != nil {
				return fmt.Errorf("pseudonymising %s: %w", FieldSourceIP, err)
			}
			if e.Portcullis == nil {
				e.Portcullis = &event.Product{}
			}
			e.Portcullis.SourceIPHash = h
			// source.ip is an ECS ip field: it can hold a truncated address but
			// not a pseudonym, so pseudonymising it leaves only the hash.
			s.IP = ""
			if mode == Truncate {
				s.IP = t
			}
		} else if mode == Drop {
			s.IP = ""
		}
	}
	var err error
	s.Address, err = p.field(FieldSourceAddress, s.Address)
	return err
}

func (p *Pseudonymizer) field(name, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	out, keep, err := p.Apply(name, value)
	if !keep {
		return "", err
	}
	return out, err
}

func normalizeEmail(addr string) string {
	return strings.ToLower(strings.TrimSpace(addr))
}

func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		// The value is not echoed: a malformed address may still be personal data.
		return netip.Addr{}, fmt.Errorf("%w (%d bytes)", ErrMalformedIP, len(s))
	}
	// An IPv4 address written as IPv4-mapped IPv6 is the same host: one
	// truncation rule and one hash for both spellings.
	return a.WithZone("").Unmap(), nil
}
