package valcache

import (
	"context"
	"fmt"
	"time"
)

// Expire gives key's entry a new TTL from now, keeping its value and tags,
// and reports whether there was an entry to extend: false, and nothing
// written, when key is absent, stale, cached as absent or invalidated. Zero
// means the cache's default TTL and NoExpiry none; the cache's jitter
// applies. It is a compute (see Compute): a write of the key meanwhile is
// not lost, Expire then applies to the new entry, and the provider must be
// able to compare and swap.
func (c *Cache[K, V]) Expire(ctx context.Context, key K, ttl time.Duration) (bool, error) {
	if !askable(ttl) {
		return false, fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	_, found, err := c.compute(ctx, key, func(old V, found bool) (V, ComputeOp, error) {
		if !found {
			return old, ComputeKeep, nil
		}
		return old, ComputeSet, nil
	}, ComputeOptions{TTL: ttl}, true)
	return found, err
}
