package ratelimit

import (
	"strconv"
	"time"

	rl "github.com/portcullis/portcullis/internal/ratelimit"
)

// The RateLimit and RateLimit-Policy fields follow
// draft-ietf-httpapi-ratelimit-headers-10: Structured Field lists (RFC 9651)
// of items whose value is the policy name as a string.

// policyItem is a zone's RateLimit-Policy item: quota q per window w (s).
func policyItem(z *Zone) string {
	return strconv.Quote(z.Name) + ";q=" + strconv.Itoa(z.Events) +
		";w=" + strconv.FormatInt(ceilSeconds(time.Duration(z.Window)), 10)
}

// rateLimitItem is a zone's RateLimit item: r remaining, t seconds until the
// client can make progress (see the package doc).
func rateLimitItem(name string, d rl.Decision) string {
	var buf [96]byte
	b := append(buf[:0], '"')
	b = append(b, name...) // zone names need no escaping (rl.ZoneNamePattern)
	b = append(b, `";r=`...)
	b = strconv.AppendInt(b, d.Remaining, 10)
	b = append(b, ";t="...)
	t := d.Reset
	if d.Remaining == 0 {
		t = d.RetryAfter
	}
	b = strconv.AppendInt(b, ceilSeconds(t), 10)
	return string(b)
}

// mostRestrictive picks the zone the RateLimit field reports: on refusal the
// refusing zone with the longest wait, else the zone with the fewest events
// left (the soonest wait on ties).
func mostRestrictive(out []rl.Decision, allowed bool) int {
	best := 0
	for i := 1; i < len(out); i++ {
		a, b := out[i], out[best]
		if !allowed {
			if !a.Allowed && (b.Allowed || a.RetryAfter > b.RetryAfter) {
				best = i
			}
			continue
		}
		if a.Remaining < b.Remaining || (a.Remaining == b.Remaining && a.RetryAfter > b.RetryAfter) {
			best = i
		}
	}
	return best
}

// ceilSeconds rounds d up to whole seconds (RFC 9110 §10.2.3 delay-seconds).
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
