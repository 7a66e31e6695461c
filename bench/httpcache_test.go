package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/httpcache"
	"github.com/valcache/valcache/internal/benchutil"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// httpPaths is how many distinct URLs the HTTP benchmarks walk, every one
// stored before the timed loop: they measure hits.
const httpPaths = 1000

// httpBody is the origin's response body: 1 KiB, a small page or a JSON
// document.
var httpBody = strings.Repeat("x", 1024)

// httpClient keeps enough connections for the most goroutines run, so that
// the benchmarks measure requests, not connection set-ups.
var httpClient = &http.Client{Transport: &http.Transport{
	MaxIdleConns: 512, MaxIdleConnsPerHost: 512, DisableCompression: true, IdleConnTimeout: time.Minute,
}}

// newHTTPOrigin is the origin: a 1 KiB body, fresh for an hour.
func newHTTPOrigin(b *testing.B) *httptest.Server {
	o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(httpBody)))
		_, _ = io.WriteString(w, httpBody)
	}))
	b.Cleanup(o.Close)
	return o
}

// newCachingProxy is httpcache.NewProxy on p in front of origin.
func newCachingProxy(b *testing.B, p driver.Provider, origin *url.URL) *httptest.Server {
	c, err := httpcache.New(p, httpcache.Config{Namespace: "bench-http-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpcache.NewProxy(c, origin))
	b.Cleanup(func() {
		srv.Close()
		_ = c.Close()
	})
	return srv
}

// httpGet returns an operation that GETs path i of base and reads the body.
func httpGet(b *testing.B, base string) func(int) {
	paths := make([]string, httpPaths)
	for i := range paths {
		paths[i] = base + "/page/" + strconv.Itoa(i)
	}
	return func(i int) {
		resp, err := httpClient.Get(paths[i%httpPaths])
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || n != int64(len(httpBody)) {
			b.Fatalf("status %d, %d bytes, %v", resp.StatusCode, n, err)
		}
	}
}

// warm requests every path once and waits until the cache behind base
// answers them all from storage.
func warm(b *testing.B, base string) {
	for i := range httpPaths {
		httpGet(b, base)(i)
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < httpPaths; {
		resp, err := httpClient.Get(base + "/page/" + strconv.Itoa(i))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
			i++
		} else if time.Now().After(deadline) {
			b.Fatalf("/page/%d is not stored", i)
		}
	}
}

// BenchmarkHTTPHit is requests per second for stored responses through the
// caching proxy (impl=httpcache-memory, -twolevel, -valkey), against the
// origin alone (impl=origin) and Go's httputil.ReverseProxy in front of it
// (impl=reverseproxy), the floor any proxy pays: one more HTTP hop. Client,
// proxy, origin and Valkey share the machine; ns/op at N goroutines is the
// wall time per request, so requests per second are 1e9 / (ns/op).
func BenchmarkHTTPHit(b *testing.B) {
	origin := newHTTPOrigin(b)
	target, _ := url.Parse(origin.URL)
	rp := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	b.Cleanup(rp.Close)

	mem, err := memory.New(memory.Config{MaxWeight: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = mem.Close() })
	addr := servers.Valkey(b).Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vk, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = vk.Close() })
	l2, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{addr}, TrackAllReads: true})
	if err != nil {
		b.Fatal(err)
	}
	l1, err := memory.New(memory.Config{MaxWeight: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	two, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = two.Close() })

	impls := map[string]func(int){
		"origin":       httpGet(b, origin.URL),
		"reverseproxy": httpGet(b, rp.URL),
	}
	for name, p := range map[string]driver.Provider{"httpcache-memory": mem, "httpcache-valkey": vk, "httpcache-twolevel": two} {
		srv := newCachingProxy(b, p, target)
		warm(b, srv.URL)
		impls[name] = httpGet(b, srv.URL)
	}
	benchutil.SideBySide(b, impls)
}
