package valcache

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/flight"
)

// writeTimeout bounds the write that caches a loaded value, on a provider
// that has no budget of its own.
const writeTimeout = 2 * time.Second

// removeIfUnchanged deletes dk if it still holds what the snapshot saw: a
// refresh that learns the source no longer has the key.
func (c *Cache[K, V]) removeIfUnchanged(ctx context.Context, cl *call, dk driver.Key, prior before) error {
	if !prior.ok || prior.raw == nil {
		return nil
	}
	ctx, cancel := c.writeContext(ctx, cl)
	defer cancel()
	var err error
	var removed bool
	if c.values != nil {
		removed, err = c.provider.(driver.ValueSwapper).CompareAndSwapValue(ctx, dk, prior.raw, nil, 1, 0, false)
	} else {
		removed, err = c.provider.(driver.Swapper).CompareAndSwap(ctx, dk, prior.raw.([]byte), nil, 0, false)
	}
	if removed && err == nil {
		c.deleted(ctx, dk.ID)
	}
	return err
}

// writeContext is the context of the write that ends a load: detached from
// the load's, whose deadline the loader may have used up, and bounded by
// what is left of the call's budget, or by writeTimeout when the provider
// has none.
func (c *Cache[K, V]) writeContext(ctx context.Context, cl *call) (context.Context, context.CancelFunc) {
	ctx = context.WithoutCancel(ctx)
	if cl == nil || cl.until.IsZero() {
		return context.WithTimeout(ctx, writeTimeout)
	}
	return cl.bound(ctx)
}

// before is what a load saw stored under its key before it ran, so that its
// write can lose to any write or delete made during the load.
type before struct {
	raw any  // []byte, a stored value, or nil for absent
	ok  bool // the snapshot was taken and the provider can compare and swap
}

// snapshotForLoad reads what is stored under dk, when the provider can
// later compare against it. An error says the store could not be read: a
// load must then not write, having nothing to compare with.
func (c *Cache[K, V]) snapshotForLoad(ctx context.Context, dk driver.Key) (before, error) {
	if c.values != nil {
		if _, ok := c.provider.(driver.ValueSwapper); !ok {
			return before{}, nil
		}
		raw, found, err := c.values.GetValue(ctx, dk)
		if err != nil {
			return before{}, err
		}
		if !found {
			raw = nil
		}
		return before{raw: raw, ok: true}, nil
	}
	if _, ok := c.provider.(driver.Swapper); !ok {
		return before{}, nil
	}
	b, found, err := c.provider.Get(ctx, dk)
	if err != nil {
		return before{}, err
	}
	if !found {
		return before{ok: true}, nil
	}
	return before{raw: b, ok: true}, nil
}

// writeLoaded stores a loaded value (or, with absent, a cached absence) if
// the key still holds what the snapshot saw, and plainly when the provider
// cannot compare. It reports whether it wrote. Its time comes from the
// call's budget, cl (nil: writeTimeout).
func (c *Cache[K, V]) writeLoaded(ctx context.Context, cl *call, key K, dk driver.Key, prior before, v V, st *Stamp, ttl time.Duration, absent bool) (bool, error) {
	if flight.Overtaken(ctx) { // this cache wrote or deleted the key meanwhile
		return false, nil
	}
	ctx, cancel := c.writeContext(ctx, cl)
	defer cancel()
	wrote, stored, err := c.storeLoaded(ctx, key, dk, prior, v, st, ttl, absent)
	if wrote && err == nil {
		c.loadedWritten(ctx, dk, v, stored, absent)
	}
	return wrote && err == nil, err
}

// loadedWritten reports a stored load to the hooks: a cached absence
// removes what was there.
func (c *Cache[K, V]) loadedWritten(ctx context.Context, dk driver.Key, v V, stored time.Duration, absent bool) {
	if absent {
		c.deleted(ctx, dk.ID)
	} else {
		c.stored(ctx, dk.ID, v, stored)
	}
}

// storeLoaded is writeLoaded's write; it also returns the stored lifetime.
func (c *Cache[K, V]) storeLoaded(ctx context.Context, key K, dk driver.Key, prior before, v V, st *Stamp, ttl time.Duration, absent bool) (bool, time.Duration, error) {
	m, stored, err := c.loadedMeta(ttl, absent)
	if err != nil {
		return false, 0, err
	}
	weight := uint32(1)
	if !absent {
		weight = c.weigh(key, v)
	}
	if c.values != nil {
		e := newEntry(c.own(v), st, m)
		if prior.ok {
			wrote, err := c.provider.(driver.ValueSwapper).CompareAndSwapValue(ctx, dk, prior.raw, e, weight, stored, false)
			return wrote, stored, err
		}
		return true, stored, c.values.SetValue(ctx, dk, e, weight, stored)
	}
	b, err := c.appendEntry(nil, dk, v, st, m)
	if err != nil {
		return false, 0, err
	}
	ctx = c.callStart(ctx, OpSetLoaded)
	wrote := true
	if prior.ok {
		old, _ := prior.raw.([]byte)
		wrote, err = c.provider.(driver.Swapper).CompareAndSwap(ctx, dk, old, b, stored, false)
	} else {
		err = c.provider.Set(ctx, dk, b, stored)
	}
	c.callDone(ctx, OpSetLoaded, err)
	return wrote, stored, err
}
