package httpcache

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/warnlimit"
)

// Cache is an HTTP shared cache (RFC 9111) over a valcache provider. One
// Cache serves any number of handlers (Middleware) and proxies (NewProxy);
// instances in other processes over the same store and Config.Namespace
// share its stored responses, its purges and its origin requests. It is
// safe for concurrent use.
type Cache struct {
	cfg   Config
	store *store
	stats counters
	// storeWarns spaces the warnings about a failing store, which every
	// request meets while it lasts.
	storeWarns warnlimit.Limit

	// flights are the origin requests this process runs or waits for, by
	// flight key: requests for one key join the one running.
	mu      sync.Mutex
	flights map[string]*flight

	// root ends with Close, and with it every origin request and wait the
	// cache runs in the background; active counts those goroutines.
	root   context.Context
	stop   context.CancelFunc
	active sync.WaitGroup
	closed atomic.Bool
}

// New returns a cache storing responses in p, which stays the caller's
// (Close leaves it open).
func New(p driver.Provider, cfg Config) (*Cache, error) {
	if p == nil {
		return nil, ErrNilProvider
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := openStore(p, cfg)
	if err != nil {
		return nil, err
	}
	root, stop := context.WithCancel(context.Background())
	return &Cache{cfg: cfg, store: st, flights: map[string]*flight{}, root: root, stop: stop}, nil
}

// Middleware returns the cache in front of next, as an http.Handler. The
// method value c.Middleware is a func(http.Handler) http.Handler, the shape
// routers that chain middlewares take. A Cache is one key
// space: handlers it is put in front of share stored responses for the same
// URLs, so put one Cache (or one Namespace) in front of one origin.
func (c *Cache) Middleware(next http.Handler) http.Handler {
	return &handler{c: c, next: next}
}

// Close stops the origin requests and revalidations the cache runs in the
// background and waits for them; requests after Close go straight to the
// origin. The provider is left open.
func (c *Cache) Close() error {
	c.mu.Lock()
	already := c.closed.Swap(true)
	c.mu.Unlock()
	if already {
		return nil
	}
	c.stop()
	err := c.store.close()
	c.active.Wait()
	return err
}

// now is the cache's clock.
func (c *Cache) now() time.Time { return c.cfg.clock() }

// handler is the cache in front of one origin handler.
type handler struct {
	c    *Cache
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.c.serve(w, r, h.next) }
