package twolevel

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

// Locks and rate limits are L2's: they must hold across the fleet, and no
// copy of them is ever kept in process.

var (
	_ driver.Locker      = (*Provider)(nil)
	_ driver.RateLimiter = (*Provider)(nil)
)

// AcquireLock implements driver.Locker.
func (p *Provider) AcquireLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (fence uint64, acquired bool, err error) {
	err = p.call(ctx, p.l2.LockSlot(key), func() (err error) {
		fence, acquired, err = p.l2.AcquireLock(ctx, key, token, ttl)
		return err
	})
	return fence, acquired, err
}

// ExtendLock implements driver.Locker.
func (p *Provider) ExtendLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (ok bool, err error) {
	err = p.call(ctx, p.l2.LockSlot(key), func() (err error) {
		ok, err = p.l2.ExtendLock(ctx, key, token, ttl)
		return err
	})
	return ok, err
}

// ReleaseLock implements driver.Locker.
func (p *Provider) ReleaseLock(ctx context.Context, key driver.Key, token string) (ok bool, err error) {
	err = p.call(ctx, p.l2.LockSlot(key), func() (err error) {
		ok, err = p.l2.ReleaseLock(ctx, key, token)
		return err
	})
	return ok, err
}

// LockHeld implements driver.Locker.
func (p *Provider) LockHeld(ctx context.Context, key driver.Key, token string) (ok bool, err error) {
	err = p.call(ctx, p.l2.LockSlot(key), func() (err error) {
		ok, err = p.l2.LockHeld(ctx, key, token)
		return err
	})
	return ok, err
}

// WaitLock implements driver.Locker; like WaitLoad, a wait that ends on its
// deadline is not counted against the store.
func (p *Provider) WaitLock(ctx context.Context, key driver.Key) error {
	b := p.breakers.of(p.l2.LockSlot(key))
	probe, err := b.allow()
	if err != nil {
		return err
	}
	err = p.l2.WaitLock(ctx, key)
	p.settle(b, probe, err, !errors.Is(err, context.DeadlineExceeded) && telling(ctx, err))
	return err
}

// RateLimit implements driver.RateLimiter.
func (p *Provider) RateLimit(ctx context.Context, key driver.Key, interval time.Duration, burst, cost int64) (d driver.RateDecision, err error) {
	err = p.call(ctx, p.l2.RateLimitSlot(key), func() (err error) {
		d, err = p.l2.RateLimit(ctx, key, interval, burst, cost)
		return err
	})
	return d, err
}

var _ driver.FieldStore = (*Provider)(nil)

// GetFields implements driver.FieldStore from L2: field entries (sessions)
// are read where every instance writes them, and never copied.
func (p *Provider) GetFields(ctx context.Context, key driver.Key) (fields map[string][]byte, found bool, err error) {
	err = p.call(ctx, p.l2.EntrySlot(key), func() (err error) {
		fields, found, err = p.l2.GetFields(ctx, key)
		return err
	})
	return fields, found, err
}

// UpdateFields implements driver.FieldStore.
func (p *Provider) UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (updated bool, err error) {
	err = p.write(ctx, key, func() (err error) {
		updated, err = p.l2.UpdateFields(ctx, key, set, del, ttl, create)
		return err
	})
	return updated, err
}
