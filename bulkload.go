package valcache

import (
	"context"
	"errors"
	"time"
)

// BulkLoader loads the values of keys the cache does not hold, in one call
// to the source. Keys it leaves out of its map do not exist in the source.
type BulkLoader[K comparable, V any] func(ctx context.Context, keys []K) (map[K]V, error)

// GetMany returns the values of keys, loading those the cache lacks with
// one call of load. Keys that a concurrent Get or GetMany of this cache
// is loading are not loaded again: their loads are waited for. Keys absent
// from the source are absent from the result (and cached as absent when
// Options.NegativeTTL is set). If some keys failed, the others are returned
// with a *KeyedBatchError[K] naming the failed ones.
//
// The call's steps on the store share the provider's bulk budget, besides
// the loader's own time. Keys the store failed to read are loaded and
// returned but not written, as with Get.
func (c *Cache[K, V]) GetMany(ctx context.Context, keys []K, load BulkLoader[K, V], o LoadOptions) (map[K]V, error) {
	if load == nil {
		return nil, ErrNilLoader
	}
	if err := checkLoadTTL(o.TTL); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the caller has gone already: nothing is read, or loaded, for it
	}
	cl := newCall(c.budgets.Bulk)
	out, absent, err := c.getMany(ctx, keys)
	if errors.Is(err, ErrClosed) {
		return nil, err
	}
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var unread map[K]bool // keys the store failed to read: loaded, not written
	if err != nil {
		cl.failed(err) // counted by the read
		if out == nil {
			out, absent = map[K]V{}, map[K]bool{}
		}
		unread = map[K]bool{}
		var kb *KeyedBatchError[K]
		partial := errors.As(err, &kb)
		for _, k := range keys {
			if _, hit := out[k]; !hit && !absent[k] && (!partial || kb.Failed[k] != nil) {
				unread[k] = true
			}
		}
	}
	var missing []K
	for _, k := range keys {
		if _, hit := out[k]; !hit && !absent[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	loaded, errs, err := c.flights.DoMany(ctx, missing, c.loadTimeout+c.budgets.Bulk, ErrNotFound, func(lctx context.Context, owned []K) (map[K]V, error) {
		return c.loadManyAndStore(withCall(lctx, cl), cl, owned, load, o, unread)
	})
	if err != nil {
		return nil, err
	}
	failed := map[K]error{}
	for k, v := range loaded {
		out[k] = v
	}
	for k, e := range errs {
		if !errors.Is(e, ErrNotFound) {
			failed[k] = e
		}
	}
	return out, batchErr(failed)
}

// loadManyAndStore stamps, loads keys in one call, and writes what came back
// with the stamp (and the absences, when they are cached), all within the
// budget of cl, except the keys in unread, which the store failed to read.
func (c *Cache[K, V]) loadManyAndStore(ctx context.Context, cl *call, keys []K, load BulkLoader[K, V], o LoadOptions, unread map[K]bool) (map[K]V, error) {
	if cause := cl.cause(); cause != nil {
		c.warnOnce(cl, "valcache: bulk read failed for some keys; loading them from the source, not caching them", cause)
	}
	writable := keys
	if len(unread) > 0 {
		writable = make([]K, 0, len(keys))
		for _, k := range keys {
			if !unread[k] {
				writable = append(writable, k)
			}
		}
	}
	var st *Stamp
	if c.versioner != nil && len(writable) > 0 {
		sctx, cancel := cl.bound(ctx)
		var err error
		st, err = c.stampKeys(sctx, o.Tags, c.loadTTL(o.TTL), writable)
		cancel()
		if err != nil {
			c.warnOnce(cl, "valcache: cannot stamp a bulk load; its values will not be cached", err)
			writable = nil
		}
	}
	var values map[K]V
	var ch loadChoice
	var err error
	cl.onSource(func() { values, ch, err = c.runBulkLoader(ctx, keys, load) })
	if err != nil || len(writable) == 0 || ch.noStore {
		return values, err
	}
	var late []string // tags the loader added, where there are versions to take
	if st != nil {
		late = ch.tags
	}
	sctx, cancel := cl.bound(ctx)
	defer cancel()
	toWrite := make(map[K]V, len(values))
	for _, k := range writable {
		if v, ok := values[k]; ok {
			toWrite[k] = v
		}
	}
	if len(toWrite) > 0 {
		if err := c.SetManyWith(sctx, toWrite, SetOptions{TTL: ch.ttlFor(o.TTL), Stamp: st, Tags: late}); err != nil {
			c.warnOnce(cl, "valcache: cannot cache bulk-loaded values", err)
		}
	}
	if c.negativeTTL > 0 {
		for _, k := range writable {
			if _, ok := values[k]; !ok {
				if dk, err := c.driverKey(k); err == nil {
					var zero V
					_, _ = c.writeLoaded(sctx, cl, k, dk, before{}, zero, st, 0, true)
				}
			}
		}
	}
	return values, nil
}

// runBulkLoader calls load under loadTimeout, counted and observed, and
// returns what it decided about its entries (Loading).
func (c *Cache[K, V]) runBulkLoader(ctx context.Context, keys []K, load BulkLoader[K, V]) (values map[K]V, ch loadChoice, err error) {
	l := Load{Keys: len(keys)}
	ctx, start := c.loadStart(ctx, l)
	ctx, cancel := context.WithTimeout(ctx, c.loadTimeout)
	defer cancel()
	defer func() { c.loadDone(ctx, l, start, err) }()
	ctx, lc := withLoadControl(ctx)
	defer func() { ch = lc.finish() }()
	values, err = load(ctx, keys)
	if err == nil {
		err = lc.failed()
	}
	return values, ch, err
}

// stampKeys stamps a load of keys: the groups of all of them.
func (c *Cache[K, V]) stampKeys(ctx context.Context, tags []string, ttl time.Duration, keys []K) (*Stamp, error) {
	seen := make([]bool, c.groupCount())
	var groups []int
	for _, k := range keys {
		dk, err := c.driverKey(k)
		if err != nil {
			return nil, err
		}
		if g := c.groupOf(dk); !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	if len(groups) <= 1 || c.cells != nil {
		g := 0
		if len(groups) == 1 {
			g = groups[0]
		}
		return c.stamp(ctx, tags, ttl, g)
	}
	return c.stampGroups(ctx, tags, ttl, groups)
}
