package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cacheStatus is this cache's member of the Cache-Status field (RFC 9211):
// how it handled the request.
type cacheStatus struct {
	hit bool
	// fwd says why the request went to the origin: bypass, method,
	// uri-miss, vary-miss, request, stale, or partial (§2.2).
	fwd       string
	fwdStatus int
	// ttl is the response's remaining freshness, negative when it was
	// served stale; set when a stored response is served.
	ttl    time.Duration
	hasTTL bool
	stored bool
	// collapsed reports a request served the response of an origin request
	// another request made (§2.5); uncollapsed one that waited for another's
	// and then had to ask the origin itself (collapsed=?0).
	collapsed, uncollapsed bool
	detail                 string
}

// Forward reasons of RFC 9211 §2.2.
const (
	fwdBypass   = "bypass"
	fwdMethod   = "method"
	fwdURIMiss  = "uri-miss"
	fwdVaryMiss = "vary-miss"
	fwdRequest  = "request"
	fwdStale    = "stale"
	fwdPartial  = "partial"
)

// setCacheStatus appends this cache's member to h's Cache-Status: the
// members of caches nearer the origin, which the origin's response brought,
// come first.
func (c *Cache) setCacheStatus(h http.Header, s cacheStatus) {
	var b strings.Builder
	b.WriteString(c.cfg.CacheStatusName)
	if s.hit {
		b.WriteString("; hit")
	}
	if s.fwd != "" {
		b.WriteString("; fwd=")
		b.WriteString(s.fwd)
	}
	if s.fwdStatus != 0 {
		b.WriteString("; fwd-status=")
		b.WriteString(strconv.Itoa(s.fwdStatus))
	}
	if s.hasTTL {
		b.WriteString("; ttl=")
		b.WriteString(strconv.FormatInt(int64(s.ttl/time.Second), 10))
	}
	if s.stored {
		b.WriteString("; stored")
	}
	if s.collapsed {
		b.WriteString("; collapsed")
	} else if s.uncollapsed {
		b.WriteString("; collapsed=?0")
	}
	if s.detail != "" {
		b.WriteString("; detail=")
		b.WriteString(s.detail)
	}
	member := b.String()
	if prior := strings.Join(h.Values("Cache-Status"), ", "); prior != "" {
		member = prior + ", " + member
	}
	h.Set("Cache-Status", member)
}
