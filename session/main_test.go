package session_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/session"
	"github.com/valcache/valcache/valkeystore"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

// swapOnly hides memory's FieldStore, so the compare-and-swap fallback is
// tested through the same cases.
type swapOnly struct {
	driver.Provider
	driver.Swapper
}

// countingFields counts the writes of a FieldStore provider.
type countingFields struct {
	*memory.Provider
	writes atomic.Int64
}

func (c *countingFields) UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (bool, error) {
	c.writes.Add(1)
	return c.Provider.UpdateFields(ctx, key, set, del, ttl, create)
}

func newMemory(t *testing.T) *memory.Provider {
	t.Helper()
	p, err := memory.New(memory.Config{ClockResolution: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

var backends = []struct {
	name string
	open func(t *testing.T) driver.Provider
}{
	{"Memory", func(t *testing.T) driver.Provider { return newMemory(t) }},
	{"MemoryCompareAndSwap", func(t *testing.T) driver.Provider {
		p := newMemory(t)
		return swapOnly{p, p}
	}},
	{"ValkeySingle", func(t *testing.T) driver.Provider {
		return newValkey(t, []string{servers.Valkey(t).Addr()})
	}},
	{"ValkeyCluster", func(t *testing.T) driver.Provider { return newValkey(t, servers.Cluster(t).Addrs()) }},
}

func newValkey(t *testing.T, addrs []string) driver.Provider {
	t.Helper()
	p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: addrs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func forEachBackend(t *testing.T, run func(t *testing.T, p driver.Provider)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { run(t, b.open(t)) })
	}
}

// app is a small site over a Manager, served over TLS so that the default
// Secure cookies travel.
type app struct {
	m   *session.Manager
	srv *httptest.Server
	// hold, when set, is waited on by /hold-set after the session is loaded
	// and before it writes, to line concurrent requests up.
	hold func()
}

func newApp(t *testing.T, p driver.Provider, cfg session.Config) *app {
	t.Helper()
	if cfg.Namespace == "" {
		cfg.Namespace = "sess-" + randomSuffix(t)
	}
	m, err := session.New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{m: m}
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	}
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, session.From(r.Context()).GetString(r.URL.Query().Get("k")))
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		write(w, session.From(r.Context()).SetString(r.Context(), q.Get("k"), q.Get("v")))
	})
	mux.HandleFunc("/hold-set", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context()) // loaded before waiting
		a.hold()
		q := r.URL.Query()
		write(w, s.SetString(r.Context(), q.Get("k"), q.Get("v")))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		write(w, session.From(r.Context()).Login(r.Context(), r.URL.Query().Get("u")))
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		write(w, session.From(r.Context()).Renew(r.Context()))
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		write(w, session.From(r.Context()).Destroy(r.Context()))
	})
	mux.HandleFunc("/logout-everywhere", func(w http.ResponseWriter, r *http.Request) {
		write(w, a.m.LogoutEverywhere(r.Context(), session.From(r.Context()).User()))
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, session.From(r.Context()).User())
	})
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, session.From(r.Context()).ID())
	})
	a.srv = httptest.NewTLSServer(m.Middleware(mux))
	t.Cleanup(a.srv.Close)
	return a
}

// browser is one client with its own cookie jar.
type browser struct {
	t   *testing.T
	app *app
	c   *http.Client
}

func (a *app) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *a.srv.Client()
	c.Jar = jar
	c.Timeout = 15 * time.Second
	return &browser{t: t, app: a, c: &c}
}

// get fetches path and returns the body, failing the test on anything but
// 200.
func (b *browser) get(path string) string {
	b.t.Helper()
	body, status := b.try(path)
	if status != http.StatusOK {
		b.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body
}

func (b *browser) try(path string) (string, int) {
	b.t.Helper()
	resp, err := b.c.Get(b.app.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body), resp.StatusCode
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.app.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.app.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
