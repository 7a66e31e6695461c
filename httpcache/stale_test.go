package httpcache

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRFC5861_3_StaleWhileRevalidate checks that a response within its
// stale-while-revalidate window is served at once while one background
// request revalidates it (for the whole fleet where the store elects
// loaders), that the revalidated response is then served fresh, and that
// past the window the request waits for the origin.
func TestRFC5861_3_StaleWhileRevalidate(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		var version atomic.Int64
		release := make(chan struct{})
		var revalidations atomic.Int64
		o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != "" {
				revalidations.Add(1)
				<-release // the revalidation takes until the test lets it go
			}
			w.Header().Set("Cache-Control", "max-age=10, stale-while-revalidate=30")
			w.Header().Set("ETag", `"`+strconv.FormatInt(version.Add(1), 10)+`"`)
			_, _ = io.WriteString(w, "v"+strconv.FormatInt(version.Load(), 10))
		})
		ns := uniqueNamespace(t)
		// Two instances: on Valkey they share one background revalidation.
		fronts := []*front{newFront(t, k.open(t), o, Config{Namespace: ns}), newFront(t, k.open(t), o, Config{Namespace: ns})}
		if k.name == "memory" {
			fronts = fronts[:1] // an in-process store elects nothing across instances
		}
		for _, f := range fronts {
			f.host = "shop.example"
		}
		fronts[0].fetch("/s").expect(t, 200, "v1")
		clk.advance(15 * time.Second)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := fronts[i%len(fronts)].get("/s")
				if r.body != "v1" || !r.hit() || !contains(r.header.Get("Cache-Status"), "detail=stale-while-revalidate") {
					t.Errorf("stale request %d: %d %q %v", i, r.status, r.body, r.header)
				}
			}()
		}
		wg.Wait() // every stale request was answered while the revalidation is held
		eventually(t, 20*time.Second, "a revalidation starts", func() bool { return revalidations.Load() >= 1 })
		close(release)
		for _, f := range fronts {
			f.settle()
		}
		if n := revalidations.Load(); n != 1 {
			t.Fatalf("%d background revalidations for %d instances, want 1", n, len(fronts))
		}
		for _, f := range fronts {
			eventually(t, 20*time.Second, "the revalidated response is served", func() bool {
				r := f.fetch("/s")
				return r.hit() && r.body == "v2" && r.header.Get("Age") == "0"
			})
		}
		clk.advance(45 * time.Second) // 35 s stale: beyond the window
		if r := fronts[0].fetch("/s"); r.hit() || r.body != "v3" {
			t.Fatalf("past the window: %v %q", r.header, r.body)
		}
	})
}

// TestRFC5861_3_ConfiguredStaleWhileRevalidate checks the configured window
// for responses that state none, and that a response's own directive wins.
func TestRFC5861_3_ConfiguredStaleWhileRevalidate(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, fixed(200, "x", "Cache-Control", "max-age=10"))
		f := newFront(t, k.open(t), o, Config{StaleWhileRevalidate: 20 * time.Second})
		f.fetch("/c")
		clk.advance(25 * time.Second)
		if r := f.get("/c"); !r.hit() {
			t.Fatalf("within the configured window: %v", r.header)
		}
		f.settle()
		o.set(fixed(200, "x", "Cache-Control", "max-age=10, stale-while-revalidate=2"))
		clk.advance(11 * time.Second)
		f.fetch("/c") // refetched in the background with the origin's own window
		clk.advance(15 * time.Second)
		if r := f.fetch("/c"); r.hit() {
			t.Fatalf("the response's window of 2 s ignored: %v", r.header)
		}
	})
}

// TestRFC5861_4_StaleIfError checks that a stale response within its
// stale-if-error window answers when the origin answers a server error or
// cannot be reached, that a request's own stale-if-error extends it, and
// that past it the origin's error (or a gateway error) is passed on.
func TestRFC5861_4_StaleIfError(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, fixed(200, "good", "Cache-Control", "max-age=10, stale-if-error=60"))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/e")
		clk.advance(30 * time.Second)
		o.set(fixed(http.StatusServiceUnavailable, "down"))
		r := f.fetch("/e")
		r.expect(t, 200, "good")
		if !r.hit() || !contains(r.header.Get("Cache-Status"), "detail=stale-if-error") {
			t.Fatalf("503 with a stale response: %v", r.header)
		}
		clk.advance(35 * time.Second) // 55 s stale
		o.Close()
		f.fetch("/e").expect(t, 200, "good")
		clk.advance(10 * time.Second) // 65 s stale
		if r := f.fetch("/e"); r.status != http.StatusBadGateway {
			t.Fatalf("past the window with the origin down: %d %q", r.status, r.body)
		}
		if r := f.fetch("/e", "Cache-Control", "stale-if-error=120"); r.status != 200 || r.body != "good" {
			t.Fatalf("the request's stale-if-error=120: %d %q", r.status, r.body)
		}
		if got := f.cache.Stats().StaleIfError; got != 3 {
			t.Fatalf("Stats().StaleIfError = %d, want 3", got)
		}

		// A server error past the window is passed on as it is.
		o2 := newOrigin(t, clk, fixed(200, "good", "Cache-Control", "max-age=10, stale-if-error=5"))
		g := newFront(t, k.open(t), o2, Config{})
		g.fetch("/e")
		clk.advance(30 * time.Second)
		o2.set(fixed(http.StatusInternalServerError, "broken"))
		g.fetch("/e").expect(t, http.StatusInternalServerError, "broken")
	})
}

// TestRFC5861_3_AStaleHeadRevalidatesWithGet checks that a HEAD answered
// from a stale stored GET response revalidates that response with a GET,
// so that what is stored keeps its body.
func TestRFC5861_3_AStaleHeadRevalidatesWithGet(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, fixed(200, "the body", "Cache-Control", "max-age=10, stale-while-revalidate=60"))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/h")
		clk.advance(20 * time.Second)
		if h := f.do(http.MethodHead, "/h"); !h.hit() || h.header.Get("Content-Length") != "8" {
			t.Fatalf("stale HEAD: %v", h.header)
		}
		f.settle()
		if ms := o.methodsSeen(); ms[len(ms)-1] != http.MethodGet {
			t.Fatalf("revalidated with %s", ms[len(ms)-1])
		}
		if r := f.fetch("/h"); !r.hit() || r.body != "the body" || r.header.Get("Age") != "0" {
			t.Fatalf("after the revalidation: %v %q", r.header, r.body)
		}
	})
}
