package httpcache

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// notModifiedFields are the stored fields a 304 carries (RFC 9110
// §15.4.5): those a 200 would have sent that guide caches, and
// Last-Modified, useful when there is no ETag.
var notModifiedFields = map[string]bool{
	"Cache-Control": true, "Content-Location": true, "Date": true, "Etag": true,
	"Expires": true, "Vary": true, "Last-Modified": true, "Cache-Status": true,
}

// reply answers q with a stored response: its fields (without those a
// qualified no-cache reserves for validated responses, unless validated,
// and without the tag field unless exposed), an Age of its current age
// (RFC 9111 §4, §5.1), this cache's Cache-Status, and the body, or a 304
// when the client's own conditional matches (§4.3.2), or the range asked
// for.
func (c *Cache) reply(w http.ResponseWriter, q *request, rec *record, cs cacheStatus, validated bool) {
	now := c.now()
	h := w.Header()
	cs.ttl, cs.hasTTL = rec.ttl(now), true
	notMod := rec.Status/100 == 2 && hasClientConditional(q.r.Header) &&
		notModified(q.r.Header, rec.Header, time.Unix(0, rec.Received))
	for k, vs := range rec.Header {
		if notMod && !notModifiedFields[k] {
			continue
		}
		h[k] = slices.Clone(vs)
	}
	if !validated {
		for _, f := range rec.NoCacheFields {
			h.Del(f)
		}
	}
	if !c.cfg.ExposeTagHeader {
		h.Del(c.cfg.TagHeader)
	}
	h.Set("Age", strconv.FormatInt(int64(rec.age(now)/time.Second), 10))
	c.setCacheStatus(h, cs)
	if notMod {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if rec.Status == http.StatusOK && q.r.Header.Get("Range") != "" && c.replyRange(w, q, rec) {
		return
	}
	if bodyAllowed(rec.Status) {
		h.Set("Content-Length", strconv.Itoa(len(rec.Body)))
	}
	w.WriteHeader(rec.Status)
	if q.r.Method != http.MethodHead && bodyAllowed(rec.Status) {
		_, _ = w.Write(rec.Body)
	}
}

// bodyAllowed reports whether a response with status may have content.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// gatewayError answers q with a 502 or 504 the cache makes itself.
func (c *Cache) gatewayError(w http.ResponseWriter, status int, cs cacheStatus, msg string) {
	c.stats.gatewayErrors.Add(1)
	c.setCacheStatus(w.Header(), cs)
	http.Error(w, msg, status)
}
