package valcache

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// Set stores value under key with the cache's default TTL.
func (c *Cache[K, V]) Set(ctx context.Context, key K, value V) error {
	return c.SetWithTTL(ctx, key, value, 0)
}

// SetWithTTL stores value under key for ttl. Zero means the cache's default
// TTL and NoExpiry means none; other negative values are ErrInvalidTTL. The
// cache's jitter applies. TTLs below a millisecond are rounded up to one by
// providers whose resolution is a millisecond, never down to zero.
func (c *Cache[K, V]) SetWithTTL(ctx context.Context, key K, value V, ttl time.Duration) error {
	dk, err := c.driverKey(key)
	if err != nil {
		return err
	}
	if ttl, err = c.ttl.resolve(ttl); err != nil {
		return err
	}
	if c.values != nil {
		return c.values.SetValue(ctx, dk, &entry[V]{value: value}, c.weigh(key, value), ttl)
	}
	buf := c.bufs.get()
	defer c.bufs.put(buf)
	if buf.b, err = appendEnvelope(buf.b[:0], c.codec, value); err != nil {
		return err
	}
	return c.provider.Set(ctx, dk, buf.b, ttl)
}

// SetMany stores every entry of values with the cache's default TTL.
func (c *Cache[K, V]) SetMany(ctx context.Context, values map[K]V) error {
	return c.SetManyWithTTL(ctx, values, 0)
}

// SetManyWithTTL stores every entry of values for ttl, as SetWithTTL does,
// each with its own jitter. Entries that failed are named by a
// *KeyedBatchError[K]; the others are written.
func (c *Cache[K, V]) SetManyWithTTL(ctx context.Context, values map[K]V, ttl time.Duration) error {
	if _, err := c.ttl.resolve(ttl); err != nil {
		return err
	}
	keys := make([]K, 0, len(values))
	items := make([]driver.Item, 0, len(values))
	failed := map[K]error{}
	for k, v := range values {
		dk, err := c.driverKey(k)
		if err != nil {
			return err
		}
		t, _ := c.ttl.resolve(ttl)
		if c.values != nil {
			if err := c.values.SetValue(ctx, dk, &entry[V]{value: v}, c.weigh(k, v), t); err != nil {
				failed[k] = err
			}
			continue
		}
		// Bulk values are not pooled: the whole batch is alive at once.
		b, err := appendEnvelope(nil, c.codec, v)
		if err != nil {
			failed[k] = err
			continue
		}
		keys = append(keys, k)
		items = append(items, driver.Item{Key: dk, Value: b, TTL: t})
	}
	if len(items) > 0 {
		err := c.setItems(ctx, items)
		if _, partial := asBatchError(err); err != nil && !partial {
			return err
		}
		if keyed, ok := keyBatchError(keys, err).(*KeyedBatchError[K]); ok {
			for k, e := range keyed.Failed {
				failed[k] = e
			}
		}
	}
	return batchErr(failed)
}

func (c *Cache[K, V]) setItems(ctx context.Context, items []driver.Item) error {
	if c.batchSet != nil {
		return c.batchSet.SetMany(ctx, items)
	}
	failed := map[int]error{}
	for i, it := range items {
		if err := c.provider.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			failed[i] = err
		}
	}
	if len(failed) > 0 {
		return &driver.BatchError{Failed: failed}
	}
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func (c *Cache[K, V]) Delete(ctx context.Context, key K) error {
	dk, err := c.driverKey(key)
	if err != nil {
		return err
	}
	return c.provider.Delete(ctx, dk)
}

// DeleteMany removes keys. Keys that could not be deleted are named by a
// *KeyedBatchError[K].
func (c *Cache[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	dks, err := c.driverKeys(keys)
	if err != nil {
		return err
	}
	if c.batchDel != nil {
		return keyBatchError(keys, c.batchDel.DeleteMany(ctx, dks))
	}
	failed := map[K]error{}
	for i, dk := range dks {
		if err := c.provider.Delete(ctx, dk); err != nil {
			failed[keys[i]] = err
		}
	}
	return batchErr(failed)
}

// Clear removes every entry of this cache's namespace, and nothing of any
// other namespace.
func (c *Cache[K, V]) Clear(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	return c.provider.Clear(ctx, c.ns)
}
