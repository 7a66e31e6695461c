package httpcache

import (
	"net/http"
	"strings"
)

// maxDelta is the largest delta-seconds value kept: RFC 9111 §1.2.2 has a
// cache that receives a larger one treat it as 2^31.
const maxDelta = 1 << 31

// directives are the Cache-Control directives of one message (RFC 9111
// §5.2), parsed once. Durations are in seconds; -1 means absent.
type directives struct {
	maxAge  int64
	sMaxAge int64
	// maxStale is the request's max-stale value; maxStaleAny is max-stale
	// without one (any staleness is accepted).
	maxStale    int64
	maxStaleAny bool
	minFresh    int64
	// swr and sie are RFC 5861's stale-while-revalidate and stale-if-error.
	swr, sie int64

	noCache       bool
	noCacheFields []string // a qualified no-cache: these fields need validation
	noStore       bool
	private       bool
	privateFields []string // a qualified private: only these fields are private
	public        bool
	mustRevalid   bool
	proxyRevalid  bool
	mustUnderstd  bool
	onlyIfCached  bool

	// badExpiry marks a max-age or s-maxage present with a value that is
	// not delta-seconds: the response is then treated as stale (§4.2.1).
	badExpiry bool
}

// parseDirectives reads every Cache-Control field line of h. Directive names
// are case-insensitive; when a directive appears twice, the first counts.
func parseDirectives(h http.Header) directives {
	d := directives{maxAge: -1, sMaxAge: -1, maxStale: -1, minFresh: -1, swr: -1, sie: -1}
	var seen uint32 // by index in directiveNames: no map on every request
	for _, line := range h.Values("Cache-Control") {
		for _, item := range splitList(line) {
			name, value, hasValue := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			value = unquote(strings.TrimSpace(value))
			bit := directiveBit(name)
			if bit == 0 || seen&bit != 0 {
				continue
			}
			seen |= bit
			switch name {
			case "max-age":
				d.maxAge = d.delta(value, hasValue, true)
			case "s-maxage":
				d.sMaxAge = d.delta(value, hasValue, true)
			case "max-stale":
				if !hasValue {
					d.maxStaleAny = true
				} else {
					d.maxStale = d.delta(value, true, false)
				}
			case "min-fresh":
				d.minFresh = d.delta(value, hasValue, false)
			case "stale-while-revalidate":
				d.swr = d.delta(value, hasValue, false)
			case "stale-if-error":
				d.sie = d.delta(value, hasValue, false)
			case "no-cache":
				d.noCache = true
				if hasValue {
					d.noCacheFields = fieldNames(value)
				}
			case "no-store":
				d.noStore = true
			case "private":
				d.private = true
				if hasValue {
					d.privateFields = fieldNames(value)
				}
			case "public":
				d.public = true
			case "must-revalidate":
				d.mustRevalid = true
			case "proxy-revalidate":
				d.proxyRevalid = true
			case "must-understand":
				d.mustUnderstd = true
			case "only-if-cached":
				d.onlyIfCached = true
			}
		}
	}
	return d
}

// directiveNames are the directives this cache acts on.
var directiveNames = [...]string{
	"max-age", "s-maxage", "max-stale", "min-fresh", "stale-while-revalidate", "stale-if-error",
	"no-cache", "no-store", "private", "public", "must-revalidate", "proxy-revalidate",
	"must-understand", "only-if-cached",
}

// directiveBit is a known directive's bit, 0 for others (which are ignored).
func directiveBit(name string) uint32 {
	for i, n := range directiveNames {
		if n == name {
			return 1 << i
		}
	}
	return 0
}

// delta parses delta-seconds. A bad value of an expiry directive marks the
// message stale; other directives with a bad value are ignored (-1).
func (d *directives) delta(v string, hasValue, expiry bool) int64 {
	n, ok := parseDelta(v)
	if !hasValue || !ok {
		if expiry {
			d.badExpiry = true
		}
		return -1
	}
	return n
}

// parseDelta reads 1*DIGIT, capped at 2^31 (RFC 9111 §1.2.2).
func parseDelta(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDelta {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, maxDelta), true
}

// fieldNames reads the field-name list of a qualified directive.
func fieldNames(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, http.CanonicalHeaderKey(f))
		}
	}
	return out
}

// splitList splits a comma-separated field value, leaving commas inside
// quoted strings alone, and drops empty members (RFC 9110 §5.6.1).
func splitList(v string) []string {
	var out []string
	start, quoted, escaped := 0, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			if m := strings.TrimSpace(v[start:i]); m != "" {
				out = append(out, m)
			}
			start = i + 1
		}
	}
	if m := strings.TrimSpace(v[start:]); m != "" {
		out = append(out, m)
	}
	return out
}

// unquote returns the content of a quoted-string, or v as it is.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' && i+1 < len(v)-1 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// requestNoCache reports whether a request asks that no stored response be
// used without validation: Cache-Control no-cache, or, when the request has
// no Cache-Control field, Pragma no-cache (RFC 9111 §5.4).
func requestNoCache(h http.Header, d directives) bool {
	if d.noCache {
		return true
	}
	if len(h.Values("Cache-Control")) > 0 {
		return false
	}
	for _, line := range h.Values("Pragma") {
		for _, item := range splitList(line) {
			if strings.EqualFold(item, "no-cache") {
				return true
			}
		}
	}
	return false
}
