package memory

import (
	"math"
	"time"
)

// bucket holds every namespace's entry under one key ID. The store is keyed
// by the ID string alone because otter hashes a string key much faster than
// a (namespace, ID) struct, which on a hit is most of the difference from a
// raw otter lookup. Almost every bucket holds a single item; IDs repeated
// across namespaces share one.
//
// A bucket is immutable once stored: writers build a new one inside otter's
// Compute, so readers never see a half-made bucket and need no lock.
type bucket struct {
	first item
	more  []item
}

// item is one namespace's entry: a []byte written through the byte methods,
// or whatever a ValueStore caller handed in.
type item struct {
	ns        string
	value     any
	expiresAt int64 // clock nanoseconds; never for no expiry
	weight    uint32
	tag       uint32 // see SetValueTagged; fits beside weight at no cost
}

const never = math.MaxInt64

func (it *item) live(now int64) bool { return now < it.expiresAt }

func expiryAt(now int64, ttl time.Duration) int64 {
	if ttl < 0 || ttl > time.Duration(never-now) {
		return never
	}
	return now + int64(ttl)
}

// find returns the namespace's live item, or nil.
func (b *bucket) find(ns string, now int64) *item {
	if b.first.ns == ns {
		if b.first.live(now) {
			return &b.first
		}
		return nil
	}
	for i := range b.more {
		if it := &b.more[i]; it.ns == ns && it.live(now) {
			return it
		}
	}
	return nil
}

// has reports whether the bucket holds an item of ns, live or not.
func (b *bucket) has(ns string) bool {
	found := false
	b.each(func(x *item) { found = found || x.ns == ns })
	return found
}

// with returns a bucket holding b's live items, with ns's replaced by it
// (or removed when it is nil). A nil result means the bucket is empty. The
// common cases, a key of a single namespace, cost one allocation.
func (b *bucket) with(ns string, it *item, now int64) *bucket {
	if b == nil || (b.more == nil && (b.first.ns == ns || !b.first.live(now))) {
		if it == nil {
			return nil
		}
		return &bucket{first: *it}
	}
	kept := make([]item, 0, 2+len(b.more))
	b.each(func(x *item) {
		if x.ns != ns && x.live(now) {
			kept = append(kept, *x)
		}
	})
	if it != nil {
		kept = append(kept, *it)
	}
	if len(kept) == 0 {
		return nil
	}
	nb := &bucket{first: kept[0]}
	if len(kept) > 1 {
		nb.more = kept[1:]
	}
	return nb
}

func (b *bucket) each(f func(*item)) {
	f(&b.first)
	for i := range b.more {
		f(&b.more[i])
	}
}

// latestExpiry is when the last of the bucket's items expires.
func (b *bucket) latestExpiry() int64 {
	latest := int64(0)
	b.each(func(x *item) { latest = max(latest, x.expiresAt) })
	return latest
}

func (b *bucket) weight() uint32 {
	var sum uint64
	b.each(func(x *item) { sum += uint64(x.weight) })
	return uint32(min(sum, math.MaxUint32))
}
