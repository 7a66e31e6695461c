package httpcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// providerKind is one store the cache runs on in the tests.
type providerKind struct {
	name string
	// open returns a provider; instances opened by one test share their
	// entries (one in-process store, or one Valkey server).
	open func(t *testing.T) driver.Provider
}

// providerKinds returns the stores every clause is tested on: the
// in-process provider, Valkey, and two levels over Valkey. Providers of one
// kind opened by one test share their entries, as instances of a fleet do.
func providerKinds() []providerKind {
	return []providerKind{
		{"memory", func(t *testing.T) driver.Provider {
			t.Helper()
			return sharedMemory(t)
		}},
		{"valkey", func(t *testing.T) driver.Provider {
			t.Helper()
			return openValkey(t, false)
		}},
		{"twolevel", func(t *testing.T) driver.Provider {
			t.Helper()
			return openTwoLevel(t, servers.Valkey(t).Addr(), twolevel.Config{})
		}},
	}
}

// forEachProvider runs run once per provider kind, as subtests.
func forEachProvider(t *testing.T, run func(t *testing.T, k providerKind)) {
	for _, k := range providerKinds() {
		t.Run(k.name, func(t *testing.T) { run(t, k) })
	}
}

var memories sync.Map // *testing.T of the top-level test → *memory.Provider

// sharedMemory returns the one in-process provider of a test, so that two
// caches of the test share it as two Valkey instances share a server.
func sharedMemory(t *testing.T) driver.Provider {
	t.Helper()
	if p, ok := memories.Load(t.Name()); ok {
		return p.(*memory.Provider)
	}
	p, err := memory.New(memory.Config{MaxEntries: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	memories.Store(t.Name(), p)
	t.Cleanup(func() {
		memories.Delete(t.Name())
		_ = p.Close()
	})
	return p
}

func openValkey(t *testing.T, track bool) *valkeystore.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}, KeyPrefix: "httpcache-test:", TrackAllReads: track})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func openTwoLevel(t *testing.T, addr string, cfg twolevel.Config) *twolevel.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l2, err := valkeystore.New(ctx, valkeystore.Config{
		Addrs: []string{addr}, KeyPrefix: "httpcache-test:", TrackAllReads: true,
		OperationTimeout: 500 * time.Millisecond, DialTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	l1, err := memory.New(memory.Config{MaxEntries: 10_000})
	if err != nil {
		l2.Close()
		t.Fatal(err)
	}
	p, err := twolevel.New(l1, l2, cfg)
	if err != nil {
		l1.Close()
		l2.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// uniqueNamespace keeps tests on one server apart.
func uniqueNamespace(t *testing.T) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t-" + hex.EncodeToString(b[:])
}

// clock is a frozen time source that tests move on by hand, so that ages
// and freshness are exact. The origin's Date fields come from it too.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// origin is a real HTTP server behind the cache that counts its requests
// and keeps the last one's fields.
type origin struct {
	*httptest.Server
	inner   http.Handler // the counting handler itself, for fronts that are middlewares
	clk     *clock
	hits    atomic.Int64
	mu      sync.Mutex
	handler http.HandlerFunc
	last    http.Header
	methods []string
}

func newOrigin(t *testing.T, clk *clock, h http.HandlerFunc) *origin {
	o := &origin{clk: clk, handler: h}
	o.inner = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		o.mu.Lock()
		o.last = r.Header.Clone()
		o.methods = append(o.methods, r.Method)
		h := o.handler
		o.mu.Unlock()
		if o.clk != nil {
			w.Header().Set("Date", o.clk.now().UTC().Format(http.TimeFormat))
		}
		h(w, r)
	})
	o.Server = httptest.NewServer(o.inner)
	t.Cleanup(o.Close)
	return o
}

func (o *origin) set(h http.HandlerFunc) {
	o.mu.Lock()
	o.handler = h
	o.mu.Unlock()
}

func (o *origin) methodsSeen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.methods...)
}

func (o *origin) lastHeader() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// fixed answers every request with status, fields in pairs, and body.
func fixed(status int, body string, fields ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(fields); i += 2 {
			w.Header().Add(fields[i], fields[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// front is a cache in front of an origin, as a real server: requests go
// client → front (the cache, NewProxy) → origin.
type front struct {
	t      *testing.T
	cache  *Cache
	srv    *httptest.Server
	origin *origin
	active atomic.Int64 // requests the front is handling
	// host, when set, is the Host of every request: fronts of one test
	// that stand for instances of one fleet answer to one name.
	host string
}

// newFront builds a cache on p with cfg (its namespace unique to the test
// unless set) in front of a reverse proxy to o (NewProxy).
func newFront(t *testing.T, p driver.Provider, o *origin, cfg Config) *front {
	t.Helper()
	return buildFront(t, p, o, cfg, false)
}

// newMiddlewareFront is newFront with the cache in front of o's handler
// itself (Middleware), which passes every field the handler writes.
func newMiddlewareFront(t *testing.T, p driver.Provider, o *origin, cfg Config) *front {
	t.Helper()
	return buildFront(t, p, o, cfg, true)
}

func buildFront(t *testing.T, p driver.Provider, o *origin, cfg Config, middleware bool) *front {
	t.Helper()
	if cfg.Namespace == "" {
		cfg.Namespace = uniqueNamespace(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	if o.clk != nil && cfg.clock == nil {
		cfg.clock = o.clk.now
	}
	c, err := New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(o.URL)
	f := &front{t: t, cache: c, origin: o}
	proxy := NewProxy(c, target)
	if middleware {
		proxy = c.Middleware(o.inner)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.active.Add(1)
		defer f.active.Add(-1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		f.srv.Close()
		_ = c.Close()
	})
	return f
}

// settle waits until the front has finished with every request, stores
// and background origin requests included: a client has its whole
// response before the cache is done storing it.
func (f *front) settle() {
	f.t.Helper()
	eventually(f.t, 10*time.Second, "the cache settles", func() bool {
		f.cache.mu.Lock()
		n := len(f.cache.flights)
		f.cache.mu.Unlock()
		return n == 0 && f.active.Load() == 0
	})
}

// testTransport sends exactly the fields a test gives: no Accept-Encoding
// of its own.
var testTransport = &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}

// quiet is the logger of test caches: the failures tests cause on purpose
// are not news.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// reply is a response as the client saw it.
type reply struct {
	status int
	header http.Header
	body   string
}

// get sends a request to the front: method GET unless fields say
// ":method", then field pairs.
func (f *front) get(path string, fields ...string) reply {
	f.t.Helper()
	return f.do(http.MethodGet, path, fields...)
}

// fetch is get after the front has settled, so that what the previous
// requests stored is there.
func (f *front) fetch(path string, fields ...string) reply {
	f.t.Helper()
	f.settle()
	r := f.do(http.MethodGet, path, fields...)
	f.settle()
	return r
}

func (f *front) do(method, path string, fields ...string) reply {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if f.host != "" {
		req.Host = f.host
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.EqualFold(fields[i], "Host") {
			req.Host = fields[i+1]
			continue
		}
		req.Header.Add(fields[i], fields[i+1])
	}
	resp, err := testTransport.RoundTrip(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// hit reports whether the cache answered from storage.
func (r reply) hit() bool { return strings.Contains(r.header.Get("Cache-Status"), "; hit") }

// expect fails the test unless the reply has status and body.
func (r reply) expect(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %q (Cache-Status %q), want %d %q", r.status, r.body, r.header.Get("Cache-Status"), status, body)
	}
}

// expectHits fails the test unless the origin was asked n times.
func (o *origin) expectHits(t *testing.T, n int64) {
	t.Helper()
	if got := o.hits.Load(); got != n {
		t.Fatalf("the origin got %d requests, want %d", got, n)
	}
}

// eventually polls cond until it holds, for at most within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
