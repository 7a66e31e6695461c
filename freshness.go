package valcache

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/budgetctx"
	"github.com/valcache/valcache/internal/envelope"
)

// state is what a lookup found.
type state int

const (
	absent   state = iota // nothing usable (possibly an entry that is no longer valid)
	fresh                 // within its TTL
	stale                 // past its TTL, within the cache's stale window
	negative              // a cached absence, within NegativeTTL
)

// found is a lookup's result.
type found[V any] struct {
	value   V
	state   state
	age     time.Duration // since written, when the entry keeps times
	meta    meta
	present bool   // something is stored under the key, usable or not
	raw     []byte // what the byte path read, usable or not
	level   level  // where it was read
	// staleCopy marks a two-level copy served because the shared store
	// could not answer.
	staleCopy bool
}

// answer is what a lookup settles without loading: a fresh value, or a
// cached absence (ErrNotFound). A failed lookup settles nothing.
func (f found[V]) answer(lookupErr error) (v V, settled bool, err error) {
	switch {
	case lookupErr != nil:
		return v, false, nil
	case f.state == fresh:
		return f.value, true, nil
	case f.state == negative:
		return v, true, ErrNotFound
	}
	return v, false, nil
}

// keepsTimes reports whether entries must record when they were written.
func (c *Cache[K, V]) keepsTimes() bool {
	return c.swr > 0 || c.sie > 0 || c.refreshAfter > 0
}

// staleWindow is how long entries are kept past their TTL.
func (c *Cache[K, V]) staleWindow() time.Duration { return max(c.swr, c.sie) }

// writeMeta returns the metadata and the stored lifetime of an entry
// written now for ttl.
func (c *Cache[K, V]) writeMeta(ttl time.Duration) (meta, time.Duration) {
	if !c.keepsTimes() || ttl == NoExpiry {
		return meta{}, ttl
	}
	return meta{written: time.Now(), freshFor: ttl}, addTTL(ttl, c.staleWindow())
}

// addTTL adds durations without overflowing: the longest TTLs stand for
// "practically for ever", and a stale window added to one must stay so.
func addTTL(a, b time.Duration) time.Duration {
	const longest = time.Duration(1<<63 - 1)
	if a > longest-b {
		return longest
	}
	return a + b
}

// classify places an entry that passed its stamp check.
func (c *Cache[K, V]) classify(v V, m meta) found[V] {
	f := found[V]{value: v, meta: m, present: true}
	if m.written.IsZero() {
		if m.negative {
			f.state = negative
		} else {
			f.state = fresh
		}
		return f
	}
	f.age = time.Since(m.written)
	switch {
	case m.negative && f.age <= m.freshFor:
		f.state = negative
	case m.negative:
		f.state = absent
	case f.age <= m.freshFor:
		f.state = fresh
	case f.age <= addTTL(m.freshFor, c.staleWindow()):
		f.state = stale
	}
	return f
}

// lookup reads key and says what is there. until is the end of the call's
// budget (zero: none): the read itself runs on ctx, and checking the
// entry's tags, when that takes another call, runs within the budget.
func (c *Cache[K, V]) lookup(ctx context.Context, until time.Time, key K, dk driver.Key) (found[V], error) {
	if c.near != nil {
		return c.lookupNear(ctx, until, key, dk)
	}
	if c.values != nil {
		raw, ok, err := c.values.GetValue(ctx, dk)
		if err != nil || !ok {
			return found[V]{}, err
		}
		e, isEntry := raw.(*entry[V])
		if !isEntry {
			v, valid, err := c.fromStored(ctx, dk, raw)
			if err != nil || !valid {
				return found[V]{present: true}, err
			}
			return found[V]{value: v, state: fresh, present: true}, nil
		}
		v, valid, err := c.checkEntry(ctx, e)
		if err != nil || !valid {
			return found[V]{present: true}, err
		}
		return c.classify(c.own(v), e.metaOf()), nil
	}
	var b []byte
	var nsv [1]driver.Version
	var versions []driver.Version // the namespace's version, when read with the entry
	var ok bool
	var err error
	cctx := c.callStart(ctx, OpGet)
	if c.versioner != nil {
		b, ok, nsv[0], err = c.versioner.GetVersioned(cctx, dk, c.nsKey(c.groupOf(dk))[0])
		versions = nsv[:]
	} else {
		b, ok, err = c.provider.Get(cctx, dk)
	}
	c.callDone(cctx, OpGet, err)
	if err != nil || !ok {
		return found[V]{}, err
	}
	f, _, err := c.examine(ctx, until, dk, b, versions)
	return f, err
}

// examine decodes bytes read from the store and checks their stamps,
// against versions when they were read along (the namespace's). A check
// that needs versions not read along is a call of its own, made within the
// budget that ends at until (zero: none).
func (c *Cache[K, V]) examine(ctx context.Context, until time.Time, dk driver.Key, b []byte, versions []driver.Version) (found[V], envelope.Envelope, error) {
	v, env, decoded := c.decode(dk, b, true)
	if !decoded {
		return found[V]{present: true, raw: b}, env, nil
	}
	if c.versioner != nil && !until.IsZero() && env.Stamped && env.StampCount() > len(versions) {
		var cancel context.CancelFunc
		ctx, cancel = budgetctx.With(ctx, until)
		defer cancel()
	}
	valid, err := c.validStamps(ctx, dk, env, versions)
	if err != nil || !valid {
		return found[V]{present: true, raw: b}, env, err
	}
	f := c.classify(v, metaOf(env.Meta))
	f.raw = b
	return f, env, nil
}
