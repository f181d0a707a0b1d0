package forward

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults and limits of a Destination.
const (
	DefaultIndex     = "portcullis-audit" // the Elasticsearch index
	DefaultBatchSize = 500
	MaxBatchSize     = 10_000
	DefaultTimeout   = 10 * time.Second
)

var (
	namePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	// Splunk index names: lower case, digits, _ and -, not starting with _ or -.
	hecIndexPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,79}$`)
)

// ErrDestination is wrapped by every error about a Destination's settings.
var ErrDestination = errors.New("audit forward: destination")

func badDestination(name, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrDestination, name, fmt.Sprintf(format, args...))
}

// checkName validates a destination (and cursor) name.
func checkName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%w name %q: want [a-z0-9_-]{1,64}", ErrDestination, name)
	}
	return nil
}

// checked validates d, fills its defaults and returns the request URL.
func (d *Destination) checked() (*url.URL, error) {
	if err := checkName(d.Name); err != nil {
		return nil, err
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return nil, badDestination(d.Name, "url is not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, badDestination(d.Name, "url scheme %q: want https or http", u.Scheme)
	case u.Host == "":
		return nil, badDestination(d.Name, "url has no host")
	case u.User != nil:
		// Credentials in a URL end up in logs; they belong in Token.
		return nil, badDestination(d.Name, "url carries credentials: put them in the token")
	case u.Fragment != "":
		return nil, badDestination(d.Name, "url has a fragment")
	case u.Scheme == "http" && d.Token != "" && !isLoopback(u.Hostname()):
		return nil, badDestination(d.Name, "a token is sent over plain http only to a loopback host: use https")
	}
	for _, c := range []byte(d.Token) {
		if c <= ' ' || c >= 0x7f { // the value of an HTTP header (and never echoed here)
			return nil, badDestination(d.Name, "token has a character that cannot go in an HTTP header")
		}
	}
	switch {
	case d.BatchSize == 0:
		d.BatchSize = DefaultBatchSize
	case d.BatchSize < 0 || d.BatchSize > MaxBatchSize:
		return nil, badDestination(d.Name, "batch size %d: want 1 to %d", d.BatchSize, MaxBatchSize)
	}
	switch {
	case d.Timeout == 0:
		d.Timeout = DefaultTimeout
	case d.Timeout < 0:
		return nil, badDestination(d.Name, "timeout %v is negative", d.Timeout)
	}
	switch d.Kind {
	case SplunkHEC:
		if d.Token == "" {
			return nil, badDestination(d.Name, "a Splunk HEC destination needs its token")
		}
		if d.Index != "" && !hecIndexPattern.MatchString(d.Index) {
			return nil, badDestination(d.Name, "Splunk index %q: want lower case letters, digits, _ and -", d.Index)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/services/collector/event"
		}
	case Elasticsearch:
		if d.Index == "" {
			d.Index = DefaultIndex
		}
		if why := checkESIndex(d.Index); why != "" {
			return nil, badDestination(d.Name, "Elasticsearch index %q %s", d.Index, why)
		}
		u.Path = strings.TrimSuffix(u.Path, "/") + "/_bulk"
		u.RawPath = ""
	default:
		return nil, badDestination(d.Name, "kind %q: want %s or %s", d.Kind, SplunkHEC, Elasticsearch)
	}
	return u, nil
}

// checkESIndex applies Elasticsearch's index name rules.
func checkESIndex(s string) string {
	switch {
	case len(s) > 255:
		return "is longer than 255 bytes"
	case s == "." || s == "..":
		return "is . or .."
	case strings.ContainsAny(s[:1], "-_+"):
		return "starts with -, _ or +"
	case strings.ContainsAny(s, `\/*?"<>| ,#:`):
		return `has one of \ / * ? " < > | space , # :`
	case strings.ToLower(s) != s:
		return "is not lower case"
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
