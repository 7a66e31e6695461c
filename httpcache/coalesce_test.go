package httpcache

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// burst sends n concurrent requests for path to f, all in flight before
// the origin, held by hold, answers; it returns the replies.
func burst(t *testing.T, f *front, n int, path string, origin *origin, hold chan struct{}) []reply {
	t.Helper()
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = f.get(path)
		}()
	}
	// Every request is in the front (waiting, or sending the origin request)
	// before the origin is let go.
	eventually(t, 10*time.Second, "all requests arrive", func() bool { return f.active.Load() == int64(n) })
	eventually(t, 10*time.Second, "the origin request arrives", func() bool { return origin.hits.Load() >= 1 })
	// A request counted in the front may still be looking the URL up
	// before it joins the flight; on a loaded machine it gets time to.
	time.Sleep(300 * time.Millisecond)
	close(hold)
	wg.Wait()
	f.settle()
	return replies
}

// held returns a handler that answers with h once hold is closed.
func held(hold chan struct{}, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		<-hold
		h(w, r)
	}
}

// TestCoalescing checks that concurrent requests for one uncached URL make
// one origin request, all served its response and told so (Cache-Status
// collapsed), when the response may be reused for them; and that each
// waiter asks the origin itself when it may not.
func TestCoalescing(t *testing.T) {
	const n = 50
	cases := []struct {
		name    string
		handler http.HandlerFunc
		origin  int64 // origin requests
		status  int
		shared  bool
	}{
		{"fresh", fixed(200, "body", "Cache-Control", "max-age=60"), 1, 200, true},
		// A response received while they waited answers them, even when it
		// may not be reused later.
		{"no freshness left", fixed(200, "body", "Cache-Control", "no-cache"), 1, 200, true},
		{"no freshness information", fixed(200, "body"), 1, 200, true},
		// A server error is passed to the requests that waited for it.
		{"server error", fixed(503, "body"), 1, 503, true},
		// Personal responses are never shared: every waiter asks.
		{"private", fixed(200, "body", "Cache-Control", "private, max-age=60"), n, 200, false},
		{"no-store", fixed(200, "body", "Cache-Control", "no-store"), n, 200, false},
		{"Set-Cookie", fixed(200, "body", "Cache-Control", "max-age=60", "Set-Cookie", "id=7"), n, 200, false},
		// A stream of events is never held for the waiters.
		{"event stream", fixed(200, "body", "Content-Type", "text/event-stream"), n, 200, false},
	}
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				hold := make(chan struct{})
				var held1 atomic.Bool
				o := newOrigin(t, nil, nil)
				o.set(func(w http.ResponseWriter, r *http.Request) {
					if held1.CompareAndSwap(false, true) {
						<-hold // the first origin request waits until every client is in
					}
					tc.handler(w, r)
				})
				f := newFront(t, p, o, Config{})
				replies := burst(t, f, n, "/c", o, hold)
				collapsed, uncollapsed := 0, 0
				for _, r := range replies {
					r.expect(t, tc.status, "body")
					switch cs := r.header.Get("Cache-Status"); {
					case contains(cs, "collapsed=?0"):
						uncollapsed++
					case contains(cs, "collapsed"):
						collapsed++
					}
				}
				// Of a response that may not be shared, each waiter asks the
				// origin itself and says so; a request that came too late to
				// wait asked without waiting, which says nothing of sharing.
				if tc.shared && uncollapsed != 0 {
					t.Fatalf("%d replies said collapsed=?0, want none", uncollapsed)
				}
				if !tc.shared && (uncollapsed == 0 || uncollapsed > n-1) {
					t.Fatalf("%d replies said collapsed=?0, want up to %d and at least one", uncollapsed, n-1)
				}
				o.expectHits(t, tc.origin)
				if want := map[bool]int{true: n - 1, false: 0}[tc.shared]; collapsed != want {
					t.Fatalf("%d replies collapsed, want %d", collapsed, want)
				}
				if got := f.cache.Stats().Coalesced; got != uint64(collapsed) {
					t.Fatalf("Stats().Coalesced = %d, want %d", got, collapsed)
				}
			})
		}
	})
}

// TestCoalescingAStaleResponse checks that concurrent requests for one
// stale URL make one validation, whose 304 answers all of them.
func TestCoalescingAStaleResponse(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		hold := make(chan struct{})
		o := newOrigin(t, clk, fixed(200, "body", "Cache-Control", "max-age=10", "ETag", `"s"`))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/s")
		clk.advance(11 * time.Second)
		o.set(held(hold, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"s"`)
			w.Header().Set("Cache-Control", "max-age=10")
			w.WriteHeader(http.StatusNotModified)
		}))
		o.hits.Store(0)
		for _, r := range burst(t, f, 30, "/s", o, hold) {
			r.expect(t, 200, "body")
			if !contains(r.header.Get("Cache-Status"), "fwd=stale; fwd-status=304") {
				t.Fatalf("Cache-Status %q", r.header.Get("Cache-Status"))
			}
		}
		o.expectHits(t, 1)
		if st := f.cache.Stats(); st.Validations != 1 || st.Freshened != 1 {
			t.Fatalf("Validations %d, Freshened %d, want 1 and 1", st.Validations, st.Freshened)
		}
	})
}

// TestCoalescedWaitersWithAnotherVariant checks that waiters whose Vary
// selection differs from the response's are not served it, and share one
// origin request of their own instead.
func TestCoalescedWaitersWithAnotherVariant(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		hold := make(chan struct{})
		var first atomic.Bool
		var perVariant sync.Map
		o := newOrigin(t, nil, nil)
		o.set(func(w http.ResponseWriter, r *http.Request) {
			if first.CompareAndSwap(false, true) {
				<-hold
			}
			n, _ := perVariant.LoadOrStore(r.Header.Get("Accept-Language"), new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Vary", "Accept-Language")
			_, _ = io.WriteString(w, "lang="+r.Header.Get("Accept-Language"))
		})
		f := newFront(t, k.open(t), o, Config{})
		const n = 20
		replies := make([]reply, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lang := []string{"en", "fr"}[i%2]
				replies[i] = f.get("/v", "Accept-Language", lang)
				if replies[i].body != "lang="+lang {
					t.Errorf("request for %s got %q", lang, replies[i].body)
				}
			}()
		}
		eventually(t, 10*time.Second, "all requests arrive", func() bool { return f.active.Load() == n })
		close(hold)
		wg.Wait()
		f.settle()
		perVariant.Range(func(lang, v any) bool {
			if got := v.(*atomic.Int64).Load(); got != 1 {
				t.Errorf("%d origin requests for %s, want 1", got, lang)
			}
			return true
		})
	})
}

// TestCoalescedWaitersOfASlowResponse checks that when the response the
// waiters wait for has begun but outlives OriginTimeout, they ask the
// origin themselves instead of failing, while its own client still
// receives it.
func TestCoalescedWaitersOfASlowResponse(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		hold, finish := make(chan struct{}), make(chan struct{})
		var first atomic.Bool
		o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			if !first.CompareAndSwap(false, true) {
				_, _ = io.WriteString(w, "slow body")
				return
			}
			<-hold
			_, _ = io.WriteString(w, "slow ")
			http.NewResponseController(w).Flush()
			select {
			case <-finish:
			case <-time.After(10 * time.Second):
			}
			_, _ = io.WriteString(w, "body")
		})
		f := newFront(t, k.open(t), o, Config{OriginTimeout: 300 * time.Millisecond})
		const n = 5
		var done atomic.Int64
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.get("/slow").expect(t, 200, "slow body")
				done.Add(1)
			}()
		}
		eventually(t, 10*time.Second, "all requests arrive", func() bool { return f.active.Load() == n && o.hits.Load() == 1 })
		close(hold)
		eventually(t, 20*time.Second, "the waiters are answered", func() bool { return done.Load() == n-1 })
		close(finish)
		wg.Wait()
	})
}
