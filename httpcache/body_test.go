package httpcache

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBodiesAreStreamedWhileStored checks that a response reaches its
// client as the origin writes it, before the origin has finished, and is
// stored once complete.
func TestBodiesAreStreamedWhileStored(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		release := make(chan struct{})
		o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			_, _ = io.WriteString(w, "first half\n")
			http.NewResponseController(w).Flush()
			select {
			case <-release: // the client has read the first half
			case <-time.After(10 * time.Second):
			}
			_, _ = io.WriteString(w, "second half\n")
		})
		f := newFront(t, k.open(t), o, Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/stream", nil)
		resp, err := testTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadString('\n')
		if err != nil || line != "first half\n" {
			t.Fatalf("first half: %q %v", line, err)
		}
		close(release) // only now may the origin finish
		rest, _ := io.ReadAll(br)
		if string(rest) != "second half\n" {
			t.Fatalf("rest: %q", rest)
		}
		f.settle()
		if r := f.fetch("/stream"); !r.hit() || r.body != "first half\nsecond half\n" {
			t.Fatalf("after streaming: %v %q", r.header, r.body)
		}
	})
}

// TestBodiesAboveMaxBodySize checks that a response larger than
// MaxBodySize reaches its client whole, declared or not, and is not
// stored; the requests coalesced onto it each ask the origin.
func TestBodiesAboveMaxBodySize(t *testing.T) {
	big := strings.Repeat("0123456789", 1000) // 10 000 bytes
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		for _, declared := range []bool{true, false} {
			t.Run("declared="+strconv.FormatBool(declared), func(t *testing.T) {
				o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Cache-Control", "max-age=60")
					if declared {
						w.Header().Set("Content-Length", strconv.Itoa(len(big)))
					}
					for i := 0; i < len(big); i += 1000 {
						_, _ = io.WriteString(w, big[i:i+1000])
						http.NewResponseController(w).Flush()
					}
				})
				f := newFront(t, p, o, Config{MaxBodySize: 4096})
				f.fetch("/big").expect(t, 200, big)
				r := f.fetch("/big")
				r.expect(t, 200, big)
				if r.hit() {
					t.Fatal("a body above MaxBodySize was stored")
				}
				o.expectHits(t, 2)
				if got := f.cache.Stats().NotStored; got != 2 {
					t.Fatalf("Stats().NotStored = %d, want 2", got)
				}
			})
		}
		t.Run("waiters do not wait for a body they cannot have", func(t *testing.T) {
			hold, finish := make(chan struct{}), make(chan struct{})
			var first atomic.Bool
			o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=60")
				if !first.CompareAndSwap(false, true) {
					_, _ = io.WriteString(w, big)
					return
				}
				<-hold
				_, _ = io.WriteString(w, big[:5000])
				http.NewResponseController(w).Flush()
				select {
				case <-finish:
				case <-time.After(10 * time.Second):
				}
				_, _ = io.WriteString(w, big[5000:])
			})
			f := newFront(t, p, o, Config{MaxBodySize: 4096})
			const n = 10
			var done atomic.Int64
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f.get("/big").expect(t, 200, big)
					done.Add(1)
				}()
			}
			eventually(t, 10*time.Second, "all requests arrive", func() bool { return f.active.Load() == n && o.hits.Load() == 1 })
			close(hold)
			// The waiters each ask the origin while the first response is
			// still being streamed to its client.
			eventually(t, 20*time.Second, "the waiters are answered", func() bool { return done.Load() == n-1 })
			close(finish)
			wg.Wait()
			o.expectHits(t, n)
		})
		t.Run("coalesced", func(t *testing.T) {
			hold := make(chan struct{})
			o := newOrigin(t, nil, held(hold, fixed(200, big, "Cache-Control", "max-age=60")))
			f := newFront(t, p, o, Config{MaxBodySize: 4096})
			for _, r := range burst(t, f, 10, "/big", o, hold) {
				r.expect(t, 200, big)
			}
			o.expectHits(t, 10)
		})
	})
}

// TestAClientThatLeavesDoesNotStopTheStore checks that when the client of
// an origin request leaves mid-body, the response is still read and
// stored, and the requests waiting for it are served.
func TestAClientThatLeavesDoesNotStopTheStore(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		release := make(chan struct{})
		o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			_, _ = io.WriteString(w, "part one;")
			http.NewResponseController(w).Flush()
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
			_, _ = io.WriteString(w, "part two")
		})
		f := newFront(t, k.open(t), o, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/leave", nil)
		resp, err := testTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len("part one;"))
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatal(err)
		}
		cancel() // the client leaves
		resp.Body.Close()
		close(release)
		f.settle()
		if r := f.fetch("/leave"); !r.hit() || r.body != "part one;part two" {
			t.Fatalf("after the client left: %v %q", r.header, r.body)
		}
		o.expectHits(t, 1)
	})
}
