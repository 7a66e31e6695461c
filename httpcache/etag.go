package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// etag is an entity tag (RFC 9110 §8.8.3): its opaque-tag, quotes
// included, and whether it is weak.
type etag struct {
	opaque string
	weak   bool
}

// parseETag reads one entity-tag; ok is false for anything else.
func parseETag(s string) (etag, bool) {
	s = strings.TrimSpace(s)
	weak := false
	if strings.HasPrefix(s, "W/") {
		weak, s = true, s[2:]
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' || strings.Contains(s[1:len(s)-1], `"`) {
		return etag{}, false
	}
	return etag{opaque: s, weak: weak}, true
}

// strongMatch is the strong comparison: both strong, and the same.
func strongMatch(a, b etag) bool { return !a.weak && !b.weak && a.opaque == b.opaque }

// weakMatch is the weak comparison: the same opaque-tag, weak or not.
func weakMatch(a, b etag) bool { return a.opaque == b.opaque }

// etagList reads an If-None-Match or If-Match field: "*" or a list of
// entity tags. Members that are not entity tags are ignored.
func etagList(h http.Header, name string) (tags []etag, any, present bool) {
	lines := h.Values(name)
	if len(lines) == 0 {
		return nil, false, false
	}
	for _, line := range lines {
		for _, m := range splitList(line) {
			if m == "*" {
				any = true
				continue
			}
			if t, ok := parseETag(m); ok {
				tags = append(tags, t)
			}
		}
	}
	return tags, any, true
}

// notModified reports whether a client's conditional GET or HEAD is
// answered with 304 from a stored response with the given fields (RFC 9110
// §13.2.2 and RFC 9111 §4.3.2): If-None-Match, by weak comparison, when
// the request has it; else If-Modified-Since against the response's
// Last-Modified, or its Date, or when it was received.
func notModified(req, stored http.Header, received time.Time) bool {
	if tags, any, present := etagList(req, "If-None-Match"); present {
		if any {
			return true
		}
		own, ok := parseETag(stored.Get("ETag"))
		if !ok {
			return false
		}
		for _, t := range tags {
			if weakMatch(t, own) {
				return true
			}
		}
		return false
	}
	ims, err := http.ParseTime(req.Get("If-Modified-Since"))
	if err != nil {
		return false
	}
	modified := received
	if lm, err := http.ParseTime(stored.Get("Last-Modified")); err == nil {
		modified = lm
	} else if d, err := http.ParseTime(stored.Get("Date")); err == nil {
		modified = d
	}
	return !modified.Truncate(time.Second).After(ims)
}

// hasClientConditional reports whether a request carries a precondition
// the cache may answer itself.
func hasClientConditional(h http.Header) bool {
	return h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != ""
}

// originOnlyPrecondition reports If-Match or If-Unmodified-Since, which a
// cache does not evaluate (RFC 9111 §4.3.2): such requests go to the origin.
func originOnlyPrecondition(h http.Header) bool {
	return h.Get("If-Match") != "" || h.Get("If-Unmodified-Since") != ""
}
