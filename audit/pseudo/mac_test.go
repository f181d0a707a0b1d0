package pseudo_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/audit/pseudo"
)

// want is the documented pseudonym, computed independently with a fresh HMAC.
func want(k pseudo.Key, domain, value string) string {
	m := hmac.New(sha256.New, k.Secret)
	m.Write([]byte(domain + "\x00" + value))
	return k.ID + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// The pooled HMAC states must give the same pseudonym as a fresh HMAC, for
// every key, whatever was hashed before with the same state, and when many
// goroutines hash at once.
func TestPseudonymsMatchAFreshHMAC(t *testing.T) {
	t.Parallel()
	k1, k2 := key("p2", 2), key("p1", 1)
	p := newP(t, nil, k1, k2)
	values := []string{"", "u-1", "alice@example.com", strings.Repeat("long", 2000), "u-1", "日本\x00"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				for _, v := range values {
					if got, w := p.User(v), want(k1, pseudo.FieldUserID, v); got != w {
						t.Errorf("User(%.20q) = %q, want %q", v, got, w)
						return
					}
					all, err := p.HashAll(pseudo.FieldUserName, v)
					if err != nil {
						t.Error(err)
						return
					}
					if all[0] != want(k1, pseudo.FieldUserName, v) || all[1] != want(k2, pseudo.FieldUserName, v) {
						t.Errorf("HashAll(%.20q) = %q", v, all)
						return
					}
				}
				if got, w := p.Email(" Bob@Example.com"), want(k1, "email", "bob@example.com"); got != w {
					t.Errorf("Email = %q, want %q", got, w)
					return
				}
				for addr, canonical := range map[string]string{
					"203.0.113.77":        "203.0.113.77",
					"::ffff:203.0.113.77": "203.0.113.77",
					"2001:DB8::1%eth0":    "2001:db8::1",
				} {
					_, h, err := p.IP(addr)
					if err != nil || h != want(k1, "ip", canonical) {
						t.Errorf("IP(%s) hash = %q, %v", addr, h, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkUser is one pseudonym: the trail makes two or three per event.
func BenchmarkUser(b *testing.B) {
	p := newP(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.User("alice.personal@example.com")
	}
}
