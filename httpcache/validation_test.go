package httpcache

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// TestRFC9111_4_3_1_ValidationRequests checks that a stale response is
// revalidated with its own validators, If-None-Match from its ETag and
// If-Modified-Since from its Last-Modified, and that the client's own
// conditionals are not passed on with them.
func TestRFC9111_4_3_1_ValidationRequests(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		lm := "Tue, 01 Jan 2030 10:00:00 GMT"
		o := newOrigin(t, clk, fixed(200, "x", "Cache-Control", "max-age=10", "ETag", `W/"w1"`, "Last-Modified", lm))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/c")
		clk.advance(11 * time.Second)
		f.fetch("/c", "If-None-Match", `"client"`)
		got := o.lastHeader()
		if got.Get("Via") != "1.1 valcache" {
			t.Fatalf("Via %q", got.Get("Via"))
		}
		if got.Get("If-None-Match") != `W/"w1"` || got.Get("If-Modified-Since") != lm {
			t.Fatalf("validation request fields: If-None-Match %q, If-Modified-Since %q", got.Get("If-None-Match"), got.Get("If-Modified-Since"))
		}
		// A miss is fetched without conditionals: the cache wants the whole
		// response, and answers the client's conditional itself.
		f.fetch("/other", "If-None-Match", `"client"`, "If-Modified-Since", lm)
		if got := o.lastHeader(); got.Get("If-None-Match") != "" || got.Get("If-Modified-Since") != "" {
			t.Fatalf("client conditionals forwarded on a miss: %v", got)
		}
	})
}

// TestRFC9111_4_3_2_ClientConditionals checks that a cache answers a
// client's If-None-Match (weak comparison) and If-Modified-Since from a
// fresh stored response, with a 304 carrying the fields a 304 carries, and
// passes If-Match and If-Unmodified-Since, which only the origin
// evaluates, to the origin.
func TestRFC9111_4_3_2_ClientConditionals(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		lm := "Tue, 01 Jan 2030 10:00:00 GMT"
		o := newOrigin(t, clk, fixed(200, "body", "Cache-Control", "max-age=60", "ETag", `"v1"`, "Last-Modified", lm, "X-Other", "1"))
		f := newFront(t, k.open(t), o, Config{})
		// The first client's own conditional is answered as the response
		// arrives.
		if r := f.fetch("/c", "If-None-Match", `"v1"`); r.status != http.StatusNotModified || r.body != "" {
			t.Fatalf("first request: %d %q", r.status, r.body)
		}
		for _, tc := range []struct {
			fields []string
			status int
		}{
			{[]string{"If-None-Match", `W/"v1"`}, 304},
			{[]string{"If-None-Match", `"v0", "v1"`}, 304},
			{[]string{"If-None-Match", "*"}, 304},
			{[]string{"If-None-Match", `"v2"`}, 200},
			{[]string{"If-Modified-Since", lm}, 304},
			{[]string{"If-Modified-Since", "Tue, 01 Jan 2030 09:59:59 GMT"}, 200},
			// If-None-Match takes precedence over If-Modified-Since.
			{[]string{"If-None-Match", `"v2"`, "If-Modified-Since", lm}, 200},
		} {
			r := f.fetch("/c", tc.fields...)
			if r.status != tc.status || !r.hit() {
				t.Fatalf("%v: %d (hit %v), want %d from storage", tc.fields, r.status, r.hit(), tc.status)
			}
			if tc.status == 304 && (r.header.Get("ETag") != `"v1"` || r.header.Get("X-Other") != "" || r.body != "") {
				t.Fatalf("%v: 304 fields %v, body %q", tc.fields, r.header, r.body)
			}
		}
		o.expectHits(t, 1)
		for _, pre := range [][]string{{"If-Match", `"v1"`}, {"If-Unmodified-Since", lm}} {
			if r := f.fetch("/c", pre...); r.hit() {
				t.Fatalf("%s answered by the cache", pre[0])
			}
			if o.lastHeader().Get(pre[0]) != pre[1] {
				t.Fatalf("%s not passed to the origin", pre[0])
			}
		}
	})
}

// TestRFC9111_4_3_4_FreshenOnlyWhatTheValidatorIdentifies checks that a
// 304 freshens the stored response only when its strong ETag is the
// stored one's; otherwise the response is fetched in full.
func TestRFC9111_4_3_4_FreshenOnlyWhatTheValidatorIdentifies(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, fixed(200, "old", "Cache-Control", "max-age=10", "ETag", `"a"`))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/i")
		clk.advance(11 * time.Second)
		o.set(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != "" {
				w.Header().Set("ETag", `"b"`) // a 304 about another representation
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Cache-Control", "max-age=10")
			w.Header().Set("ETag", `"b"`)
			_, _ = io.WriteString(w, "new")
		})
		f.fetch("/i").expect(t, 200, "new")
		o.expectHits(t, 3) // the validation, then the full request
		if r := f.fetch("/i"); !r.hit() || r.body != "new" {
			t.Fatalf("after refetch: %v %q", r.header, r.body)
		}
	})
}

// TestRFC9111_4_3_5_HeadIsServedFromStoredGet checks that HEAD is answered
// from a stored GET response (fields and length, no body), that a HEAD
// miss goes to the origin as HEAD and stores nothing, and that a HEAD
// response whose validator differs invalidates the stored GET response.
func TestRFC9111_4_3_5_HeadIsServedFromStoredGet(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, fixed(200, "twelve bytes", "Cache-Control", "max-age=10", "ETag", `"h1"`))
		f := newFront(t, k.open(t), o, Config{})
		h := f.do(http.MethodHead, "/h")
		f.settle()
		if h.status != 200 || o.methodsSeen()[0] != http.MethodHead {
			t.Fatalf("HEAD miss: %d, origin saw %v", h.status, o.methodsSeen())
		}
		if r := f.fetch("/h"); r.hit() {
			t.Fatal("a HEAD response was stored")
		}
		h = f.do(http.MethodHead, "/h")
		if !h.hit() || h.body != "" || h.header.Get("Content-Length") != "12" {
			t.Fatalf("HEAD from the stored GET: %v %q", h.header, h.body)
		}
		o.expectHits(t, 2)
		clk.advance(11 * time.Second)
		o.set(fixed(200, "other body", "Cache-Control", "max-age=10", "ETag", `"h2"`))
		f.do(http.MethodHead, "/h") // stale: to the origin, which says it changed
		f.settle()
		if r := f.fetch("/h", "Cache-Control", "max-stale"); r.hit() {
			t.Fatalf("the GET response outlived a HEAD with another ETag: %v", r.header)
		}
	})
}
