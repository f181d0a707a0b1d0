package pseudo_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
)

func key(id string, fill byte) pseudo.Key {
	return pseudo.Key{ID: id, Secret: bytes.Repeat([]byte{fill}, 32)}
}

func newP(t testing.TB, fields map[string]pseudo.Mode, keys ...pseudo.Key) *pseudo.Pseudonymizer {
	t.Helper()
	if len(keys) == 0 {
		keys = []pseudo.Key{key("p1", 1)}
	}
	p, err := pseudo.New(pseudo.Config{Keys: keys, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPseudonymsAreDeterministicAndCarryTheKeyID(t *testing.T) {
	t.Parallel()
	p := newP(t, nil)
	a, b := p.User("u-42"), p.User("u-42")
	if a != b {
		t.Fatalf("same id, different pseudonyms: %q %q", a, b)
	}
	if !strings.HasPrefix(a, "p1:") {
		t.Fatalf("pseudonym %q does not start with the key id", a)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(a, "p1:"))
	if err != nil || len(raw) != 32 {
		t.Fatalf("pseudonym %q is not base64url of an HMAC-SHA256 (%v, %d bytes)", a, err, len(raw))
	}
	if a == p.User("u-43") {
		t.Fatal("different ids share a pseudonym")
	}
	// A second instance with the same key agrees: a pseudonym survives restarts.
	if c := newP(t, nil).User("u-42"); c != a {
		t.Fatalf("another instance with the same key gave %q, want %q", c, a)
	}
}

func TestKeySeparation(t *testing.T) {
	t.Parallel()
	p1 := newP(t, nil, key("p1", 1))
	other := newP(t, nil, key("p1", 2))
	if p1.User("u-42") == other.User("u-42") {
		t.Fatal("different keys with the same id made the same pseudonym")
	}
	if p1.Email("a@example.com") == other.Email("a@example.com") {
		t.Fatal("different keys made the same email pseudonym")
	}
}

func TestDomainsAreSeparated(t *testing.T) {
	t.Parallel()
	p := newP(t, nil)
	if p.User("alice@example.com") == p.Email("alice@example.com") {
		t.Fatal("a user id and an equal email share a pseudonym")
	}
}

func TestRotationKeepsOldPseudonymsFindable(t *testing.T) {
	t.Parallel()
	before := newP(t, nil, key("p1", 1))
	after := newP(t, nil, key("p2", 2), key("p1", 1))
	old, now := before.User("u-42"), after.User("u-42")
	if !strings.HasPrefix(old, "p1:") || !strings.HasPrefix(now, "p2:") || after.KeyID() != "p2" {
		t.Fatalf("key id not visible: before %q, after %q (active %q)", old, now, after.KeyID())
	}
	all, err := after.HashAll(pseudo.FieldUserID, "u-42")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0] != now || all[1] != old {
		t.Fatalf("HashAll = %v, want [%s %s]", all, now, old)
	}
}

func TestEmailIsNormalised(t *testing.T) {
	t.Parallel()
	p := newP(t, nil)
	want := p.Email("alice@example.com")
	for _, in := range []string{"Alice@Example.COM", "  alice@example.com\n", "\tALICE@EXAMPLE.COM "} {
		if got := p.Email(in); got != want {
			t.Errorf("Email(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIPTruncation(t *testing.T) {
	t.Parallel()
	p := newP(t, nil)
	cases := []struct {
		name, in, want string
		sameHashAs     string
	}{
		{"ipv4 keeps the /24", "203.0.113.77", "203.0.113.0", ""},
		{"ipv4 network address stays", "10.0.0.0", "10.0.0.0", ""},
		{"ipv4 broadcast", "255.255.255.255", "255.255.255.0", ""},
		{"ipv6 keeps the /48", "2001:db8:abcd:12:34::1", "2001:db8:abcd::", ""},
		{"ipv6 loopback", "::1", "::", ""},
		{"ipv6 written in full", "2001:0db8:abcd:0012:0000:0000:0000:0001", "2001:db8:abcd::", "2001:db8:abcd:12::1"},
		{"ipv4-mapped ipv6 is treated as ipv4", "::ffff:203.0.113.77", "203.0.113.0", "203.0.113.77"},
		{"ipv4-mapped ipv6 in hex", "::ffff:cb00:714d", "203.0.113.0", "203.0.113.77"},
		{"zone is removed", "fe80::1%eth0", "fe80::", "fe80::1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, hash, err := p.IP(tc.in)
			if err != nil {
				t.Fatalf("IP(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("IP(%q) truncated = %q, want %q", tc.in, got, tc.want)
			}
			if !strings.HasPrefix(hash, "p1:") {
				t.Fatalf("hash %q lacks the key id", hash)
			}
			if lookup, _ := p.Hash(pseudo.FieldSourceIP, tc.in); lookup != hash {
				t.Fatalf("Hash(source.ip) = %q, IP hash = %q; an auditor could not find this address", lookup, hash)
			}
			if tc.sameHashAs != "" {
				if _, other, _ := p.IP(tc.sameHashAs); other != hash {
					t.Fatalf("%q and %q are one address but hash differently", tc.in, tc.sameHashAs)
				}
			}
		})
	}
	_, h1, _ := p.IP("203.0.113.77")
	_, h2, _ := p.IP("203.0.113.78")
	if h1 == h2 {
		t.Fatal("two addresses in one /24 share a hash: the full address is lost")
	}
}

func TestMalformedIPsAreRejected(t *testing.T) {
	t.Parallel()
	p := newP(t, nil)
	for _, in := range []string{
		"", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4:80", "[::1]:80",
		"1.2.3.4/24", "::g", "example.com", "1.2.3.4 ", "::ffff:1.2.3.256", "fe80::1%",
	} {
		if tr, h, err := p.IP(in); !errors.Is(err, pseudo.ErrMalformedIP) {
			t.Errorf("IP(%q) = %q, %q, %v; want ErrMalformedIP", in, tr, h, err)
		} else if in != "" && strings.Contains(err.Error(), in) && strings.TrimSpace(in) != "" {
			t.Errorf("error %q echoes the input", err)
		}
		if _, err := p.Hash(pseudo.FieldSourceAddress, in); !errors.Is(err, pseudo.ErrMalformedIP) {
			t.Errorf("Hash(source.address, %q) error = %v; want ErrMalformedIP", in, err)
		}
	}
}

func TestPerFieldModes(t *testing.T) {
	t.Parallel()
	p := newP(t, map[string]pseudo.Mode{
		pseudo.FieldUserName: pseudo.Keep,
		"user.roles":         pseudo.Drop,
	})
	uid, _ := p.Hash(pseudo.FieldUserID, "u-1")
	cases := []struct {
		name, field, in, want string
		keep                  bool
	}{
		{"user id is pseudonymised by default", pseudo.FieldUserID, "u-1", uid, true},
		{"configured keep writes the value", pseudo.FieldUserName, "alice", "alice", true},
		{"configured drop writes nothing", "user.roles", "admin", "", false},
		{"source ip is truncated by default", pseudo.FieldSourceIP, "198.51.100.9", "198.51.100.0", true},
		{"an unnamed field is pseudonymised", "portcullis.details.owner", "bob", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, keep, err := p.Apply(tc.field, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if keep != tc.keep {
				t.Fatalf("keep = %v, want %v", keep, tc.keep)
			}
			if tc.want == "" && tc.keep {
				if !strings.HasPrefix(got, "p1:") {
					t.Fatalf("got %q, want a pseudonym", got)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, _, err := p.Apply(pseudo.FieldSourceIP, "not-an-ip"); !errors.Is(err, pseudo.ErrMalformedIP) {
		t.Fatalf("truncating a non-address: err = %v, want ErrMalformedIP", err)
	}
}

func TestConfigIsChecked(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  pseudo.Config
		want error
	}{
		{"no key", pseudo.Config{}, pseudo.ErrBadKey},
		{"short key", pseudo.Config{Keys: []pseudo.Key{{ID: "p1", Secret: make([]byte, 31)}}}, pseudo.ErrBadKey},
		{"key id with a colon", pseudo.Config{Keys: []pseudo.Key{key("p:1", 1)}}, pseudo.ErrBadKey},
		{"empty key id", pseudo.Config{Keys: []pseudo.Key{key("", 1)}}, pseudo.ErrBadKey},
		{"key id used twice", pseudo.Config{Keys: []pseudo.Key{key("p1", 1), key("p1", 2)}}, pseudo.ErrBadKey},
		{"unknown mode", pseudo.Config{Keys: []pseudo.Key{key("p1", 1)}, Fields: map[string]pseudo.Mode{"user.id": "hide"}}, pseudo.ErrBadConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := pseudo.New(tc.cfg); !errors.Is(err, tc.want) {
				t.Fatalf("New: err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKeyIsCopied(t *testing.T) {
	t.Parallel()
	k := key("p1", 1)
	p := newP(t, nil, k)
	before := p.User("u")
	k.Secret[0] ^= 0xff
	if p.User("u") != before {
		t.Fatal("changing the caller's key bytes changed the pseudonymizer")
	}
}

func TestKeyFromFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	secret := bytes.Repeat([]byte{7}, 32)
	if err := os.WriteFile(good, []byte(base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := pseudo.KeyFromFile("p3", good)
	if err != nil || k.ID != "p3" || !bytes.Equal(k.Secret, secret) {
		t.Fatalf("KeyFromFile = %+v, %v", k, err)
	}
	short := filepath.Join(dir, "short")
	_ = os.WriteFile(short, []byte(base64.StdEncoding.EncodeToString(secret[:16])), 0o600)
	notB64 := filepath.Join(dir, "text")
	_ = os.WriteFile(notB64, []byte("not base64 at all!"), 0o600)
	for _, path := range []string{short, notB64} {
		if _, err := pseudo.KeyFromFile("p3", path); !errors.Is(err, pseudo.ErrBadKey) {
			t.Errorf("KeyFromFile(%s): err = %v, want ErrBadKey", filepath.Base(path), err)
		}
	}
	if _, err := pseudo.KeyFromFile("p3", filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing key file was accepted")
	}
}

func TestEventIsPseudonymisedBeforeWriting(t *testing.T) {
	t.Parallel()
	p := newP(t, nil)
	e := event.Event{
		User:   &event.User{ID: "u-42", Name: "alice", Roles: []string{"developer"}},
		Source: &event.Source{IP: "2001:db8:abcd:12::1", Address: "2001:db8:abcd:12::1"},
	}
	if err := p.Event(&e); err != nil {
		t.Fatal(err)
	}
	wantID, _ := p.Hash(pseudo.FieldUserID, "u-42")
	wantName, _ := p.Hash(pseudo.FieldUserName, "alice")
	wantIPHash, _ := p.Hash(pseudo.FieldSourceIP, "2001:db8:abcd:12::1")
	if e.User.ID != wantID || e.User.Name != wantName || e.User.Roles[0] != "developer" {
		t.Fatalf("user = %+v", e.User)
	}
	if e.Source.IP != "2001:db8:abcd::" || e.Source.Address != "2001:db8:abcd::" {
		t.Fatalf("source = %+v, want truncated to /48", e.Source)
	}
	if e.Portcullis == nil || e.Portcullis.SourceIPHash != wantIPHash {
		t.Fatalf("portcullis.source_ip_hash missing or wrong: %+v", e.Portcullis)
	}

	bad := event.Event{Source: &event.Source{IP: "nonsense"}}
	if err := p.Event(&bad); !errors.Is(err, pseudo.ErrMalformedIP) {
		t.Fatalf("malformed source ip: err = %v, want ErrMalformedIP", err)
	}
}

func TestEventModes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		mode     pseudo.Mode
		wantIP   string
		wantHash bool
	}{
		{"truncate keeps the /24 and the hash", pseudo.Truncate, "192.0.2.0", true},
		{"pseudonymise keeps only the hash", pseudo.Pseudonymise, "", true},
		{"keep writes the address", pseudo.Keep, "192.0.2.55", false},
		{"drop writes nothing", pseudo.Drop, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newP(t, map[string]pseudo.Mode{pseudo.FieldSourceIP: tc.mode})
			e := event.Event{Source: &event.Source{IP: "192.0.2.55"}}
			if err := p.Event(&e); err != nil {
				t.Fatal(err)
			}
			hasHash := e.Portcullis != nil && e.Portcullis.SourceIPHash != ""
			if e.Source.IP != tc.wantIP || hasHash != tc.wantHash {
				t.Fatalf("source.ip = %q, hash present %v; want %q, %v", e.Source.IP, hasHash, tc.wantIP, tc.wantHash)
			}
		})
	}
}

// FuzzIP: any string either is rejected with ErrMalformedIP or yields a valid
// truncated address that truncates to itself, and a hash carrying the key id.
func FuzzIP(f *testing.F) {
	for _, s := range []string{
		"203.0.113.77", "::1", "::ffff:1.2.3.4", "fe80::1%eth0", "2001:db8::", "1.2.3.4:80",
		"", "256.0.0.1", "::ffff:cb00:714d", "1:2:3:4:5:6:7:8", "::ffff:0:0", "0.0.0.0",
	} {
		f.Add(s)
	}
	p := newP(f, nil)
	f.Fuzz(func(t *testing.T, s string) {
		tr, h, err := p.IP(s)
		if err != nil {
			if !errors.Is(err, pseudo.ErrMalformedIP) {
				t.Fatalf("IP(%q): unexpected error %v", s, err)
			}
			return
		}
		a, perr := netip.ParseAddr(tr)
		if perr != nil || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("IP(%q) truncated to %q, not a plain address (%v)", s, tr, perr)
		}
		again, _, err := p.IP(tr)
		if err != nil || again != tr {
			t.Fatalf("truncating %q again gave %q, %v", tr, again, err)
		}
		if !strings.HasPrefix(h, p.KeyID()+":") {
			t.Fatalf("hash %q lacks the key id", h)
		}
	})
}
