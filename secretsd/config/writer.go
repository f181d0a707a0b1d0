package config

import (
	"os"
	"strings"
)

// maxWriterName is the longest audit writer name (audit/trail's rule:
// [a-z0-9][a-z0-9._-]{0,63}).
const maxWriterName = 64

// DefaultWriter is "secretsd-" + this host's name, lower-cased, with every
// character the trail does not allow in a writer name replaced by "-".
func DefaultWriter() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return WriterName("secretsd-" + host)
}

// WriterName makes s a valid audit writer name: lower case, characters
// outside [a-z0-9._-] replaced by "-", at most 64 characters.
func WriterName(s string) string {
	s = strings.ToLower(s)
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	if len(b) > maxWriterName {
		b = b[:maxWriterName]
	}
	return string(b)
}

// validWriter is the trail's rule for a writer name.
func validWriter(s string) bool {
	if s == "" || len(s) > maxWriterName || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return WriterName(s) == s
}
