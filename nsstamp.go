package valcache

import (
	"context"
	"sync/atomic"
	"time"
)

// nsStamp remembers the stamp of untagged writes (the namespace's version
// alone), so that they neither ensure the version key on every write nor
// allocate a stamp each: entries written in a row share one, which also keeps
// in-process hits from chasing scattered memory.
type nsStamp struct {
	current atomic.Pointer[rememberedStamp]
}

type rememberedStamp struct {
	stamp *Stamp
	until time.Time // the version key is kept alive at least until then
}

// keepFactor: a remembered namespace version key is kept alive for this many
// TTLs, so that it is re-ensured about once per TTL rather than per write.
const keepFactor = 2

// namespaceStamp returns a stamp for an untagged entry living ttl: the remembered
// one while its version key outlives the entry and, where the provider keeps
// cells, while its version is current; a fresh one otherwise.
func (c *Cache[K, V]) namespaceStamp(ctx context.Context, ttl time.Duration) (*Stamp, error) {
	now := time.Now()
	if r := c.nsStamp.current.Load(); r != nil && r.covers(now, ttl) {
		if r.stamp.cells == nil || r.stamp.cells[0].Load() == r.stamp.versions[0] {
			return r.stamp, nil
		}
	}
	return c.refreshNamespaceStamp(ctx, ttl)
}

func (c *Cache[K, V]) refreshNamespaceStamp(ctx context.Context, ttl time.Duration) (*Stamp, error) {
	keep := ttl
	if ttl != NoExpiry {
		keep = min(keepFactor*ttl, time.Duration(1<<62))
	}
	now := time.Now()
	st, err := c.stamp(ctx, nil, keep)
	if err != nil {
		return nil, err
	}
	r := &rememberedStamp{stamp: st}
	if keep != NoExpiry {
		r.until = now.Add(keep)
	}
	c.nsStamp.current.Store(r)
	return st, nil
}

func (r *rememberedStamp) covers(now time.Time, ttl time.Duration) bool {
	if r.until.IsZero() {
		return true // kept for ever
	}
	return ttl != NoExpiry && !now.Add(ttl).After(r.until)
}

// forget drops the remembered stamp when it proved out of date.
func (n *nsStamp) forget(r *Stamp) {
	if cur := n.current.Load(); cur != nil && cur.stamp == r {
		n.current.CompareAndSwap(cur, nil)
	}
}
