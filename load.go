package valcache

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DefaultLoadTimeout bounds a load when Options.LoadTimeout is zero.
const DefaultLoadTimeout = 10 * time.Second

// Loader produces the value of a key the cache does not hold, from the
// source of truth. It gets a context of its own (see Cache.Get).
type Loader[K comparable, V any] func(ctx context.Context, key K) (V, error)

// LoadOptions are the optional parts of a get-or-load.
type LoadOptions struct {
	// TTL of the loaded entry: zero means the cache's default.
	TTL time.Duration
	// Tags of the loaded entry. Their versions are captured before the
	// loader runs, so an invalidation during the load wins over it.
	Tags []string
}

// Get returns the value of key, loading it with load on a miss.
//
// In a process, the loader runs once per key at a time, however many callers
// ask meanwhile; they all get its result. It runs detached from the caller
// that started it, with that caller's context values but its own deadline
// (Options.LoadTimeout), so a caller that gives up leaves alone without
// failing the others; each caller waits only as long as its own context. A
// loader that panics gives every waiter a *PanicError. Errors from the
// loader are returned and not cached.
//
// When the store fails, the load still runs and its value is returned: the
// cache is a shortcut, not the source of truth. Such failures are logged.
func (c *Cache[K, V]) Get(ctx context.Context, key K, load Loader[K, V]) (V, error) {
	return c.GetWith(ctx, key, load, LoadOptions{})
}

// GetWith is Get with options for the loaded entry.
func (c *Cache[K, V]) GetWith(ctx context.Context, key K, load Loader[K, V], o LoadOptions) (V, error) {
	v, found, err := c.GetIfPresent(ctx, key)
	switch {
	case errors.Is(err, ErrClosed):
		return v, err
	case err != nil:
		c.log.Warn("valcache: read failed; loading from the source", slog.String("namespace", c.ns), slog.Any("error", err))
	case found:
		return v, nil
	}
	v, _, err = c.flights.Do(ctx, key, c.loadTimeout, func(lctx context.Context) (V, error) {
		return c.loadAndStore(lctx, key, load, o)
	})
	return v, err
}

// loadAndStore runs once per key at a time: it looks again (a load that
// just finished may have filled the key), stamps, loads, and writes.
func (c *Cache[K, V]) loadAndStore(ctx context.Context, key K, load Loader[K, V], o LoadOptions) (V, error) {
	if v, found, err := c.GetIfPresent(ctx, key); err == nil && found {
		return v, nil
	}
	var st *Stamp
	if c.versioner != nil {
		var err error
		if st, err = c.stamp(ctx, o.Tags, c.loadTTL(o.TTL)); err != nil {
			c.log.Warn("valcache: cannot stamp a load; its value will not be cached", slog.String("namespace", c.ns), slog.Any("error", err))
		}
	}
	v, err := load(ctx, key)
	if err != nil {
		return v, err
	}
	if c.versioner != nil && st == nil {
		return v, nil
	}
	if err := c.SetWith(ctx, key, v, SetOptions{TTL: o.TTL, Stamp: st}); err != nil {
		c.log.Warn("valcache: cannot cache a loaded value", slog.String("namespace", c.ns), slog.Any("error", err))
	}
	return v, nil
}

// loadTTL is how long the version keys of a load's stamp must live.
func (c *Cache[K, V]) loadTTL(ttl time.Duration) time.Duration {
	if longest, err := c.ttl.resolveLongest(ttl); err == nil {
		return longest
	}
	return c.ttl.def
}
