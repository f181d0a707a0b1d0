package forward

import (
	"strconv"
	"strings"
	"unicode"
)

// clean makes a collector's text safe to put in an error (and so in a log):
// printable, on one line, bounded.
func clean(s string) string {
	const max = 300
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}

// excerpt quotes the start of an answer that is not what was expected.
func excerpt(body []byte) string {
	if len(body) == 0 {
		return "empty body"
	}
	return strconv.Quote(clean(string(body[:min(len(body), 300)])))
}
