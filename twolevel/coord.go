package twolevel

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit/gcra"
)

// Unwrap returns L2, so that capabilities the Provider does not implement
// itself are found there (driver.Find): search indexes are L2's, since
// they describe entries shared by the fleet and results are read back
// through the cache, which serves L1 copies where they are current. A
// capability found through Unwrap is called on L2 directly, outside the
// circuit breakers. It is also the way to what the Provider does not cover:
// p.Unwrap().(*valkeystore.Provider).Client().
func (p *Provider) Unwrap() driver.Provider { return p.l2 }

// Locks, rate limits and field entries are L2's too, and no copy of them
// is ever kept in process. The Provider still implements them itself, for
// one reason: their calls go through the circuit breaker of the slot L2
// keeps them in, so that a shard that is down fails them at once with
// ErrCircuitOpen and their failures count against that shard, as entry
// calls do. Which slot that is depends on how L2 places each kind of key
// (locks and rate states have keys of their own), which a generic pass
// through cannot know. Each method is one guarded call.

// guarded runs fn through the breaker of slot.
func guarded[T any](ctx context.Context, p *Provider, slot int, fn func() (T, error)) (v T, err error) {
	err = p.call(ctx, slot, func() (err error) {
		v, err = fn()
		return err
	})
	return v, err
}

// AcquireLock implements lock.Backend.
func (p *Provider) AcquireLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (fence uint64, acquired bool, err error) {
	err = p.call(ctx, p.l2x.LockSlot(key), func() (err error) {
		fence, acquired, err = p.l2.AcquireLock(ctx, key, token, ttl)
		return err
	})
	return fence, acquired, err
}

// ExtendLock implements lock.Backend.
func (p *Provider) ExtendLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (bool, error) {
	return guarded(ctx, p, p.l2x.LockSlot(key), func() (bool, error) { return p.l2.ExtendLock(ctx, key, token, ttl) })
}

// ReleaseLock implements lock.Backend.
func (p *Provider) ReleaseLock(ctx context.Context, key driver.Key, token string) (bool, error) {
	return guarded(ctx, p, p.l2x.LockSlot(key), func() (bool, error) { return p.l2.ReleaseLock(ctx, key, token) })
}

// LockHeld implements lock.Backend.
func (p *Provider) LockHeld(ctx context.Context, key driver.Key, token string) (bool, error) {
	return guarded(ctx, p, p.l2x.LockSlot(key), func() (bool, error) { return p.l2.LockHeld(ctx, key, token) })
}

// WaitLock implements lock.Backend; like WaitLoad, a wait that ends on its
// deadline is not counted against the store.
func (p *Provider) WaitLock(ctx context.Context, key driver.Key) error {
	b := p.breakers.of(p.l2x.LockSlot(key))
	probe, err := b.allow()
	if err != nil {
		return err
	}
	err = p.l2.WaitLock(ctx, key)
	p.settle(b, probe, err, !errors.Is(err, context.DeadlineExceeded) && telling(ctx, err))
	return err
}

// RateLimit implements gcra.Backend.
func (p *Provider) RateLimit(ctx context.Context, key driver.Key, interval time.Duration, burst, cost int64) (gcra.Decision, error) {
	return guarded(ctx, p, p.l2x.RateLimitSlot(key), func() (gcra.Decision, error) {
		return p.l2.RateLimit(ctx, key, interval, burst, cost)
	})
}

// ResetRate implements gcra.Backend.
func (p *Provider) ResetRate(ctx context.Context, key driver.Key) error {
	return p.call(ctx, p.l2x.RateLimitSlot(key), func() error { return p.l2.ResetRate(ctx, key) })
}

// GetFields implements session.FieldStore from L2: field entries
// (sessions) are read where every instance writes them, and never copied.
func (p *Provider) GetFields(ctx context.Context, key driver.Key) (fields map[string][]byte, found bool, err error) {
	err = p.call(ctx, p.l2x.EntrySlot(key), func() (err error) {
		fields, found, err = p.l2.GetFields(ctx, key)
		return err
	})
	return fields, found, err
}

// UpdateFields implements session.FieldStore; like every write, it drops
// the writer's copy of key.
func (p *Provider) UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (bool, error) {
	var updated bool
	err := p.write(ctx, key, func() (err error) {
		updated, err = p.l2.UpdateFields(ctx, key, set, del, ttl, create)
		return err
	})
	return updated, err
}
