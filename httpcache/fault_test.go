package httpcache

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// TestStoreDownRequestsAreServedByTheOrigin kills the Valkey server under
// the cache: every request is still answered, by the origin, and the
// cache stores again once the server is back.
func TestStoreDownRequestsAreServedByTheOrigin(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	for _, kind := range []string{"valkey", "twolevel"} {
		t.Run(kind, func(t *testing.T) {
			var p interface{ Close() error }
			var f *front
			var n atomic.Int64
			o := newOrigin(t, newClock(), func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=60")
				_, _ = io.WriteString(w, "n"+strconv.FormatInt(n.Add(1), 10))
			})
			if kind == "valkey" {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				vp, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{srv.Addr()}, KeyPrefix: "fault:",
					OperationTimeout: 300 * time.Millisecond, DialTimeout: 300 * time.Millisecond})
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = vp.Close() })
				f, p = newFront(t, vp, o, Config{}), vp
			} else {
				tp := openTwoLevel(t, srv.Addr(), twolevel.Config{BreakerCooldown: 100 * time.Millisecond})
				f, p = newFront(t, tp, o, Config{}), tp
			}
			_ = p
			f.fetch("/d").expect(t, 200, "n1")
			if !f.fetch("/d").hit() {
				t.Fatal("not stored while the server is up")
			}
			if err := srv.Kill(); err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				r := f.fetch("/cold" + strconv.Itoa(i))
				if r.status != 200 || r.body != "n"+strconv.Itoa(i+2) {
					t.Fatalf("request %d with the store down: %d %q", i, r.status, r.body)
				}
			}
			if f.cache.Stats().StoreErrors == 0 {
				t.Fatal("no store error counted")
			}
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "the cache stores again", func() bool {
				f.fetch("/after")
				return f.fetch("/after").hit()
			})
		})
	}
}

// TestStoreDownStaleIfErrorFromTheInProcessLevel stores a response in a
// two-level cache, kills the Valkey server, and lets the response go stale
// while the origin fails: the in-process copy is served, as stale-if-error
// allows, both for a server error and for an origin that cannot be reached.
func TestStoreDownStaleIfErrorFromTheInProcessLevel(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	clk := newClock()
	o := newOrigin(t, clk, fixed(200, "kept", "Cache-Control", "max-age=10, stale-if-error=600"))
	tp := openTwoLevel(t, srv.Addr(), twolevel.Config{StaleIfError: time.Minute, BreakerCooldown: 100 * time.Millisecond})
	f := newFront(t, tp, o, Config{})
	f.fetch("/k")
	if !f.fetch("/k").hit() { // the hit keeps the in-process copy
		t.Fatal("not stored")
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	clk.advance(30 * time.Second)
	o.set(fixed(http.StatusServiceUnavailable, "origin failing"))
	r := f.fetch("/k")
	r.expect(t, 200, "kept")
	if !contains(r.header.Get("Cache-Status"), "detail=stale-if-error") {
		t.Fatalf("Cache-Status %q", r.header.Get("Cache-Status"))
	}
	o.Close()
	f.fetch("/k").expect(t, 200, "kept")
	// What the in-process level does not hold is a gateway error.
	if r := f.fetch("/never-stored"); r.status != http.StatusBadGateway {
		t.Fatalf("no copy, no origin: %d", r.status)
	}
}

// TestTruncatedResponsesAreNotStored checks that a response whose body is
// cut short reaches its client as a broken response and is not stored.
func TestTruncatedResponsesAreNotStored(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, "only ten..")
		})
		f := newFront(t, k.open(t), o, Config{})
		for i := range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/t", nil)
			resp, err := testTransport.RoundTrip(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			cancel()
			if err == nil {
				t.Fatalf("request %d: the client read a truncated response without an error", i)
			}
			f.settle()
		}
		o.expectHits(t, 2)
	})
}
