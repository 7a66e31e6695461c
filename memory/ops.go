package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache/driver"
)

// lookup returns the live item stored under key, or nil.
func (p *Provider) lookup(key driver.Key) *item {
	b, ok := p.cache.GetIfPresent(key.ID)
	if !ok {
		return nil
	}
	return b.find(key.Namespace, p.now())
}

// Get implements driver.Provider. It returns a copy, which the caller owns.
func (p *Provider) Get(ctx context.Context, key driver.Key) ([]byte, bool, error) {
	if err := p.check(ctx); err != nil {
		return nil, false, err
	}
	it := p.lookup(key)
	if it == nil {
		return nil, false, nil
	}
	b, ok := it.value.([]byte)
	if !ok {
		return nil, false, nil
	}
	return append(make([]byte, 0, len(b)), b...), true, nil
}

// Set implements driver.Provider. It stores a copy of value.
func (p *Provider) Set(ctx context.Context, key driver.Key, value []byte, ttl time.Duration) error {
	if len(value) > p.maxValue {
		return &driver.ValueTooLargeError{Size: len(value), Limit: p.maxValue}
	}
	stored := append(make([]byte, 0, len(value)), value...)
	return p.store(ctx, key, stored, weightOf(len(value)), ttl, 0)
}

// GetValue implements driver.ValueStore: the stored value itself, no copy.
// It is the in-process hit path, so lookup is written out here.
func (p *Provider) GetValue(ctx context.Context, key driver.Key) (any, bool, error) {
	if err := p.check(ctx); err != nil {
		return nil, false, err
	}
	b, ok := p.cache.GetIfPresent(key.ID)
	if !ok {
		return nil, false, nil
	}
	if it := b.find(key.Namespace, p.now()); it != nil {
		return it.value, true, nil
	}
	return nil, false, nil
}

// SetValue implements driver.ValueStore.
func (p *Provider) SetValue(ctx context.Context, key driver.Key, value any, weight uint32, ttl time.Duration) error {
	return p.store(ctx, key, value, max(weight, 1), ttl, 0)
}

// SetValueTagged is SetValue keeping a tag beside the value, for a store
// built over this one that must know something of each value without a
// wrapper to allocate and follow on every read: the two-level provider
// records the tracking epoch each copy was kept in.
func (p siblingView) SetValueTagged(ctx context.Context, key driver.Key, value any, weight uint32, ttl time.Duration, tag uint32) error {
	return p.store(ctx, key, value, max(weight, 1), ttl, tag)
}

// GetValueTagged is GetValue with the tag the value was stored with (0
// when it was stored otherwise).
func (p siblingView) GetValueTagged(key driver.Key) (value any, tag uint32, found bool) {
	if p.closed.Load() {
		return nil, 0, false
	}
	b, ok := p.cache.GetIfPresent(key.ID)
	if !ok {
		return nil, 0, false
	}
	if it := b.find(key.Namespace, p.now()); it != nil {
		return it.value, it.tag, true
	}
	return nil, 0, false
}

func (p *Provider) store(ctx context.Context, key driver.Key, value any, weight uint32, ttl time.Duration, tag uint32) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	if !driver.ValidTTL(ttl) {
		return fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	if p.maxWeight > 0 && uint64(weight) > p.maxWeight {
		return &driver.ValueTooLargeError{Size: int(weight), Limit: int(min(p.maxWeight, uint64(^uint(0)>>1)))}
	}
	now := p.now()
	it := item{ns: key.Namespace, value: value, expiresAt: expiryAt(now, ttl), weight: weight, tag: tag}
	p.replace(key, &it, now)
	return nil
}

// replace swaps the namespace's item under key.ID for it (nil removes it).
func (p *Provider) replace(key driver.Key, it *item, now int64) {
	p.cache.Compute(key.ID, func(old *bucket, found bool) (*bucket, otter.ComputeOp) {
		if !found {
			old = nil
		}
		if it == nil && (old == nil || !old.has(key.Namespace)) {
			return old, otter.CancelOp
		}
		return writeBack(old.with(key.Namespace, it, now), found)
	})
}

// writeBack tells otter what to do with a rebuilt bucket: store it, or, when
// it came out empty, drop the key (or leave an absent key absent).
func writeBack(nb *bucket, found bool) (*bucket, otter.ComputeOp) {
	switch {
	case nb != nil:
		return nb, otter.WriteOp
	case found:
		return nil, otter.InvalidateOp
	}
	return nil, otter.CancelOp
}

// Delete implements driver.Provider.
func (p *Provider) Delete(ctx context.Context, key driver.Key) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	p.replace(key, nil, p.now())
	return nil
}

// Clear implements driver.Provider. It walks every key, so it costs time in
// proportion to the whole store, not just the namespace.
func (p *Provider) Clear(ctx context.Context, namespace string) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	now := p.now()
	for id := range p.cache.Keys() {
		p.replace(driver.Key{Namespace: namespace, ID: id}, nil, now)
	}
	return nil
}

func weightOf(n int) uint32 {
	if n < 1 {
		return 1
	}
	if n > int(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(n)
}
