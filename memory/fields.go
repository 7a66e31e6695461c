package memory

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache/driver"
)

// fieldMap is a field entry's value. It has a type of its own so that a
// map stored through SetValue is never mistaken for one. A stored fieldMap
// is never changed: an update builds a new one inside otter's Compute, so
// readers need no lock.
type fieldMap map[string][]byte

func (f fieldMap) weight() uint32 {
	n := 0
	for k, v := range f {
		n += len(k) + len(v)
	}
	return weightOf(n)
}

// GetFields implements session.FieldStore. The map and its slices are copies
// the caller owns.
func (p *Provider) GetFields(ctx context.Context, key driver.Key) (map[string][]byte, bool, error) {
	if err := p.check(ctx); err != nil {
		return nil, false, err
	}
	it := p.lookup(key)
	if it == nil {
		return nil, false, nil
	}
	f, ok := it.value.(fieldMap)
	if !ok {
		return nil, false, nil
	}
	out := make(map[string][]byte, len(f))
	for k, v := range f {
		out[k] = append([]byte{}, v...)
	}
	return out, true, nil
}

// UpdateFields implements session.FieldStore under the key's lock.
func (p *Provider) UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (bool, error) {
	if err := p.check(ctx); err != nil {
		return false, err
	}
	if !driver.ValidTTL(ttl) {
		return false, fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	size := 0
	for k, v := range set {
		size += len(k) + len(v)
	}
	if size > p.maxValue {
		return false, &driver.ValueTooLargeError{Size: size, Limit: p.maxValue}
	}
	now := p.now()
	updated := false
	var tooLarge error
	p.cache.Compute(key.ID, func(b *bucket, found bool) (*bucket, otter.ComputeOp) {
		if !found {
			b = nil
		}
		var cur fieldMap
		if b != nil {
			if it := b.find(key.Namespace, now); it != nil {
				cur, _ = it.value.(fieldMap)
			}
		}
		if cur == nil && !create {
			return b, otter.CancelOp
		}
		next := make(fieldMap, len(cur)+len(set))
		maps.Copy(next, cur)
		for k, v := range set {
			next[k] = append([]byte{}, v...)
		}
		for _, k := range del {
			delete(next, k)
		}
		var it *item
		if len(next) > 0 {
			w := next.weight()
			if p.maxWeight > 0 && uint64(w) > p.maxWeight {
				tooLarge = &driver.ValueTooLargeError{Size: int(w), Limit: int(min(p.maxWeight, uint64(^uint(0)>>1)))}
				return b, otter.CancelOp
			}
			it = &item{ns: key.Namespace, value: next, expiresAt: expiryAt(now, ttl), weight: w}
		}
		updated = true
		return writeBack(b.with(key.Namespace, it, now), found)
	})
	return updated, tooLarge
}
