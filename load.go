package valcache

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

// DefaultLoadTimeout bounds a load when Options.LoadTimeout is zero.
const DefaultLoadTimeout = 10 * time.Second

// Loader produces the value of a key the cache does not hold, from the
// source of truth. It gets a context of its own (see Cache.Get).
type Loader[K comparable, V any] func(ctx context.Context, key K) (V, error)

// LoadOptions are the optional parts of a get-or-load. A loader can change
// them from inside, once it knows what it loaded: see Loading.
type LoadOptions struct {
	// TTL of the loaded entry: zero means the cache's default, NoExpiry
	// none; any other negative TTL is refused with ErrInvalidTTL.
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
// Options.NegativeTTL is set. A nil load is ErrNilLoader. The loader may
// choose its entry's TTL, add tags or decline caching (Loading).
//
// The call's steps on the store share one budget (the provider's, see
// driver.Budgeter), so without a deadline of the caller's a Get spends at
// most that long on the store, besides the loader's own time. When the
// store fails, the load still runs and its value is returned: the cache is
// a shortcut, not the source of truth. A failure that may have reached the
// store (a reset connection) is tried again within the budget first, since
// the store may hold another process's load of the key; one that cannot
// have (a refused connection), or a budget run out, loads at once, and the
// value is then not written, so nothing loaded while the store was away can
// overwrite what is written once it is back. Such a failure is counted in
// Stats().StoreErrors and logged once per call. A caller's own cancellation
// or deadline is returned as the context's error, and is neither.
func (c *Cache[K, V]) Get(ctx context.Context, key K, load Loader[K, V]) (V, error) {
	if load == nil {
		var zero V
		return zero, ErrNilLoader
	}
	if c.values != nil {
		if dk, err := c.driverKey(key); err == nil {
			if raw, found, err := c.values.GetValue(ctx, dk); err == nil && found {
				if e, ok := c.servable(raw); ok {
					c.stats.hits.Add(1)
					return c.own(e.value), nil
				}
			}
		}
	} else if c.near != nil {
		if dk, err := c.driverKey(key); err == nil {
			if e, ok := c.nearHit(dk); ok {
				c.stats.l1Hits.Add(1)
				return c.own(e.value), nil
			}
		}
	}
	r, err := c.Fetch(ctx, key, load, LoadOptions{})
	return r.Value, err
}

// leaseMargin is added to the load timeout to make a load's lease: the
// loader's context ends first, so a live loader never loses its lease.
const leaseMargin = time.Second

// maxLoadRounds bounds how often one load looks at its key again. Each
// round but a few waits for another process's load of the key (until the
// store says it changed, or its lease ends), so the flight's deadline ends
// the loop long before.
const maxLoadRounds = 10_000

// loadAndStore runs once per key at a time in this process: it looks again
// (a load that just finished may have filled the key), then loads. Where the
// provider can elect one loader for the fleet, it loads only if elected and
// otherwise waits for the elected loader's value. Its steps on the store
// share the budget of cl, the call that started it.
//
// first, when set, is what the caller found a moment ago, and firstErr the
// caller's lookup failure. Where loads are elected by the store, first
// stands for the second look: the election reads the key in the same step
// and returns what was written since.
//
// A step that fails in a way that may have reached the store is tried
// again within the budget (a load elsewhere may hold the key); when the
// store cannot be reached, or the budget is spent, the value is loaded
// here and not written (see loadHere).
func (c *Cache[K, V]) loadAndStore(ctx context.Context, cl *call, key K, load Loader[K, V], o LoadOptions, first *found[V], firstErr error) (V, error) {
	var zero V
	dk, err := c.driverKey(key)
	if err != nil {
		return zero, err
	}
	defer func() {
		if cause := cl.cause(); cause != nil {
			c.warnOnce(cl, "valcache: a call to the store failed during a load, and was tried again", cause)
		}
	}()
	var f found[V]
	if first != nil && c.locker != nil && c.values == nil {
		f = *first
	} else if firstErr != nil && c.locker != nil && c.values == nil {
		err = firstErr
	} else {
		f, err = c.lookupStep(ctx, cl, key, dk)
	}
	retries := 0
	for round := 0; round < maxLoadRounds; round++ {
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return zero, err
			}
			if ctx.Err() != nil {
				return zero, ctx.Err() // the cache closed, or the load's time is up
			}
			if cl.retryStep(ctx, err, retries) {
				retries++
				f, err = c.lookupStep(ctx, cl, key, dk)
				continue
			}
			return c.loadHere(ctx, cl, key, load, o, err)
		}
		if v, settled, err := f.answer(nil); settled {
			return v, err
		}
		if c.locker == nil || c.values != nil {
			return c.loadHere(ctx, cl, key, load, o, nil)
		}
		// Replace only an entry seen out of date: one that appeared since
		// this process looked is fresh, and stays.
		var token string
		var elected bool
		var current []byte
		err = c.step(ctx, cl, OpAcquireLoad, func(sctx context.Context) (err error) {
			token, elected, current, err = c.locker.AcquireLoad(sctx, dk, c.loadTimeout+leaseMargin, f.raw)
			return err
		})
		switch {
		case err != nil:
			// Looked at again from the top: tried again from the lookup
			// within the budget, or loaded here.
			continue
		case elected:
			return c.loadElected(ctx, cl, key, dk, token, c.restorable(f), load, o)
		case current != nil:
			// Written since this process looked: see whether it will do.
			f, _, err = c.examine(ctx, cl.until, dk, current, nil)
			continue
		}
		c.stats.fleetWaits.Add(1)
		wctx := c.callStart(ctx, OpWaitLoad)
		var werr error
		cl.onSource(func() { werr = c.locker.WaitLoad(wctx, dk) })
		c.callDone(wctx, OpWaitLoad, werr)
		switch {
		case errors.Is(werr, ErrUnavailable):
			err = werr // as any failed step: looked at again, or loaded here
			continue
		case werr != nil:
			return zero, werr // the load failed elsewhere, or this one's time is up
		}
		f, err = c.lookupStep(ctx, cl, key, dk)
	}
	return c.loadHere(ctx, cl, key, load, o, nil)
}

// step runs one call to the store of op within cl's budget, observed and
// counted; with no op, fn observes its calls itself.
func (c *Cache[K, V]) step(ctx context.Context, cl *call, op Op, fn func(context.Context) error) error {
	sctx, cancel := cl.bound(ctx)
	defer cancel()
	if op == "" {
		return fn(sctx)
	}
	sctx = c.callStart(sctx, op)
	err := fn(sctx)
	c.callDone(sctx, op, err)
	return err
}

// retrying is step tried again, within the budget, after a failure that
// may have reached the store (see call.retryStep).
func (c *Cache[K, V]) retrying(ctx context.Context, cl *call, op Op, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := c.step(ctx, cl, op, fn)
		if err == nil || !cl.retryStep(ctx, err, attempt) {
			return err
		}
	}
}

// lookupStep is a lookup made after a call's first step, within its budget.
func (c *Cache[K, V]) lookupStep(ctx context.Context, cl *call, key K, dk driver.Key) (found[V], error) {
	sctx, cancel := cl.bound(ctx)
	defer cancel()
	return c.lookup(sctx, cl.until, key, dk)
}

// flightTimeout bounds a whole get-or-load: its time on the store, waiting
// for another process's load, up to its lease, and then loading here. The
// loader itself is bounded by loadTimeout.
func (c *Cache[K, V]) flightTimeout() time.Duration {
	if c.locker != nil && c.values == nil {
		return 2*c.loadTimeout + leaseMargin + c.budgets.Single
	}
	return c.loadTimeout + c.budgets.Single
}

// runLoader calls load under loadTimeout, counted and observed; refresh
// marks a background reload. It also returns what the loader decided about
// its entry (Loading).
func (c *Cache[K, V]) runLoader(ctx context.Context, key K, load Loader[K, V], refresh bool) (v V, ch loadChoice, err error) {
	l := Load{Keys: 1, Refresh: refresh}
	ctx, start := c.loadStart(ctx, l)
	ctx, cancel := context.WithTimeout(ctx, c.loadTimeout)
	defer cancel()
	defer func() { c.loadDone(ctx, l, start, err) }()
	ctx, lc := withLoadControl(ctx)
	defer func() { ch = lc.finish() }()
	v, err = load(ctx, key)
	if err == nil {
		err = lc.failed()
	}
	return v, ch, err
}

// loadOnSource is runLoader for a call: the loader's time is the source's,
// not the budget's.
func (c *Cache[K, V]) loadOnSource(ctx context.Context, cl *call, key K, load Loader[K, V]) (v V, ch loadChoice, err error) {
	defer cl.loaded.Store(true) // after the loader returned, even by a panic
	cl.onSource(func() { v, ch, err = c.runLoader(ctx, key, load, false) })
	return v, ch, err
}

// choose applies what a loader decided to the write of its value: whether
// to write at all, the TTL, and the stamp, which takes the versions of the
// tags the loader added (and, for a TTL longer than the stamp's, keeps the
// stamped versions alive as long). write is false when the loader declined
// caching, or when a stamped tag was invalidated while it ran.
func (c *Cache[K, V]) choose(ctx context.Context, cl *call, dk driver.Key, st *Stamp, ch loadChoice, asked time.Duration, absent bool) (_ *Stamp, ttl time.Duration, write bool) {
	if ch.noStore {
		return nil, 0, false
	}
	ttl = ch.ttlFor(asked)
	if absent || st == nil || (len(ch.tags) == 0 && !ch.ttlSet) {
		return st, ttl, true
	}
	var keep bool
	err := c.retrying(ctx, cl, "", func(sctx context.Context) (err error) {
		s := steps{ctx: sctx}
		st, keep, err = c.stampForWrite(&s, SetOptions{Stamp: st, Tags: ch.tags}, c.loadTTL(ttl), c.groupOf(dk))
		return err
	})
	if err != nil {
		c.warnOnce(cl, "valcache: cannot stamp the tags a loader added; its value will not be cached", err)
		return nil, 0, false
	}
	return st, ttl, keep
}

// loadElected loads as the fleet's loader of dk: the value is written only
// while this load's placeholder is still there, so a write or delete made
// meanwhile wins; a failed load removes the placeholder at once.
func (c *Cache[K, V]) loadElected(ctx context.Context, cl *call, key K, dk driver.Key, token string, stale restore, load Loader[K, V], o LoadOptions) (V, error) {
	defer func() {
		if r := recover(); r != nil {
			c.releaseLoad(ctx, cl, dk, token, stale) // other processes need not wait out the lease
			panic(r)
		}
	}()
	var st *Stamp
	if c.versioner != nil {
		err := c.retrying(ctx, cl, "", func(sctx context.Context) (err error) {
			st, err = c.stamp(sctx, o.Tags, c.loadTTL(o.TTL), c.groupOf(dk)) // observed by stamp itself
			return err
		})
		if err != nil {
			// Without a stamp nothing can be cached, but the caller still
			// gets its value: the cache is a shortcut.
			c.releaseLoad(ctx, cl, dk, token, stale)
			c.warnOnce(cl, "valcache: cannot stamp a load; its value will not be cached", err)
			v, _, err := c.loadOnSource(ctx, cl, key, load)
			return v, err
		}
	}
	v, ch, err := c.loadOnSource(ctx, cl, key, load)
	absent := errors.Is(err, ErrNotFound) && c.negativeTTL > 0
	if err != nil && !absent {
		c.failLoad(ctx, cl, dk, token, stale, err)
		return v, err
	}
	result := func() (V, error) {
		if absent {
			var zero V
			return zero, ErrNotFound
		}
		return v, nil
	}
	st, asked, write := c.choose(ctx, cl, dk, st, ch, o.TTL, absent)
	if !write {
		c.releaseLoad(ctx, cl, dk, token, stale)
		return result()
	}
	m, ttl, err := c.loadedMeta(asked, absent)
	if err != nil {
		c.releaseLoad(ctx, cl, dk, token, stale)
		return v, err
	}
	buf := c.bufs.get()
	defer c.bufs.put(buf)
	if buf.b, err = c.appendEntry(buf.b[:0], dk, v, st, m); err != nil {
		c.releaseLoad(ctx, cl, dk, token, stale)
		return v, err
	}
	var wrote bool
	err = c.retrying(ctx, cl, OpSetLoaded, func(sctx context.Context) (err error) {
		wrote, err = c.locker.SetLoaded(sctx, dk, token, buf.b, ttl)
		return err
	})
	if err != nil {
		c.warnOnce(cl, "valcache: cannot cache a loaded value", err)
		c.releaseLoad(ctx, cl, dk, token, stale)
	} else if wrote {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		c.loadedWritten(hctx, dk, v, ttl, absent)
		cancel()
	}
	return result()
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
func (c *Cache[K, V]) failLoad(ctx context.Context, cl *call, dk driver.Key, token string, stale restore, cause error) {
	if stale.bytes != nil {
		c.releaseLoad(ctx, cl, dk, token, stale)
		return
	}
	fctx, cancel := cl.cleanupContext(ctx)
	defer cancel()
	if err := c.locker.FailLoad(fctx, dk, token, cause.Error(), min(failureHold, c.loadTimeout)); err != nil {
		c.releaseLoad(ctx, cl, dk, token, stale)
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
// it replaced if there is one, on a context of its own (the load's may be
// the one that ended) bounded by what is left of the budget.
func (c *Cache[K, V]) releaseLoad(ctx context.Context, cl *call, dk driver.Key, token string, stale restore) {
	rctx, cancel := cl.cleanupContext(ctx)
	defer cancel()
	if err := c.locker.ReleaseLoad(rctx, dk, token, stale.bytes, stale.ttl); err != nil {
		c.warnOnce(cl, "valcache: cannot release a load; other processes wait for its lease", err)
	}
}

// loadHere loads in this process alone.
//
// When the store failed during this load (storeErr), it only loads: no
// snapshot, no stamp and no write, since a write without a snapshot to
// compare with could land over a value written once the store is back.
// Otherwise it snapshots, stamps, loads, and writes unless the key changed
// meanwhile.
func (c *Cache[K, V]) loadHere(ctx context.Context, cl *call, key K, load Loader[K, V], o LoadOptions, storeErr error) (V, error) {
	if storeErr != nil {
		c.warnOnce(cl, "valcache: the store failed; loaded from the source, not cached", storeErr)
		v, _, err := c.loadOnSource(ctx, cl, key, load)
		return v, err
	}
	dk, err := c.driverKey(key)
	if err != nil {
		var zero V
		return zero, err
	}
	sctx, cancel := cl.bound(ctx)
	prior, serr := c.snapshotForLoad(sctx, dk)
	if serr != nil {
		if storeFailure(serr) && cl.failed(serr) {
			c.stats.storeErrors.Add(1)
		}
		c.warnOnce(cl, "valcache: the store failed; loaded from the source, not cached", serr)
	}
	var st *Stamp
	if c.versioner != nil && serr == nil {
		if st, serr = c.stamp(sctx, o.Tags, c.loadTTL(o.TTL), c.groupOf(dk)); serr != nil {
			c.warnOnce(cl, "valcache: cannot stamp a load; its value will not be cached", serr)
		}
	}
	cancel()
	v, ch, err := c.loadOnSource(ctx, cl, key, load)
	absent := errors.Is(err, ErrNotFound) && c.negativeTTL > 0
	if err != nil && !absent {
		return v, err
	}
	if serr != nil {
		return v, err
	}
	st, ttl, write := c.choose(ctx, cl, dk, st, ch, o.TTL, absent)
	if !write {
		return v, err
	}
	if _, werr := c.writeLoaded(ctx, cl, key, dk, prior, v, st, ttl, absent); werr != nil {
		c.warnOnce(cl, "valcache: cannot cache a loaded value", werr)
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
