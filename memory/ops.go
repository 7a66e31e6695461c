package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
)

// Get implements driver.Provider. It returns a copy, which the caller owns.
func (p *Provider) Get(ctx context.Context, key driver.Key) ([]byte, bool, error) {
	if err := p.check(ctx); err != nil {
		return nil, false, err
	}
	it, ok := p.cache.GetIfPresent(key)
	if !ok {
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
	return p.store(ctx, key, stored, weightOf(len(value)), ttl)
}

// GetValue implements driver.ValueStore: the stored value itself, no copy.
func (p *Provider) GetValue(ctx context.Context, key driver.Key) (any, bool, error) {
	if err := p.check(ctx); err != nil {
		return nil, false, err
	}
	it, ok := p.cache.GetIfPresent(key)
	if !ok {
		return nil, false, nil
	}
	return it.value, true, nil
}

// SetValue implements driver.ValueStore.
func (p *Provider) SetValue(ctx context.Context, key driver.Key, value any, weight uint32, ttl time.Duration) error {
	return p.store(ctx, key, value, max(weight, 1), ttl)
}

func (p *Provider) store(ctx context.Context, key driver.Key, value any, weight uint32, ttl time.Duration) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	if !driver.ValidTTL(ttl) {
		return fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	if p.maxWeight > 0 && uint64(weight) > p.maxWeight {
		return &driver.ValueTooLargeError{Size: int(weight), Limit: int(min(p.maxWeight, uint64(^uint(0)>>1)))}
	}
	p.cache.Set(key, &item{value: value, ttl: ttl, weight: weight})
	return nil
}

// Delete implements driver.Provider.
func (p *Provider) Delete(ctx context.Context, key driver.Key) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	p.cache.Invalidate(key)
	return nil
}

// Clear implements driver.Provider. It walks every key, so it costs time in
// proportion to the whole store, not just the namespace.
func (p *Provider) Clear(ctx context.Context, namespace string) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	for key := range p.cache.Keys() {
		if key.Namespace == namespace {
			p.cache.Invalidate(key)
		}
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
