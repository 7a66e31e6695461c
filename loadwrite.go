package valcache

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/flight"
)

// writeTimeout bounds the write that caches a loaded value.
const writeTimeout = 2 * time.Second

// removeIfUnchanged deletes dk if it still holds what the snapshot saw: a
// refresh that learns the source no longer has the key.
func (c *Cache[K, V]) removeIfUnchanged(ctx context.Context, dk driver.Key, prior before) error {
	if !prior.ok || prior.raw == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
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

// before is what a load saw stored under its key before it ran, so that its
// write can lose to any write or delete made during the load.
type before struct {
	raw any  // []byte, a stored value, or nil for absent
	ok  bool // the snapshot was taken and the provider can compare and swap
}

// snapshotForLoad reads what is stored under dk, when the provider can
// later compare against it.
func (c *Cache[K, V]) snapshotForLoad(ctx context.Context, dk driver.Key) before {
	if c.values != nil {
		if _, ok := c.provider.(driver.ValueSwapper); !ok {
			return before{}
		}
		raw, found, err := c.values.GetValue(ctx, dk)
		if err != nil {
			return before{}
		}
		if !found {
			raw = nil
		}
		return before{raw: raw, ok: true}
	}
	if _, ok := c.provider.(driver.Swapper); !ok {
		return before{}
	}
	b, found, err := c.provider.Get(ctx, dk)
	if err != nil {
		return before{}
	}
	if !found {
		return before{ok: true}
	}
	return before{raw: b, ok: true}
}

// writeLoaded stores a loaded value (or, with absent, a cached absence) if
// the key still holds what the snapshot saw, and plainly when no snapshot
// could be taken. It reports whether it wrote.
func (c *Cache[K, V]) writeLoaded(ctx context.Context, key K, dk driver.Key, prior before, v V, st *Stamp, ttl time.Duration, absent bool) (bool, error) {
	if flight.Overtaken(ctx) { // this cache wrote or deleted the key meanwhile
		return false, nil
	}
	// The load may have used most of its deadline: the write gets its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
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
		e := newEntry(v, st, m)
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
