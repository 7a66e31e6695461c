package httpcache

import (
	"net/http"
	"strings"
)

// understood lists the final status codes whose caching semantics this
// cache implements: those of RFC 9110 (with 429 and 451), less 206 and 304,
// whose special handling it does not store. must-understand responses with
// any other status are not stored (RFC 9111 §5.2.2.3).
var understood = map[int]bool{
	200: true, 201: true, 202: true, 203: true, 204: true, 205: true,
	300: true, 301: true, 302: true, 303: true, 307: true, 308: true,
	400: true, 401: true, 402: true, 403: true, 404: true, 405: true, 406: true, 407: true,
	408: true, 409: true, 410: true, 411: true, 412: true, 413: true, 414: true, 415: true,
	416: true, 417: true, 421: true, 422: true, 426: true, 429: true, 451: true,
	500: true, 501: true, 502: true, 503: true, 504: true, 505: true,
}

// storability is the verdict of RFC 9111 §3 on one response.
type storability struct {
	ok bool
	// personal marks a response meant for the client that asked alone
	// (no-store, private, a cookie, credentials, Vary: *): it is never
	// stored nor passed to other requests.
	personal bool
	why      string // when not ok: the rule that forbids it, for logs and Cache-Status
}

// storable applies RFC 9111 §3 as a shared cache, with this cache's own
// policies: a GET response is stored only if its status is final and
// understood, neither message says no-store, the response is not private,
// a request with credentials got a response that allows shared caching
// (§3.5), it does not vary on everything, and it has an explicit
// expiration, is public, or has a heuristically cacheable status.
func (c *Cache) storable(req *http.Request, reqCC directives, status int, header http.Header, cc directives) storability {
	known := understood[status]
	switch {
	case req.Method != http.MethodGet:
		return storability{why: "method"}
	case reqCC.noStore:
		return storability{personal: true, why: "request no-store"}
	case cc.mustUnderstd && !known:
		return storability{why: "status not understood"}
	case cc.noStore && !(cc.mustUnderstd && known):
		return storability{personal: true, why: "no-store"}
	case cc.private && len(cc.privateFields) == 0:
		return storability{personal: true, why: "private"}
	case req.Header.Get("Authorization") != "" && !(cc.public || cc.sMaxAge >= 0 || cc.mustRevalid):
		return storability{personal: true, why: "authorization"}
	case len(header.Values("Set-Cookie")) > 0 && c.cfg.SetCookie == PassSetCookie && !privateField(cc, "Set-Cookie"):
		return storability{personal: true, why: "set-cookie"}
	case !known:
		return storability{why: "status"}
	}
	if _, star := varyNames(header); star {
		return storability{personal: true, why: "vary"}
	}
	if header.Get("Trailer") != "" {
		return storability{why: "trailers"}
	}
	if mt, _, _ := strings.Cut(header.Get("Content-Type"), ";"); strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
		// A stream of events has no end to wait for: it is passed on, and
		// the requests waiting for it ask for their own at once.
		return storability{why: "event stream"}
	}
	explicit := cc.public || cc.maxAge >= 0 || cc.sMaxAge >= 0 || cc.badExpiry || len(header.Values("Expires")) > 0
	if !explicit && !heuristicStatus[status] {
		return storability{why: "no freshness information"}
	}
	return storability{ok: true}
}

// privateField reports whether a qualified private directive names field:
// the response may then be stored without it.
func privateField(cc directives, field string) bool {
	for _, f := range cc.privateFields {
		if f == field {
			return true
		}
	}
	return false
}

// hopByHop lists the fields that describe one connection or one proxy and
// are never stored or sent on (RFC 9110 §7.6.1, RFC 9111 §3.1).
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Proxy-Authenticate", "Proxy-Authentication-Info", "Proxy-Authorization",
}

// stripHopByHop removes hop-by-hop fields and those the Connection field
// names from h.
func stripHopByHop(h http.Header) {
	for _, line := range h.Values("Connection") {
		for _, name := range splitList(line) {
			h.Del(name)
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

// storedHeader is the header kept with a stored response: without
// hop-by-hop fields (§3.1), Age (recomputed on every use), Content-Length
// (the stored body says it), fields a qualified private directive names
// (§5.2.2.7), and Set-Cookie unless the policy keeps it; with a Date,
// added when the origin sent none (RFC 9110 §6.6.1).
func (c *Cache) storedHeader(header http.Header, cc directives, received string) http.Header {
	out := header.Clone()
	stripHopByHop(out)
	out.Del("Age")
	out.Del("Content-Length")
	for _, f := range cc.privateFields {
		out.Del(f)
	}
	if c.cfg.SetCookie != StoreSetCookie {
		out.Del("Set-Cookie")
	}
	if out.Get("Date") == "" {
		out.Set("Date", received)
	}
	return out
}

// tagsOf reads the tag field: space-separated tags, over any number of
// lines.
func (c *Cache) tagsOf(header http.Header) []string {
	var tags []string
	for _, line := range header.Values(c.cfg.TagHeader) {
		tags = append(tags, strings.Fields(line)...)
	}
	return tags
}
