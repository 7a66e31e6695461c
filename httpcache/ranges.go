package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// replyRange answers a range request from a stored full response (RFC
// 9110 §14): one byte range gets a 206 with that part, a range beyond the
// end a 416. It returns false, and the caller sends the full response,
// when the request's If-Range does not match the stored response, or when
// its Range is not one satisfiable-looking byte range (other units and
// several ranges are answered in full, as §14.2 allows).
func (c *Cache) replyRange(w http.ResponseWriter, q *request, rec *record) bool {
	if ir := q.r.Header.Get("If-Range"); ir != "" && !ifRangeMatches(ir, rec) {
		return false
	}
	size := int64(len(rec.Body))
	first, last, ok := parseRange(q.r.Header.Get("Range"), size)
	if !ok {
		return false
	}
	h := w.Header()
	if first >= size {
		h.Del("Content-Length")
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return true
	}
	h.Set("Content-Range", "bytes "+strconv.FormatInt(first, 10)+"-"+strconv.FormatInt(last, 10)+"/"+strconv.FormatInt(size, 10))
	h.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
	w.WriteHeader(http.StatusPartialContent)
	if q.r.Method != http.MethodHead {
		_, _ = w.Write(rec.Body[first : last+1])
	}
	return true
}

// parseRange reads a Range field of exactly one byte range, against a
// representation of size bytes: first-last, first- or -suffix. A first
// position at or beyond size comes back as is, for a 416.
func parseRange(v string, size int64) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	if a == "" { // a suffix: the last b bytes
		n, ok := parseDelta(b)
		if !ok || n == 0 {
			return 0, 0, false
		}
		if size == 0 {
			return 0, 0, true // nothing to return: 416
		}
		return max(size-n, 0), size - 1, true
	}
	first, okA := parseDelta(a)
	if !okA {
		return 0, 0, false
	}
	last = size - 1
	if b != "" {
		n, okB := parseDelta(b)
		if !okB || n < first {
			return 0, 0, false
		}
		last = min(n, size-1)
	}
	return first, last, true
}

// ifRangeMatches evaluates If-Range against the stored response (RFC 9110
// §13.1.5): an entity tag matches by strong comparison; a date matches the
// Last-Modified exactly, and only when that is a strong validator (a second
// or more before the response's Date).
func ifRangeMatches(v string, rec *record) bool {
	if t, ok := parseETag(v); ok {
		own, ownOK := parseETag(rec.Header.Get("ETag"))
		return ownOK && strongMatch(t, own)
	}
	d, err := http.ParseTime(v)
	if err != nil {
		return false
	}
	lm, err := http.ParseTime(rec.Header.Get("Last-Modified"))
	if err != nil || !lm.Equal(d) {
		return false
	}
	date := dateValue(rec.Header, time.Unix(0, rec.Received))
	return date.Sub(lm) >= time.Second
}
