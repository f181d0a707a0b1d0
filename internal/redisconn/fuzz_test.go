package redisconn_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/redisconn"
)

// FuzzOptions: whatever the URL and mode, Validate and New agree, a refusal
// is one of the two sentinel errors, and a password that the URL holds
// shows neither in the error nor in Redacted.
func FuzzOptions(f *testing.F) {
	for _, seed := range []struct{ url, mode string }{
		{"redis://127.0.0.1:6379/0", ""},
		{"rediss://app:Passw0rdXyz@redis.example:6380/2?dial_timeout=2s&pool_size=20", "standalone"},
		{"unix:///run/redis.sock?db=1", ""},
		{"redis://:Passw0rdXyz@a:6379?addr=b:6379&addr=c:6379", "cluster"},
		{"redis://s1:26379/0?addr=s2:26379&master_name=m&password=Passw0rdXyz", "sentinel"},
		{"redis://:Passw0rdXyz@h:notaport/0", ""},
		{"redis:Passw0rdXyz@h", ""},
		{"redis://h:6379?pass%77ord=Passw0rdXyz&colour=red", "sentinel"},
		{"http://a:6379", "galaxy"},
	} {
		f.Add(seed.url, seed.mode)
	}
	f.Fuzz(func(t *testing.T, raw, mode string) {
		o := redisconn.Options{URL: raw, Mode: mode}
		verr := o.Validate()
		client, nerr := o.New()
		if client != nil {
			_ = client.Close()
		}
		if (verr == nil) != (nerr == nil) || (client == nil) == (nerr == nil) {
			t.Fatalf("Validate = %v but New = %v, %v", verr, client, nerr)
		}
		if verr != nil && !errors.Is(verr, redisconn.ErrUnknownMode) && !errors.Is(verr, redisconn.ErrInvalidURL) {
			t.Fatalf("error %v is neither ErrUnknownMode nor ErrInvalidURL", verr)
		}
		redacted := o.Redacted()
		for _, pw := range passwords(raw) {
			if strings.Contains(redacted, pw) {
				t.Fatalf("Redacted() = %q shows the password %q", redacted, pw)
			}
			if verr != nil && strings.Contains(verr.Error(), pw) && !strings.Contains(mode, pw) {
				t.Fatalf("the error shows the password %q: %v", pw, verr)
			}
		}
	})
}

// passwords are the passwords raw holds that are distinctive enough to look
// for in a text: eight letters and digits or more, found in raw once.
func passwords(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var found []string
	if p, ok := u.User.Password(); ok {
		found = append(found, p)
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(k); err == nil && strings.EqualFold(key, "password") {
			found = append(found, v)
		}
	}
	var distinctive []string
	for _, p := range found {
		if len(p) >= 8 && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" && strings.Count(raw, p) == 1 {
			distinctive = append(distinctive, p)
		}
	}
	return distinctive
}
