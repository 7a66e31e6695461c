package httpcache

import (
	"net/http"
	"time"
)

// freshen applies a 304 (or a HEAD response, RFC 9111 §4.3.5) with fields
// update to the stored response it validated, and returns the freshened
// record, or false when the response does not identify the stored one.
//
// §4.3.4 identifies the stored response by validators: a strong ETag must
// be the stored one's; a weak ETag, or a Last-Modified without an ETag,
// must match it; a response with no validator at all is taken to be about
// the one response it validated. §3.2 then updates every stored field with
// the new one's, except hop-by-hop fields and Content-Length; Age is
// recomputed from the validation exchange, whose request and response
// times become the record's.
func (c *Cache) freshen(stored *record, update http.Header, sent, received time.Time) (record, bool) {
	if !identifies(update, stored.Header) {
		return record{}, false
	}
	upd := update.Clone()
	stripHopByHop(upd)
	upd.Del("Content-Length")
	if upd.Get("Date") == "" {
		// The stored Date would make the freshened response look as old as
		// the stored one.
		upd.Set("Date", received.UTC().Format(http.TimeFormat))
	}
	merged := stored.Header.Clone()
	for k, vs := range upd {
		merged[k] = vs
	}
	cc := parseDirectives(merged)
	rec := c.newRecord(nil, stored.Status, merged, stored.Body, sent, received, cc)
	rec.Vary, rec.Select = stored.Vary, stored.Select
	return rec, true
}

// identifies reports whether a validation response with fields update is
// about the stored response with fields stored (RFC 9111 §4.3.4).
func identifies(update, stored http.Header) bool {
	if v := update.Get("ETag"); v != "" {
		got, ok := parseETag(v)
		own, ownOK := parseETag(stored.Get("ETag"))
		if !ok || !ownOK {
			return false
		}
		if !got.weak {
			return strongMatch(got, own)
		}
		return weakMatch(got, own)
	}
	if v := update.Get("Last-Modified"); v != "" {
		got, err := http.ParseTime(v)
		own, ownErr := http.ParseTime(stored.Get("Last-Modified"))
		return err == nil && ownErr == nil && got.Equal(own)
	}
	return true
}
