package valcache

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/flight"
)

// Result is what Fetch returns: the value and how it was obtained.
type Result[V any] struct {
	Value V
	// Stale reports a value served past its TTL: within
	// Options.StaleWhileRevalidate (a reload runs in the background) or
	// Options.StaleIfError (the reload failed, with LoadErr).
	Stale bool
	// Age is the time since the value was written, when the cache records
	// it (Options.StaleWhileRevalidate, StaleIfError or RefreshAfter).
	Age time.Duration
	// LoadErr is the error of the failed reload a stale value stands in for.
	LoadErr error
	// Loaded reports that this call's own loader ran, and returned, for
	// this result: false for a value read from the cache, or loaded by
	// another caller (of this process, or of another process where loads
	// are elected) that this one waited for. With an error, it says the
	// error is what this call's loader returned.
	Loaded bool
}

// Fetch returns the value of key, loading it with load on a miss, and says
// how it was obtained: whether the value is stale and why, its age, and
// whether this call's loader ran (see Result). It is Get with those
// details, and like Get serves stale values and refreshes ahead, as
// Options say.
func (c *Cache[K, V]) Fetch(ctx context.Context, key K, load Loader[K, V], o LoadOptions) (Result[V], error) {
	var none Result[V]
	if load == nil {
		return none, ErrNilLoader
	}
	if err := checkLoadTTL(o.TTL); err != nil {
		return none, err
	}
	dk, err := c.driverKey(key)
	if err != nil {
		return none, err
	}
	if err := ctx.Err(); err != nil {
		return none, err // the caller has gone already: nothing is read, or loaded, for it
	}
	until := budgetEnd(c.budgets.Single)
	f, err := c.lookup(ctx, until, key, dk)
	switch {
	case errors.Is(err, ErrClosed):
		return none, err
	case err != nil && ctx.Err() != nil:
		return none, ctx.Err() // the caller gave up; not the store's failure
	case err != nil:
		// The store failed: the load below decides what to do about it,
		// and says so once.
	case f.state == fresh:
		c.count(f)
		if c.dueForRefresh(f) {
			c.refresh(ctx, key, dk, load, o)
		}
		return Result[V]{Value: f.value, Age: f.age}, nil
	case f.state == negative:
		c.count(f)
		return none, ErrNotFound
	case f.state == stale && f.age <= addTTL(f.meta.freshFor, c.swr):
		c.stats.staleSWR.Add(1)
		c.refresh(ctx, key, dk, load, o)
		return Result[V]{Value: f.value, Stale: true, Age: f.age}, nil
	}
	c.stats.misses.Add(1)
	if err := ctx.Err(); err != nil {
		return none, err // no load is started for a caller that has gone
	}
	cl := &call{until: until}
	var first *found[V]
	if err == nil {
		seen := f // a copy, so that f itself stays off the heap on hits
		first = &seen
	} else if storeFailure(err) {
		cl.failed(err) // counted by the lookup
	}
	firstErr := err
	v, joined, err := c.flights.Do(ctx, key, c.flightTimeout(), func(lctx context.Context) (V, error) {
		return c.loadAndStore(withCall(lctx, cl), cl, key, load, o, first, firstErr)
	})
	if joined {
		c.stats.waiters.Add(1)
	}
	loaded := !joined && cl.loaded.Load()
	if err == nil {
		return Result[V]{Value: v, Loaded: loaded}, nil
	}
	if f.state == stale && time.Since(f.meta.written) <= addTTL(f.meta.freshFor, c.sie) && !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
		c.stats.staleSIE.Add(1)
		c.log.Debug("valcache: reload failed; serving the stale value", slog.String("namespace", c.ns), slog.Any("error", err))
		return Result[V]{Value: f.value, Stale: true, Age: f.age, LoadErr: err, Loaded: loaded}, nil
	}
	none.Loaded = loaded
	return none, err
}

// dueForRefresh reports whether a fresh entry has lived the RefreshAfter
// fraction of its TTL.
func (c *Cache[K, V]) dueForRefresh(f found[V]) bool {
	return c.refreshAfter > 0 && !f.meta.written.IsZero() &&
		f.age >= time.Duration(c.refreshAfter*float64(f.meta.freshFor))
}

// refreshLease is the lease of a background refresh's fleet-wide lock.
func (c *Cache[K, V]) refreshLease() time.Duration { return c.loadTimeout + leaseMargin }

// refresh reloads key in the background, once per key in this process and,
// where the provider can say so, once for the fleet; the current value
// stays readable meanwhile, and is replaced when the reload succeeds. Its
// steps on the store share one budget, as a call's do.
func (c *Cache[K, V]) refresh(ctx context.Context, key K, dk driver.Key, load Loader[K, V], o LoadOptions) {
	c.refreshes.Start(ctx, key, c.loadTimeout+c.budgets.Single, func(lctx context.Context) (V, error) {
		var zero V
		c.stats.refreshes.Add(1)
		cl := newCall(c.budgets.Single)
		lctx = withCall(lctx, cl)
		sctx, cancel := cl.bound(lctx)
		defer cancel()
		if rl, ok := c.provider.(driver.RefreshLocker); ok {
			won, err := rl.AcquireRefresh(sctx, dk, c.refreshLease())
			if err != nil || !won {
				return zero, err // another process refreshes it
			}
		}
		prior, err := c.snapshotForLoad(sctx, dk)
		if err != nil {
			return zero, err // nothing a reload wrote could be compared with
		}
		var st *Stamp
		if c.versioner != nil {
			if st, err = c.stamp(sctx, o.Tags, c.loadTTL(o.TTL), c.groupOf(dk)); err != nil {
				return zero, err
			}
		}
		var v V
		var ch loadChoice
		cl.onSource(func() { v, ch, err = c.runLoader(lctx, key, load, true) })
		if errors.Is(err, ErrNotFound) && !flight.Overtaken(lctx) {
			// The source no longer has the key: stop serving it.
			if c.negativeTTL > 0 && !ch.noStore {
				_, err = c.writeLoaded(lctx, cl, key, dk, prior, v, st, 0, true)
			} else {
				err = c.removeIfUnchanged(lctx, cl, dk, prior)
			}
			return v, err
		}
		if err != nil {
			c.log.Warn("valcache: background refresh failed", slog.String("namespace", c.ns), slog.Any("error", err))
			return v, err
		}
		st, ttl, write := c.choose(lctx, cl, dk, st, ch, o.TTL, false)
		if !write {
			return v, nil
		}
		// A write or delete made during the refresh wins over it.
		if _, err := c.writeLoaded(lctx, cl, key, dk, prior, v, st, ttl, false); err != nil {
			c.warnStore("valcache: cannot cache a refreshed value", err)
		}
		return v, nil
	})
}
