package valcache

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
)

// GetIfPresent returns the value stored under key. A miss is (zero, false,
// nil); an error means the provider could not answer and says nothing about
// whether the key is present. A stored value that cannot be decoded is a
// miss, counted in Stats().DecodeErrors and logged.
func (c *Cache[K, V]) GetIfPresent(ctx context.Context, key K) (V, bool, error) {
	var zero V
	dk, err := c.driverKey(key)
	if err != nil {
		return zero, false, err
	}
	if c.values != nil {
		raw, found, err := c.values.GetValue(ctx, dk)
		if err != nil || !found {
			return zero, false, err
		}
		if e, ok := raw.(*entry[V]); ok {
			return e.value, true, nil
		}
		return c.fromStored(dk, raw)
	}
	b, found, err := c.provider.Get(ctx, dk)
	if err != nil || !found {
		return zero, false, err
	}
	return c.decode(dk, b, true)
}

// GetMany returns the values present among keys. Missing and undecodable
// keys are absent from the map. If the provider failed for some keys, the
// map still holds the others and the error is a *BatchError[K] naming them.
func (c *Cache[K, V]) GetMany(ctx context.Context, keys []K) (map[K]V, error) {
	dks, err := c.driverKeys(keys)
	if err != nil {
		return nil, err
	}
	out := make(map[K]V, len(keys))
	if c.values != nil {
		failed := map[K]error{}
		for i, dk := range dks {
			raw, found, err := c.values.GetValue(ctx, dk)
			if err != nil {
				failed[keys[i]] = err
				continue
			}
			if !found {
				continue
			}
			if v, ok, _ := c.fromStored(dk, raw); ok {
				out[keys[i]] = v
			}
		}
		return out, batchErr(failed)
	}
	values, err := c.getBytes(ctx, dks)
	if _, partial := asBatchError(err); err != nil && !partial {
		return nil, err
	}
	for i, b := range values {
		if b == nil {
			continue
		}
		if v, ok, _ := c.decode(dks[i], b, true); ok {
			out[keys[i]] = v
		}
	}
	return out, keyBatchError(keys, err)
}

// getBytes reads many keys through the provider's batch path when it has one.
func (c *Cache[K, V]) getBytes(ctx context.Context, dks []driver.Key) ([][]byte, error) {
	if c.batchGet != nil {
		return c.batchGet.GetMany(ctx, dks)
	}
	out := make([][]byte, len(dks))
	failed := map[int]error{}
	for i, dk := range dks {
		b, found, err := c.provider.Get(ctx, dk)
		switch {
		case err != nil:
			failed[i] = err
		case found:
			if b == nil {
				b = []byte{}
			}
			out[i] = b
		}
	}
	if len(failed) > 0 {
		return out, &driver.BatchError{Failed: failed}
	}
	return out, nil
}

// fromStored unwraps what a ValueStore returned: normally this cache's own
// typed entry; bytes if the entry was written through the byte path.
func (c *Cache[K, V]) fromStored(dk driver.Key, raw any) (V, bool, error) {
	switch e := raw.(type) {
	case *entry[V]:
		return e.value, true, nil
	case []byte:
		return c.decode(dk, e, false)
	}
	var zero V
	c.undecodable(dk, fmt.Errorf("valcache: stored value is a %T, not this cache's entry type", raw))
	return zero, false, nil
}

// decode reads an envelope. Entries written by another codec are still read
// when that codec is built in, so a cache can change codec without a flush.
// owned says b is the caller's to give away (fresh from a provider's Get),
// so a codec may keep it instead of copying.
func (c *Cache[K, V]) decode(dk driver.Key, b []byte, owned bool) (V, bool, error) {
	var v V
	env, err := parseEnvelope(b)
	if err != nil {
		c.undecodable(dk, err)
		return v, false, nil
	}
	cd := c.codec
	if env.codecID != cd.ID() {
		var ok bool
		if cd, ok = codec.ByID(env.codecID); !ok {
			c.undecodable(dk, fmt.Errorf("valcache: unknown codec id %d", env.codecID))
			return v, false, nil
		}
	}
	if err := decodeWith(cd, env.payload, &v, owned); err != nil {
		c.undecodable(dk, err)
		var zero V
		return zero, false, nil
	}
	return v, true, nil
}

func (c *Cache[K, V]) undecodable(dk driver.Key, err error) {
	c.stats.decodeErrors.Add(1)
	c.log.Warn("valcache: stored value is unreadable; treated as a miss",
		slog.String("namespace", dk.Namespace), slog.String("key", dk.ID), slog.Any("error", err))
}

func decodeWith(cd codec.Codec, payload []byte, v any, owned bool) error {
	if owned {
		if od, ok := cd.(codec.OwningDecoder); ok {
			return od.DecodeOwned(payload, v)
		}
	}
	return cd.Decode(payload, v)
}
