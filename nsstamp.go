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
	current []atomic.Pointer[rememberedStamp] // per version group
}

type rememberedStamp struct {
	stamp *Stamp
}

// keepFactor: a remembered namespace version key is kept alive for this many
// TTLs, so that it is re-ensured about once per TTL rather than per write.
const keepFactor = 2

// namespaceStamp returns a stamp for an untagged entry living ttl: the remembered
// one while its version key outlives the entry and, where the provider keeps
// cells, while its version is current; a fresh one otherwise.
func (c *Cache[K, V]) namespaceStamp(ctx context.Context, ttl time.Duration, g int) (*Stamp, error) {
	if st := c.rememberedStamp(ttl, g); st != nil {
		return st, nil
	}
	return c.refreshNamespaceStamp(ctx, ttl, g, false)
}

// rememberedStamp is namespaceStamp's answer when it needs no call, or nil.
func (c *Cache[K, V]) rememberedStamp(ttl time.Duration, g int) *Stamp {
	if r := c.nsStamp.current[g].Load(); r != nil && r.stamp.covers(time.Now(), ttl) {
		if r.stamp.cells == nil || r.stamp.cellsCurrent() {
			return r.stamp
		}
	}
	return nil
}

// refreshNamespaceStamp stamps group g afresh (exactly, see exactStamp,
// when exact is set) and remembers the stamp.
func (c *Cache[K, V]) refreshNamespaceStamp(ctx context.Context, ttl time.Duration, g int, exact bool) (*Stamp, error) {
	keep := ttl
	const longest = time.Duration(1 << 62)
	switch {
	case ttl == NoExpiry:
	case ttl > longest/keepFactor:
		keep = longest
	default:
		keep = keepFactor * ttl
	}
	stamp := c.stamp
	if exact {
		stamp = c.exactStamp
	}
	st, err := stamp(ctx, nil, keep, g)
	if err != nil {
		return nil, err
	}
	c.nsStamp.current[g].Store(&rememberedStamp{stamp: st})
	return st, nil
}

// forgetAll drops the remembered stamps, after this cache bumped the version.
func (n *nsStamp) forgetAll() {
	for i := range n.current {
		n.current[i].Store(nil)
	}
}

// forget drops a remembered stamp when it proved out of date.
func (n *nsStamp) forget(r *Stamp) {
	if r.group < 0 || r.group >= len(n.current) {
		return
	}
	if cur := n.current[r.group].Load(); cur != nil && cur.stamp == r {
		n.current[r.group].CompareAndSwap(cur, nil)
	}
}
