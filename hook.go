package valcache

import (
	"context"
	"time"
)

// WriteHook learns of the writes a cache makes, so that a feature built
// beside the cache (package search keeps its index with one) follows every
// entry however it was written: Set, SetMany, Delete, DeleteMany, values
// stored by loaders and refreshes, computes, and the deletes of Purge.
//
// Its methods are called synchronously, on the writing goroutine, after the
// store accepted the write and only then: a write dropped because its stamp
// was out of date, or that lost a compare-and-swap to another writer, is not
// reported. They get the write's context (its values included) and must
// honour it. They cannot fail the write; what goes wrong in them is theirs
// to log. Writes made by other processes, tag invalidations and Clear are
// not reported: they change no entry in place.
type WriteHook[V any] interface {
	// Stored reports entries written, one or more (a bulk write reports
	// its batch at once).
	Stored(ctx context.Context, entries []StoredEntry[V])
	// Deleted reports the IDs (as StoredEntry.ID) of entries removed, or
	// replaced by a cached absence.
	Deleted(ctx context.Context, ids []string)
}

// StoredEntry is one write a WriteHook learns of.
type StoredEntry[V any] struct {
	// ID is the key as stored: its string form under the cache's KeyCodec
	// (Options.KeyCodec when set; otherwise strings as they are, integers
	// in decimal, and other keys by their MarshalText), so a hook turns it
	// back into a key with the same KeyCodec, or with strconv for integer
	// keys.
	ID    string
	Value V
	// TTL is the most the entry lives from now in the store, stale window
	// and jitter included; NoExpiry when it never expires or when the write
	// kept a remaining life the cache does not know (a compute keeping its
	// entry's TTL without Options that record write times).
	TTL time.Duration
}

// hookReg is one attached hook; detaching removes it by identity.
type hookReg[V any] struct{ h WriteHook[V] }

// OnWrite attaches h to the cache until the returned detach is called
// (detach may be called more than once). Several hooks may be attached;
// each learns of every write. With none attached, a write costs one atomic
// load more, and reads nothing.
func (c *Cache[K, V]) OnWrite(h WriteHook[V]) (detach func()) {
	r := &hookReg[V]{h: h}
	for {
		old := c.hooks.Load()
		var next []*hookReg[V]
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, r)
		if c.hooks.CompareAndSwap(old, &next) {
			break
		}
	}
	return func() { c.detachHook(r) }
}

func (c *Cache[K, V]) detachHook(r *hookReg[V]) {
	for {
		old := c.hooks.Load()
		if old == nil {
			return
		}
		var next []*hookReg[V]
		for _, h := range *old {
			if h != r {
				next = append(next, h)
			}
		}
		if len(next) == len(*old) {
			return // already detached
		}
		var p *[]*hookReg[V]
		if len(next) > 0 {
			p = &next
		}
		if c.hooks.CompareAndSwap(old, p) {
			return
		}
	}
}

// writeHooks returns the attached hooks, nil when there are none.
func (c *Cache[K, V]) writeHooks() []*hookReg[V] {
	if p := c.hooks.Load(); p != nil {
		return *p
	}
	return nil
}

// stored reports one written entry to the hooks.
func (c *Cache[K, V]) stored(ctx context.Context, id string, v V, ttl time.Duration) {
	hs := c.writeHooks()
	if hs == nil {
		return
	}
	c.storedMany(ctx, hs, []StoredEntry[V]{{ID: id, Value: v, TTL: ttl}})
}

func (c *Cache[K, V]) storedMany(ctx context.Context, hs []*hookReg[V], es []StoredEntry[V]) {
	if len(es) == 0 {
		return
	}
	for _, h := range hs {
		h.h.Stored(ctx, es)
	}
}

// deleted reports removed entries to the hooks.
func (c *Cache[K, V]) deleted(ctx context.Context, ids ...string) {
	hs := c.writeHooks()
	if hs == nil || len(ids) == 0 {
		return
	}
	for _, h := range hs {
		h.h.Deleted(ctx, ids)
	}
}
