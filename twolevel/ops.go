package twolevel

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// Get implements driver.Provider from L2; typed reads go through NearGet
// and GetForNear instead.
func (p *Provider) Get(ctx context.Context, key driver.Key) (b []byte, found bool, err error) {
	err = p.call(ctx, func() (err error) {
		b, found, err = p.l2.Get(ctx, key)
		return err
	})
	return b, found, err
}

// Set implements driver.Provider: L2, then the writer's copy is dropped.
func (p *Provider) Set(ctx context.Context, key driver.Key, value []byte, ttl time.Duration) error {
	return p.write(ctx, key, func() error { return p.l2.Set(ctx, key, value, ttl) })
}

// Delete implements driver.Provider.
func (p *Provider) Delete(ctx context.Context, key driver.Key) error {
	return p.write(ctx, key, func() error { return p.l2.Delete(ctx, key) })
}

// Clear implements driver.Provider: L2's namespace and every copy. Copies
// of other namespaces are dropped too (the epoch ends); the facade clears by
// bumping a version instead, which costs nothing of the kind.
func (p *Provider) Clear(ctx context.Context, namespace string) error {
	err := p.call(ctx, func() error { return p.l2.Clear(ctx, namespace) })
	if err == nil || !isUnavailable(err) {
		p.track.reset()
		_ = p.l1.Clear(context.Background(), namespace)
	}
	return err
}

// GetMany implements driver.BatchGetter from L2.
func (p *Provider) GetMany(ctx context.Context, keys []driver.Key) (out [][]byte, err error) {
	err = p.call(ctx, func() (err error) {
		out, err = p.l2.GetMany(ctx, keys)
		return err
	})
	return out, err
}

// SetMany implements driver.BatchSetter.
func (p *Provider) SetMany(ctx context.Context, items []driver.Item) error {
	err := p.call(ctx, func() error { return p.l2.SetMany(ctx, items) })
	if err == nil || !isUnavailable(err) {
		for _, it := range items {
			p.dropCopy(it.Key)
		}
	}
	return err
}

// DeleteMany implements driver.BatchDeleter.
func (p *Provider) DeleteMany(ctx context.Context, keys []driver.Key) error {
	err := p.call(ctx, func() error { return p.l2.DeleteMany(ctx, keys) })
	if err == nil || !isUnavailable(err) {
		for _, k := range keys {
			p.dropCopy(k)
		}
	}
	return err
}

// DefaultTTL implements driver.DefaultTTLer with L2's.
func (p *Provider) DefaultTTL() time.Duration { return p.l2.DefaultTTL() }

// OperationTimeout implements driver.OperationTimeouter with L2's.
func (p *Provider) OperationTimeout() time.Duration { return p.l2.OperationTimeout() }

// Ping implements driver.Pinger. It bypasses an open circuit, so it tells
// whether L2 answers now, and its outcome counts for the breaker.
func (p *Provider) Ping(ctx context.Context) error {
	err := p.l2.Ping(ctx)
	p.breaker.done(false, err, telling(ctx, err))
	return err
}

// Flush implements driver.Flusher: L2 (if its config allows) and every copy.
func (p *Provider) Flush(ctx context.Context) error {
	err := p.call(ctx, func() error { return p.l2.Flush(ctx) })
	if err == nil {
		p.track.reset()
		p.vers.dropAll()
	}
	return err
}

// ScanNamespace implements driver.Scanner from L2.
func (p *Provider) ScanNamespace(ctx context.Context, namespace, cursor string, count int) (keys []driver.Key, next string, err error) {
	err = p.call(ctx, func() (err error) {
		keys, next, err = p.l2.ScanNamespace(ctx, namespace, cursor, count)
		return err
	})
	return keys, next, err
}
