package revocation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/revocation"
)

func TestEntryEncoding(t *testing.T) {
	t.Parallel()
	until := time.UnixMilli(1_900_000_000_123)
	before := time.Unix(1_899_999_000, 456)
	cases := []struct {
		name    string
		entry   revocation.Entry
		member  string
		message string
	}{
		{"a token entry is keyed by jti", revocation.Entry{Kind: revocation.KindToken, ID: "abc", Until: until},
			"jti:abc", "1900000000123 jti:abc"},
		{"a session entry is keyed by sid", revocation.Entry{Kind: revocation.KindSession, ID: "s-1", Until: until},
			"sid:s-1", "1900000000123 sid:s-1"},
		{"a user entry carries its revoked-before time in ns", revocation.Entry{Kind: revocation.KindUser, ID: "u", Before: before, Until: until},
			"sub:1899999000000000456:u", "1900000000123 sub:1899999000000000456:u"},
		{"ids may contain colons and spaces", revocation.Entry{Kind: revocation.KindUser, ID: "urn:x y", Before: before, Until: until},
			"sub:1899999000000000456:urn:x y", "1900000000123 sub:1899999000000000456:urn:x y"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.entry.Member(); got != c.member {
				t.Errorf("Member() = %q, want %q", got, c.member)
			}
			if got := c.entry.Message(); got != c.message {
				t.Errorf("Message() = %q, want %q", got, c.message)
			}
			fromMsg, err := revocation.ParseMessage(c.message)
			if err != nil || !sameEntry(fromMsg, c.entry) {
				t.Errorf("ParseMessage(%q) = %+v, %v; want %+v", c.message, fromMsg, err, c.entry)
			}
			fromMember, err := revocation.ParseMember(c.member, c.entry.Score())
			if err != nil || !sameEntry(fromMember, c.entry) {
				t.Errorf("ParseMember(%q) = %+v, %v; want %+v", c.member, fromMember, err, c.entry)
			}
		})
	}
}

func TestParseMessageRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		"", "jti:abc", "123", "123 ", "x jti:a", "-1 jti:a", "+1 jti:a", "012 jti:a",
		"123 jti:", "123 sid:", "123 foo:a", "123 nokind", "123 sub:a", "123 sub:12", "123 sub:12:",
		"123 sub:-5:u", "99999999999999999999 jti:a",
	} {
		t.Run(msg, func(t *testing.T) {
			t.Parallel()
			if e, err := revocation.ParseMessage(msg); err == nil {
				t.Errorf("ParseMessage(%q) = %+v, want an error", msg, e)
			}
		})
	}
}

func TestKeysArePrefixed(t *testing.T) {
	t.Parallel()
	if got := (revocation.Keys{}).Set(); got != "portcullis:revocations" {
		t.Errorf("default set key = %q", got)
	}
	if got := (revocation.Keys{Prefix: "t1"}).Channel(); got != "t1:revocations" {
		t.Errorf("prefixed channel = %q", got)
	}
}

// FuzzParseMessage: whatever arrives on the channel, parsing never panics, and
// every accepted message encodes back to itself.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		"1900000000123 jti:abc", "1 sid:s", "5 sub:10:u", "5 sub:10:a:b c", "", " ", "1 sub::",
		"0 jti:0", "12 jti:" + strings.Repeat("x", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		e, err := revocation.ParseMessage(msg)
		if err != nil {
			return
		}
		if e.ID == "" {
			t.Fatalf("accepted %q with an empty id", msg)
		}
		if got := e.Message(); got != msg {
			t.Fatalf("ParseMessage(%q).Message() = %q", msg, got)
		}
	})
}

// FuzzParseMember: the same for members loaded from the sorted set.
func FuzzParseMember(f *testing.F) {
	f.Add("jti:abc", 1.9e12)
	f.Add("sub:1:u", 0.0)
	f.Add("sid:", -1.0)
	f.Fuzz(func(t *testing.T, member string, score float64) {
		e, err := revocation.ParseMember(member, score)
		if err != nil {
			return
		}
		if got := e.Member(); got != member {
			t.Fatalf("ParseMember(%q).Member() = %q", member, got)
		}
	})
}

func sameEntry(a, b revocation.Entry) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.Before.Equal(b.Before) && a.Until.Equal(b.Until)
}
