package valcache

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/valcache/valcache/driver"
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

// Get returns the value of key, loading it with load on a miss. It is Fetch
// without the details of the result.
//
// In a process, the loader runs once per key at a time, however many callers
// ask meanwhile; they all get its result. On a provider that elects loaders
// (Valkey), it runs once for the whole fleet. It runs detached from the
// caller that started it, with that caller's context values but its own
// deadline (Options.LoadTimeout), so a caller that gives up leaves alone
// without failing the others; each caller waits only as long as its own
// context. A loader that panics gives every waiter a *PanicError. Errors
// from the loader are returned and not cached, except ErrNotFound when
// Options.NegativeTTL is set.
//
// When the store fails, the load still runs and its value is returned: the
// cache is a shortcut, not the source of truth. Such failures are logged.
func (c *Cache[K, V]) Get(ctx context.Context, key K, load Loader[K, V]) (V, error) {
	if c.values != nil {
		if dk, err := c.driverKey(key); err == nil {
			if raw, found, err := c.values.GetValue(ctx, dk); err == nil && found {
				if e, ok := c.servable(raw); ok {
					c.stats.hits.Add(1)
					return e.value, nil
				}
			}
		}
	} else if c.near != nil {
		if dk, err := c.driverKey(key); err == nil {
			if e, ok := c.nearHit(dk); ok {
				c.stats.l1Hits.Add(1)
				return e.value, nil
			}
		}
	}
	r, err := c.Fetch(ctx, key, load, LoadOptions{})
	return r.Value, err
}

// GetWith is Get with options for the loaded entry.
func (c *Cache[K, V]) GetWith(ctx context.Context, key K, load Loader[K, V], o LoadOptions) (V, error) {
	r, err := c.Fetch(ctx, key, load, o)
	return r.Value, err
}

// leaseMargin is added to the load timeout to make a load's lease: the
// loader's context ends first, so a live loader never loses its lease.
const leaseMargin = time.Second

// loadAndStore runs once per key at a time in this process: it looks again
// (a load that just finished may have filled the key), then loads. Where the
// provider can elect one loader for the fleet, it loads only if elected and
// otherwise waits for the elected loader's value.
//
// first, when set, is what the caller found a moment ago. Where loads are
// elected by the store, it stands for the second look: the election reads
// the key in the same step and returns what was written since.
func (c *Cache[K, V]) loadAndStore(ctx context.Context, key K, load Loader[K, V], o LoadOptions, first *found[V]) (V, error) {
	dk, err := c.driverKey(key)
	if err != nil {
		var zero V
		return zero, err
	}
	var f found[V]
	if first != nil && c.locker != nil && c.values == nil {
		f = *first
	} else {
		f, err = c.lookup(ctx, key, dk)
	}
	for {
		if v, settled, err := f.answer(err); settled {
			return v, err
		}
		// Without a reliable read there is nothing to coordinate on: load.
		if c.locker == nil || c.values != nil || err != nil {
			return c.loadHere(ctx, key, load, o)
		}
		// Replace only an entry seen out of date: one that appeared since
		// this process looked is fresh, and stays.
		cctx := c.callStart(ctx, OpAcquireLoad)
		token, elected, current, err := c.locker.AcquireLoad(cctx, dk, c.loadTimeout+leaseMargin, f.raw)
		c.callDone(cctx, OpAcquireLoad, err)
		switch {
		case err != nil:
			c.log.Warn("valcache: cannot coordinate a load with other processes; loading here", slog.String("namespace", c.ns), slog.Any("error", err))
			return c.loadHere(ctx, key, load, o)
		case elected:
			return c.loadElected(ctx, key, dk, token, c.restorable(f), load, o)
		case current != nil:
			// Written since this process looked: see whether it will do.
			f, _, err = c.examine(ctx, dk, current, nil)
			continue
		}
		c.stats.fleetWaits.Add(1)
		cctx = c.callStart(ctx, OpWaitLoad)
		err = c.locker.WaitLoad(cctx, dk)
		c.callDone(cctx, OpWaitLoad, err)
		if err != nil {
			var zero V
			return zero, err
		}
		f, err = c.lookup(ctx, key, dk)
	}
}

// flightTimeout bounds a whole get-or-load: waiting for another process's
// load, up to its lease, and then loading here. The loader itself is
// bounded by loadTimeout.
func (c *Cache[K, V]) flightTimeout() time.Duration {
	if c.locker != nil && c.values == nil {
		return 2*c.loadTimeout + leaseMargin
	}
	return c.loadTimeout
}

// runLoader calls load under loadTimeout, counted and observed; refresh
// marks a background reload.
func (c *Cache[K, V]) runLoader(ctx context.Context, key K, load Loader[K, V], refresh bool) (v V, err error) {
	l := Load{Keys: 1, Refresh: refresh}
	ctx, start := c.loadStart(ctx, l)
	ctx, cancel := context.WithTimeout(ctx, c.loadTimeout)
	defer cancel()
	defer func() { c.loadDone(ctx, l, start, err) }()
	return load(ctx, key)
}

// loadElected loads as the fleet's loader of dk: the value is written only
// while this load's placeholder is still there, so a write or delete made
// meanwhile wins; a failed load removes the placeholder at once.
func (c *Cache[K, V]) loadElected(ctx context.Context, key K, dk driver.Key, token string, stale restore, load Loader[K, V], o LoadOptions) (V, error) {
	defer func() {
		if r := recover(); r != nil {
			c.releaseLoad(dk, token, stale) // other processes need not wait out the lease
			panic(r)
		}
	}()
	var st *Stamp
	if c.versioner != nil {
		var err error
		if st, err = c.stamp(ctx, o.Tags, c.loadTTL(o.TTL), c.groupOf(dk)); err != nil {
			// Without a stamp nothing can be cached, but the caller still
			// gets its value: the cache is a shortcut.
			c.releaseLoad(dk, token, stale)
			c.log.Warn("valcache: cannot stamp a load; its value will not be cached", slog.String("namespace", c.ns), slog.Any("error", err))
			return c.runLoader(ctx, key, load, false)
		}
	}
	v, err := c.runLoader(ctx, key, load, false)
	absent := errors.Is(err, ErrNotFound) && c.negativeTTL > 0
	if err != nil && !absent {
		c.failLoad(dk, token, stale, err)
		return v, err
	}
	m, ttl, err := c.loadedMeta(o.TTL, absent)
	if err != nil {
		c.releaseLoad(dk, token, stale)
		return v, err
	}
	buf := c.bufs.get()
	defer c.bufs.put(buf)
	if buf.b, err = c.appendEntry(buf.b[:0], dk, v, st, m); err != nil {
		c.releaseLoad(dk, token, stale)
		return v, err
	}
	cctx := c.callStart(ctx, OpSetLoaded)
	wrote, err := c.locker.SetLoaded(cctx, dk, token, buf.b, ttl)
	c.callDone(cctx, OpSetLoaded, err)
	if err != nil {
		c.log.Warn("valcache: cannot cache a loaded value", slog.String("namespace", c.ns), slog.Any("error", err))
		c.releaseLoad(dk, token, stale)
	} else if wrote {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		c.loadedWritten(hctx, dk, v, ttl, absent)
		cancel()
	}
	if absent {
		var zero V
		return zero, ErrNotFound
	}
	return v, nil
}

// loadedMeta is the metadata and stored lifetime of a loaded entry, or of a
// cached absence.
func (c *Cache[K, V]) loadedMeta(ttl time.Duration, absent bool) (meta, time.Duration, error) {
	if absent {
		return meta{negative: true, written: time.Now(), freshFor: c.negativeTTL}, c.negativeTTL, nil
	}
	ttl, err := c.ttl.resolve(ttl)
	if err != nil {
		return meta{}, 0, err
	}
	m, stored := c.writeMeta(ttl)
	return m, stored, nil
}

// failureHold is how long a failed fleet load's mark answers its waiters.
const failureHold = time.Second

// failLoad ends a failed fleet load: the stale entry it replaced goes back
// if there is one; otherwise the waiters are told of the failure, so they
// return it rather than each trying the source in turn.
func (c *Cache[K, V]) failLoad(dk driver.Key, token string, stale restore, cause error) {
	if stale.bytes != nil {
		c.releaseLoad(dk, token, stale)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.locker.FailLoad(ctx, dk, token, cause.Error(), min(failureHold, c.loadTimeout)); err != nil {
		c.releaseLoad(dk, token, stale)
	}
}

// restore is a stale entry a load replaced, kept to be put back if the
// load fails, so that stale-if-error still has it.
type restore struct {
	bytes []byte
	ttl   time.Duration
}

// restorable returns what to put back if a reload of f fails: the stale
// bytes, for the rest of their stale window, when stale-if-error may serve
// them.
func (c *Cache[K, V]) restorable(f found[V]) restore {
	if f.state != stale || c.sie <= 0 {
		return restore{}
	}
	left := addTTL(f.meta.freshFor, c.staleWindow()) - time.Since(f.meta.written)
	if left <= 0 {
		return restore{}
	}
	return restore{bytes: f.raw, ttl: left}
}

// releaseLoad gives up a load's placeholder, putting back the stale entry
// it replaced if there is one, on a context of its own: the load's may be
// the one that ended.
func (c *Cache[K, V]) releaseLoad(dk driver.Key, token string, stale restore) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.locker.ReleaseLoad(ctx, dk, token, stale.bytes, stale.ttl); err != nil {
		c.log.Warn("valcache: cannot release a load; other processes wait for its lease", slog.String("namespace", c.ns), slog.Any("error", err))
	}
}

// loadHere loads in this process alone: snapshot, stamp, load, and write
// unless the key changed meanwhile.
func (c *Cache[K, V]) loadHere(ctx context.Context, key K, load Loader[K, V], o LoadOptions) (V, error) {
	dk, err := c.driverKey(key)
	if err != nil {
		var zero V
		return zero, err
	}
	prior := c.snapshotForLoad(ctx, dk)
	var st *Stamp
	if c.versioner != nil {
		if st, err = c.stamp(ctx, o.Tags, c.loadTTL(o.TTL), c.groupOf(dk)); err != nil {
			c.log.Warn("valcache: cannot stamp a load; its value will not be cached", slog.String("namespace", c.ns), slog.Any("error", err))
		}
	}
	v, err := c.runLoader(ctx, key, load, false)
	absent := errors.Is(err, ErrNotFound) && c.negativeTTL > 0
	if err != nil && !absent {
		return v, err
	}
	if c.versioner != nil && st == nil {
		return v, err
	}
	if _, werr := c.writeLoaded(ctx, key, dk, prior, v, st, o.TTL, absent); werr != nil {
		c.log.Warn("valcache: cannot cache a loaded value", slog.String("namespace", c.ns), slog.Any("error", werr))
	}
	return v, err
}

// loadTTL is how long the version keys of a load's stamp must live: as
// long as the entry, stale window included, or as a cached absence.
func (c *Cache[K, V]) loadTTL(ttl time.Duration) time.Duration {
	longest, err := c.ttl.resolveLongest(ttl)
	if err != nil {
		longest = c.ttl.def
	}
	if longest == NoExpiry {
		return longest
	}
	if c.keepsTimes() {
		longest = addTTL(longest, c.staleWindow())
	}
	return max(longest, c.negativeTTL)
}
