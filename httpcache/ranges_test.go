package httpcache

import (
	"net/http"
	"testing"
)

// TestRFC9110_14_RangesFromAStoredResponse checks range requests answered
// from a stored full response: one byte range gets a 206, a range beyond
// the end a 416, several ranges or another unit the full response, and an
// If-Range that does not match the stored response the full response too.
// A range of a response not stored is the origin's to answer, and is not
// stored.
func TestRFC9110_14_RangesFromAStoredResponse(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), fixed(200, "0123456789", "Cache-Control", "max-age=60", "ETag", `"r"`,
			"Last-Modified", "Tue, 01 Jan 2030 10:00:00 GMT"))
		f := newFront(t, k.open(t), o, Config{})
		r := f.fetch("/r", "Range", "bytes=0-1")
		if r.hit() || o.lastHeader().Get("Range") != "bytes=0-1" || contains(r.header.Get("Cache-Status"), "stored") {
			t.Fatalf("a range on a miss: %v, origin saw Range %q", r.header, o.lastHeader().Get("Range"))
		}
		f.fetch("/r") // now stored
		for _, tc := range []struct {
			fields       []string
			status       int
			body, crange string
		}{
			{[]string{"Range", "bytes=2-4"}, 206, "234", "bytes 2-4/10"},
			{[]string{"Range", "bytes=7-"}, 206, "789", "bytes 7-9/10"},
			{[]string{"Range", "bytes=-3"}, 206, "789", "bytes 7-9/10"},
			{[]string{"Range", "bytes=8-100"}, 206, "89", "bytes 8-9/10"},
			{[]string{"Range", "bytes=20-"}, 416, "", "bytes */10"},
			{[]string{"Range", "bytes=0-1,4-5"}, 200, "0123456789", ""},
			{[]string{"Range", "items=0-1"}, 200, "0123456789", ""},
			{[]string{"Range", "bytes=2-4", "If-Range", `"r"`}, 206, "234", "bytes 2-4/10"},
			{[]string{"Range", "bytes=2-4", "If-Range", `"other"`}, 200, "0123456789", ""},
			{[]string{"Range", "bytes=2-4", "If-Range", `W/"r"`}, 200, "0123456789", ""},
			{[]string{"Range", "bytes=2-4", "If-Range", "Tue, 01 Jan 2030 10:00:00 GMT"}, 206, "234", "bytes 2-4/10"},
		} {
			r := f.fetch("/r", tc.fields...)
			if !r.hit() || r.status != tc.status || r.body != tc.body || r.header.Get("Content-Range") != tc.crange {
				t.Fatalf("%v: %d %q Content-Range %q (hit %v), want %d %q %q", tc.fields, r.status, r.body,
					r.header.Get("Content-Range"), r.hit(), tc.status, tc.body, tc.crange)
			}
		}
		o.expectHits(t, 2)
		if h := f.do(http.MethodHead, "/r", "Range", "bytes=2-4"); h.status != 206 || h.header.Get("Content-Length") != "3" || h.body != "" {
			t.Fatalf("HEAD with a range: %d %v", h.status, h.header)
		}
	})
}
