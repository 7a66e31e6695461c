package memory

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache/driver"
)

var (
	_ driver.Swapper      = (*Provider)(nil)
	_ driver.ValueSwapper = (*Provider)(nil)
)

// CompareAndSwapValue implements driver.ValueSwapper: old is compared by
// identity, under the key's lock.
func (p *Provider) CompareAndSwapValue(ctx context.Context, key driver.Key, old, value any, weight uint32, ttl time.Duration, keepTTL bool) (bool, error) {
	return p.swap(ctx, key, func(cur any, found bool) bool {
		if old == nil {
			return !found
		}
		return found && sameStored(cur, old)
	}, value, max(weight, 1), ttl, keepTTL)
}

// CompareAndSwap implements driver.Swapper for byte values.
func (p *Provider) CompareAndSwap(ctx context.Context, key driver.Key, old, value []byte, ttl time.Duration, keepTTL bool) (bool, error) {
	var stored any
	weight := uint32(1)
	if value != nil {
		if len(value) > p.maxValue {
			return false, &driver.ValueTooLargeError{Size: len(value), Limit: p.maxValue}
		}
		stored, weight = append([]byte(nil), value...), weightOf(len(value))
	}
	return p.swap(ctx, key, func(cur any, found bool) bool {
		if old == nil {
			return !found
		}
		b, ok := cur.([]byte)
		return found && ok && bytes.Equal(b, old)
	}, stored, weight, ttl, keepTTL)
}

// swap replaces the namespace's item under key if matches approves the
// current one; a nil value deletes it.
func (p *Provider) swap(ctx context.Context, key driver.Key, matches func(cur any, found bool) bool, value any, weight uint32, ttl time.Duration, keepTTL bool) (bool, error) {
	if err := p.check(ctx); err != nil {
		return false, err
	}
	if value != nil && !driver.ValidTTL(ttl) {
		return false, fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	if p.maxWeight > 0 && uint64(weight) > p.maxWeight {
		return false, &driver.ValueTooLargeError{Size: int(weight), Limit: int(min(p.maxWeight, uint64(^uint(0)>>1)))}
	}
	now := p.now()
	swapped := false
	p.cache.Compute(key.ID, func(b *bucket, found bool) (*bucket, otter.ComputeOp) {
		if !found {
			b = nil
		}
		var cur *item
		if b != nil {
			cur = b.find(key.Namespace, now)
		}
		var curValue any
		if cur != nil {
			curValue = cur.value
		}
		if !matches(curValue, cur != nil) {
			return b, otter.CancelOp
		}
		swapped = true
		var next *item
		if value != nil {
			it := item{ns: key.Namespace, value: value, expiresAt: expiryAt(now, ttl), weight: weight}
			if keepTTL && cur != nil {
				it.expiresAt = cur.expiresAt
			}
			next = &it
		}
		return writeBack(b.with(key.Namespace, next, now), found)
	})
	return swapped, nil
}

// sameStored compares two stored values by identity. == on interfaces
// panics for slices, which byte values are, so they compare by backing array.
func sameStored(a, b any) bool {
	ab, aIsBytes := a.([]byte)
	bb, bIsBytes := b.([]byte)
	if aIsBytes || bIsBytes {
		return aIsBytes && bIsBytes && len(ab) == len(bb) && (len(ab) == 0 || &ab[0] == &bb[0])
	}
	return a == b
}
