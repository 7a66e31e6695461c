package twolevel

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// Get implements driver.Provider from L2; typed reads go through NearGet
// and GetForNear instead.
func (p *Provider) Get(ctx context.Context, key driver.Key) (b []byte, found bool, err error) {
	err = p.call(ctx, p.l2x.EntrySlot(key), func() (err error) {
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
	err := p.callAll(ctx, true, func() error { return p.l2.Clear(ctx, namespace) })
	if err == nil || !isUnavailable(err) {
		p.track.reset()
		_ = p.l1.Clear(context.Background(), namespace)
	}
	return err
}

// GetMany implements driver.BatchGetter from L2, slot by slot. A shard that
// is down fails its own keys and no other: the keys of a slot whose circuit
// is open fail at once with ErrCircuitOpen, the others go to L2 in one call,
// and the error is a *driver.BatchError naming every key that failed (or,
// when every key was refused, the refusal itself).
func (p *Provider) GetMany(ctx context.Context, keys []driver.Key) ([][]byte, error) {
	out := make([][]byte, len(keys))
	_, err := p.batch(ctx, len(keys), func(i int) driver.Key { return keys[i] }, func(sent []int) error {
		sub := keys
		if sent != nil {
			sub = make([]driver.Key, len(sent))
			for j, i := range sent {
				sub[j] = keys[i]
			}
		}
		res, err := p.l2.GetMany(ctx, sub)
		for j, b := range res {
			out[at(sent, j)] = b
		}
		return err
	})
	if err != nil && !isPartial(err) {
		return nil, err
	}
	return out, err
}

// SetMany implements driver.BatchSetter, slot by slot. A shard that is down
// fails its own keys and no other: the keys of a slot whose circuit is open
// fail at once with ErrCircuitOpen, the others go to L2 in one call, and the
// error is a *driver.BatchError naming every key that failed (or, when every
// key was refused, the refusal itself). The writer's copy of every key sent
// is dropped.
func (p *Provider) SetMany(ctx context.Context, items []driver.Item) error {
	refused, err := p.batch(ctx, len(items), func(i int) driver.Key { return items[i].Key }, func(sent []int) error {
		sub := items
		if sent != nil {
			sub = make([]driver.Item, len(sent))
			for j, i := range sent {
				sub[j] = items[i]
			}
		}
		return p.l2.SetMany(ctx, sub)
	})
	for i, it := range items {
		if !refused[i] {
			p.dropCopy(it.Key)
		}
	}
	return err
}

// DeleteMany implements driver.BatchDeleter, slot by slot. A shard that is
// down fails its own keys and no other: the keys of a slot whose circuit is
// open fail at once with ErrCircuitOpen, the others go to L2 in one call,
// and the error is a *driver.BatchError naming every key that failed (or,
// when every key was refused, the refusal itself).
func (p *Provider) DeleteMany(ctx context.Context, keys []driver.Key) error {
	refused, err := p.batch(ctx, len(keys), func(i int) driver.Key { return keys[i] }, func(sent []int) error {
		sub := keys
		if sent != nil {
			sub = make([]driver.Key, len(sent))
			for j, i := range sent {
				sub[j] = keys[i]
			}
		}
		return p.l2.DeleteMany(ctx, sub)
	})
	for i, k := range keys {
		if !refused[i] {
			p.dropCopy(k)
		}
	}
	return err
}

// DefaultTTL implements driver.DefaultTTLer with L2's.
func (p *Provider) DefaultTTL() time.Duration { return p.l2.DefaultTTL() }

// Ping implements driver.Pinger. It bypasses an open circuit, so it tells
// whether L2 answers now, and its outcome counts for the breaker.
//
// On a cluster, L2's Ping asks every node, so its success closes every
// slot's circuit; its failure is not placed on any slot.
func (p *Provider) Ping(ctx context.Context) error {
	err := p.l2.Ping(ctx)
	if p.l2x.Slots() == 1 {
		p.settle(p.breakers.of(0), false, err, telling(ctx, err))
		return err
	}
	if err == nil {
		p.breakers.each(func(b *breaker) { p.settle(b, false, nil, true) })
		raise(&p.breakers.everyAnswered, p.track.lossCount.Load())
	}
	return err
}

// Flush implements driver.Flusher: L2 (if its config allows) and every copy.
func (p *Provider) Flush(ctx context.Context) error {
	err := p.callAll(ctx, true, func() error { return p.l2.Flush(ctx) })
	if err == nil {
		p.track.reset()
		p.vers.dropAll()
	}
	return err
}

// ScanNamespace implements driver.Scanner from L2.
func (p *Provider) ScanNamespace(ctx context.Context, namespace, cursor string, count int) (keys []driver.Key, next string, err error) {
	err = p.callAll(ctx, false, func() (err error) {
		keys, next, err = p.l2.ScanNamespace(ctx, namespace, cursor, count)
		return err
	})
	return keys, next, err
}
