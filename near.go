package valcache

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
)

// Two-level providers (driver.NearCache) keep this cache's typed entries as
// in-process copies of what the shared store holds as bytes. Reads look at
// the copy first; a value decoded from the store is handed back to be kept,
// with a stamp whose cells the provider keeps following the store's
// versions, so a copy is checked on a hit as an in-process entry is.

// nearHit returns key's copy when it can be served as it is: the fast path
// of Get and GetIfPresent.
func (c *Cache[K, V]) nearHit(dk driver.Key) (*entry[V], bool) {
	raw, ok := c.near.NearGet(dk)
	if !ok {
		return nil, false
	}
	return c.servable(raw)
}

// lookupNear is lookup on a two-level provider: the copy, else the shared
// store (keeping what it finds), else, when the store cannot answer, a copy
// within the provider's stale-if-error bound.
func (c *Cache[K, V]) lookupNear(ctx context.Context, until time.Time, key K, dk driver.Key) (found[V], error) {
	if raw, ok := c.near.NearGet(dk); ok {
		if e, isEntry := raw.(*entry[V]); isEntry && e.stamp != nil && e.stamp.cells != nil && e.stamp.cellsCurrent() {
			// Only a settled answer comes from the copy: a stale entry is
			// read from the store, whose bytes a reload compares against.
			if f := c.classify(c.own(e.value), e.metaOf()); f.state == fresh || f.state == negative {
				f.level = levelL1
				return f, nil
			}
		}
	}
	cctx := c.callStart(ctx, OpGet)
	b, ok, versions, lease, err := c.near.GetForNear(cctx, dk, c.nsKey(c.groupOf(dk)))
	c.callDone(cctx, OpGet, err)
	if err != nil {
		// A copy is served while the store is unreachable only if none of
		// its versions is known to have changed.
		if raw, ok := c.near.NearStale(dk); ok {
			if e, isEntry := raw.(*entry[V]); isEntry && e.stamp != nil && e.stamp.cells != nil && e.stamp.cellsCurrent() {
				f := c.classify(c.own(e.value), e.metaOf())
				f.level, f.staleCopy = levelL1, true
				return f, nil
			}
		}
		return found[V]{}, err
	}
	if !ok {
		return found[V]{}, nil
	}
	f, env, err := c.examine(ctx, until, dk, b, versions)
	if err == nil && f.state != absent {
		c.keepNear(key, lease, f.value, env)
	}
	if f.state != absent {
		f.level = levelL2
	}
	return f, err
}

// keepNear hands a value just read and checked to the provider as key's
// copy, stamped with cells that follow the versions it was checked against.
func (c *Cache[K, V]) keepNear(key K, lease driver.NearLease, v V, env envelope.Envelope) {
	g := c.groupOf(lease.Key)
	stamps := env.StampList()
	keys := make([]driver.VersionKey, len(stamps))
	tags := make([]string, len(stamps))
	versions := make([]driver.Version, len(stamps))
	for i, s := range stamps {
		keys[i] = driver.VersionKey{Namespace: c.ns, Tag: s.Tag, Group: g}
		tags[i], versions[i] = s.Tag, s.Version
	}
	cells, ok := c.near.NearCells(keys)
	if !ok {
		return
	}
	st := &Stamp{namespace: c.ns, provider: c.provider, tags: tags, group: g, versions: versions, cells: cells}
	if !st.cellsCurrent() {
		return
	}
	c.near.NearKeep(lease, newEntry(c.own(v), st, metaOf(env.Meta)), c.weigh(key, v))
}

// nearHits moves the keys whose copies can be served into out and returns
// the others, for the shared store.
func (c *Cache[K, V]) nearHits(keys []K, dks []driver.Key, out map[K]V) ([]K, []driver.Key) {
	var restKeys []K
	var restDKs []driver.Key
	for i, dk := range dks {
		if e, ok := c.nearHit(dk); ok {
			out[keys[i]] = c.own(e.value)
			c.stats.l1Hits.Add(1)
			continue
		}
		restKeys = append(restKeys, keys[i])
		restDKs = append(restDKs, dk)
	}
	return restKeys, restDKs
}
