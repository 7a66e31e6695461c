package httpcache

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestCloseLeavesNoGoroutine closes a cache while a background
// revalidation waits for a hung origin and a request waits for it: Close
// cancels and waits for them, and once the servers are closed no goroutine
// of the cache is left. After Close, requests go straight to the origin.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t) // before the snapshot: the provider is not the cache's
		before := goleak.IgnoreCurrent()
		clk := newClock()
		hang := make(chan struct{})
		o := newOrigin(t, clk, fixed(200, "x", "Cache-Control", "max-age=10, stale-while-revalidate=100"))
		var unhang sync.Once
		release := func() { unhang.Do(func() { close(hang) }) }
		t.Cleanup(release) // before the origin closes, which waits for its handlers
		c, err := New(p, Config{Namespace: uniqueNamespace(t), clock: clk.now, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		target, _ := url.Parse(o.URL)
		srv := httptest.NewServer(NewProxy(c, target))
		get := func(path string) (*http.Response, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
			resp, err := testTransport.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			return resp, err
		}
		if _, err := get("/s"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "stored", func() bool {
			resp, err := get("/s")
			return err == nil && contains(resp.Header.Get("Cache-Status"), "hit")
		})
		o.set(func(w http.ResponseWriter, r *http.Request) { <-hang })
		clk.advance(20 * time.Second)
		if _, err := get("/s"); err != nil { // stale: served, revalidated in the background
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "the revalidation reaches the origin", func() bool { return o.hits.Load() >= 2 })
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		o.set(fixed(200, "x", "Cache-Control", "max-age=10"))
		resp, err := get("/after-close")
		if err != nil || !contains(resp.Header.Get("Cache-Status"), "fwd=bypass") {
			t.Fatalf("after Close: %v %v", resp, err)
		}
		if err := c.Purge(context.Background(), "t"); !errors.Is(err, ErrClosed) {
			t.Fatalf("Purge after Close: %v", err)
		}
		release()
		srv.Close()
		o.Close()
		testTransport.CloseIdleConnections()
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		goleak.VerifyNone(t, before)
	})
}
