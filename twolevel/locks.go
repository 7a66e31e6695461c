package twolevel

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

// The load, swap and refresh capabilities are L2's, so that one loader
// runs for the whole fleet and compare-and-swap compares what every
// instance sees. Each call that may change an entry drops the caller's
// copy of it.

// AcquireLoad implements driver.LoadLocker.
func (p *Provider) AcquireLoad(ctx context.Context, key driver.Key, lease time.Duration, seen []byte) (token string, acquired bool, current []byte, err error) {
	err = p.write(ctx, key, func() (err error) {
		token, acquired, current, err = p.l2.AcquireLoad(ctx, key, lease, seen)
		return err
	})
	return token, acquired, current, err
}

// WaitLoad implements driver.LoadLocker.
// A wait that ends on its context's deadline says nothing about the store
// (the load it waited for may just be slow), so it is not counted.
func (p *Provider) WaitLoad(ctx context.Context, key driver.Key) error {
	b := p.breakers.of(p.l2x.EntrySlot(key))
	probe, err := b.allow()
	if err != nil {
		return err
	}
	err = p.l2.WaitLoad(ctx, key)
	p.settle(b, probe, err, !errors.Is(err, context.DeadlineExceeded) && telling(ctx, err))
	return err
}

// SetLoaded implements driver.LoadLocker.
func (p *Provider) SetLoaded(ctx context.Context, key driver.Key, token string, value []byte, ttl time.Duration) (stored bool, err error) {
	err = p.write(ctx, key, func() (err error) {
		stored, err = p.l2.SetLoaded(ctx, key, token, value, ttl)
		return err
	})
	return stored, err
}

// FailLoad implements driver.LoadLocker.
func (p *Provider) FailLoad(ctx context.Context, key driver.Key, token, reason string, hold time.Duration) error {
	return p.write(ctx, key, func() error { return p.l2.FailLoad(ctx, key, token, reason, hold) })
}

// ReleaseLoad implements driver.LoadLocker.
func (p *Provider) ReleaseLoad(ctx context.Context, key driver.Key, token string, restore []byte, restoreTTL time.Duration) error {
	return p.write(ctx, key, func() error { return p.l2.ReleaseLoad(ctx, key, token, restore, restoreTTL) })
}

// CompareAndSwap implements driver.Swapper.
func (p *Provider) CompareAndSwap(ctx context.Context, key driver.Key, old, value []byte, ttl time.Duration, keepTTL bool) (swapped bool, err error) {
	err = p.write(ctx, key, func() (err error) {
		swapped, err = p.l2.CompareAndSwap(ctx, key, old, value, ttl, keepTTL)
		return err
	})
	return swapped, err
}

// AcquireRefresh implements driver.RefreshLocker.
func (p *Provider) AcquireRefresh(ctx context.Context, key driver.Key, lease time.Duration) (acquired bool, err error) {
	err = p.call(ctx, p.l2x.EntrySlot(key), func() (err error) {
		acquired, err = p.l2.AcquireRefresh(ctx, key, lease)
		return err
	})
	return acquired, err
}
