package valcache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
)

// DefaultComputeTimeout is how long a compute whose context has no
// deadline keeps retrying after lost races, over a provider that does not
// give single-key calls a budget (driver.Budgets.Single).
const DefaultComputeTimeout = 2 * time.Second

// Pauses between a compute's attempts: jittered, growing from
// computePauseMin to computePauseMax.
const (
	computePauseMin = time.Millisecond
	computePauseMax = 50 * time.Millisecond
)

// ErrComputeConflict is matched by the *ComputeConflictError a compute
// returns after losing every attempt to concurrent writers.
var ErrComputeConflict = errors.New("valcache: compute kept conflicting with concurrent writes")

// ComputeConflictError says how many attempts a compute made before its
// time budget (or Options.MaxComputeRetries) was spent. Err is what ended
// the last attempt when that was not a lost race: the context's deadline,
// reached during a call.
type ComputeConflictError struct {
	Attempts int
	Err      error
}

func (e *ComputeConflictError) Error() string {
	msg := fmt.Sprintf("valcache: compute gave up after %d attempts lost to concurrent writes", e.Attempts)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrComputeConflict) hold.
func (e *ComputeConflictError) Is(target error) bool { return target == ErrComputeConflict }

// Unwrap returns Err, so that a compute ended by its deadline also matches
// context.DeadlineExceeded.
func (e *ComputeConflictError) Unwrap() error { return e.Err }

// ComputeOp is what a compute function asks for.
type ComputeOp int

const (
	// ComputeSet stores the returned value.
	ComputeSet ComputeOp = iota
	// ComputeDelete removes the entry.
	ComputeDelete
	// ComputeKeep leaves the entry as it is.
	ComputeKeep
)

// KeepTTL, as ComputeOptions.TTL, keeps an existing entry's remaining life
// (a new entry gets the cache's default TTL). It has a name of its own
// because zero means the cache's default everywhere, computes included.
const KeepTTL time.Duration = -2

// ComputeOptions are the optional parts of a compute.
type ComputeOptions struct {
	// TTL of the written entry: zero means the cache's default, NoExpiry
	// none, and KeepTTL the remaining life of the entry it replaces.
	TTL time.Duration
}

// Compute applies f to the current value of key (found reports whether
// there is one) and stores, deletes or keeps according to its ComputeOp,
// atomically: if another writer changed the entry between the read and the
// write, f runs again on the new value, so no update is lost. f may run
// several times and must not have side effects. An existing entry keeps its
// tags; it keeps its expiry only with o.TTL == KeepTTL.
//
// After a lost race Compute pauses (jittered, growing from 1 ms to 50 ms, so
// that contenders spread out) and tries again, for as long as its budget
// lasts: until ctx's deadline, or, when ctx has none, for the provider's
// single-key budget (driver.Budgets.Single; DefaultComputeTimeout
// otherwise), and at most Options.MaxComputeRetries times when that is set.
// Many writers of one key thus all land their updates, and a compute
// returns a *ComputeConflictError only once its budget is spent. It returns
// the value now stored and whether there is one.
func (c *Cache[K, V]) Compute(ctx context.Context, key K, f func(old V, found bool) (V, ComputeOp, error), o ComputeOptions) (V, bool, error) {
	return c.compute(ctx, key, f, o, false)
}

// ComputeIfAbsent returns key's value, or stores and returns f's when there
// is none, atomically.
func (c *Cache[K, V]) ComputeIfAbsent(ctx context.Context, key K, f func() (V, error), o ComputeOptions) (V, error) {
	v, _, err := c.compute(ctx, key, func(old V, found bool) (V, ComputeOp, error) {
		if found {
			return old, ComputeKeep, nil
		}
		v, err := f()
		return v, ComputeSet, err
	}, o, false)
	return v, err
}

// ComputeIfPresent applies f to key's value when there is one, atomically;
// it reports whether there is a value afterwards.
func (c *Cache[K, V]) ComputeIfPresent(ctx context.Context, key K, f func(old V) (V, ComputeOp, error), o ComputeOptions) (V, bool, error) {
	return c.compute(ctx, key, func(old V, found bool) (V, ComputeOp, error) {
		if !found {
			return old, ComputeKeep, nil
		}
		return f(old)
	}, o, false)
}

// snapshot is what a compute read: the stored thing to compare against
// (nil when absent), and the value and stamp when they are still valid.
type snapshot[V any] struct {
	raw   any // []byte on the byte path, the stored value on a ValueStore
	value V
	valid bool
	stamp *Stamp
	meta  meta
}

// compute is Compute; renew makes a written entry's tag versions live as
// long as its new TTL even when the stamp it keeps says they do already
// (Expire: a stamp read back from bytes does not say how long they live).
func (c *Cache[K, V]) compute(ctx context.Context, key K, f func(V, bool) (V, ComputeOp, error), o ComputeOptions, renew bool) (V, bool, error) {
	var zero V
	dk, err := c.driverKey(key)
	if err != nil {
		return zero, false, err
	}
	bytesSwap, _ := c.provider.(driver.Swapper)
	valueSwap, _ := c.provider.(driver.ValueSwapper)
	if (c.values != nil && valueSwap == nil) || (c.values == nil && bytesSwap == nil) {
		return zero, false, fmt.Errorf("%w: compute needs a provider that can compare and swap", ErrNotSupported)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(c.computeTimeout)
	}
	for attempt := 1; ; attempt++ {
		snap, err := c.snapshot(ctx, dk)
		if err != nil {
			return zero, false, c.computeFailed(ctx, attempt, err)
		}
		next, op, err := f(snap.value, snap.valid)
		if err != nil {
			return zero, false, err
		}
		if op == ComputeKeep {
			return snap.value, snap.valid, nil
		}
		swapped, life, err := c.swapIn(ctx, key, dk, snap, next, op, o, renew, bytesSwap, valueSwap)
		if err != nil {
			return zero, false, c.computeFailed(ctx, attempt, err)
		}
		if swapped {
			if op == ComputeDelete {
				if snap.raw != nil {
					c.deleted(ctx, dk.ID)
				}
				return zero, false, nil
			}
			c.stored(ctx, dk.ID, next, life)
			return next, true, nil
		}
		if c.maxComputeRetries > 0 && attempt > c.maxComputeRetries {
			return zero, false, &ComputeConflictError{Attempts: attempt}
		}
		if again, err := pauseBeforeRetry(ctx, attempt, deadline); err != nil || !again {
			if err != nil {
				return zero, false, err
			}
			return zero, false, &ComputeConflictError{Attempts: attempt}
		}
	}
}

// computeFailed is the error of a compute whose attempt failed with err. An
// attempt after lost races that ran into the caller's deadline failed
// because the races took the budget: that is a conflict, carrying err.
func (c *Cache[K, V]) computeFailed(ctx context.Context, attempt int, err error) error {
	if attempt > 1 && errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &ComputeConflictError{Attempts: attempt, Err: err}
	}
	return err
}

// snapshot reads key for a compute.
func (c *Cache[K, V]) snapshot(ctx context.Context, dk driver.Key) (snapshot[V], error) {
	var s snapshot[V]
	if c.values != nil {
		raw, found, err := c.values.GetValue(ctx, dk)
		if err != nil || !found {
			return s, err
		}
		s.raw = raw
		if e, ok := raw.(*entry[V]); ok {
			if s.value, s.valid, err = c.checkEntry(ctx, e); err != nil {
				return s, err
			}
			if s.valid = s.valid && c.classify(s.value, e.metaOf()).state == fresh; !s.valid {
				var zero V
				s.value = zero // absent, as on every provider
			} else {
				s.value = c.own(s.value) // f may change it in place
			}
			s.stamp, s.meta = e.stamp, e.metaOf()
		}
		return s, nil
	}
	var b []byte
	var found bool
	var nsv [1]driver.Version
	var versions []driver.Version // the namespace's version, when read with the entry
	var err error
	if c.versioner != nil {
		b, found, nsv[0], err = c.versioner.GetVersioned(ctx, dk, c.nsKey(c.groupOf(dk))[0])
		versions = nsv[:]
	} else {
		b, found, err = c.provider.Get(ctx, dk)
	}
	if err != nil || !found {
		return s, err
	}
	s.raw = b
	// Decoding may take ownership of b's payload, so compare against a copy.
	v, env, ok := c.decode(dk, append([]byte(nil), b...), true)
	if !ok {
		return s, nil
	}
	if s.valid, err = c.validStamps(ctx, dk, env, versions); err != nil || !s.valid {
		return s, err
	}
	if s.valid = c.classify(v, metaOf(env.Meta)).state == fresh; !s.valid {
		return s, nil
	}
	s.value = v
	s.stamp, s.meta = stampOf(c, env, c.groupOf(dk)), metaOf(env.Meta)
	return s, nil
}

// stampOf rebuilds the stamp a stored envelope carries, so that a computed
// value keeps the tags (and tag versions) of the one it replaces.
func stampOf[K comparable, V any](c *Cache[K, V], env envelope.Envelope, g int) *Stamp {
	if !env.Stamped {
		return nil
	}
	st := &Stamp{namespace: c.ns, provider: c.provider, group: g}
	for _, s := range env.StampList() {
		st.tags = append(st.tags, s.Tag)
		st.versions = append(st.versions, s.Version)
	}
	return st
}

// swapIn writes a compute's result if the entry is still what was read. It
// also returns how long the written entry lives at most (see StoredEntry).
func (c *Cache[K, V]) swapIn(ctx context.Context, key K, dk driver.Key, snap snapshot[V], next V, op ComputeOp, o ComputeOptions, renew bool,
	bytesSwap driver.Swapper, valueSwap driver.ValueSwapper) (bool, time.Duration, error) {
	keepTTL := o.TTL == KeepTTL && snap.valid
	want := o.TTL
	if want == KeepTTL {
		want = 0 // a new entry: the cache's default
	}
	ttl, err := c.ttl.resolve(want)
	if err != nil {
		return false, 0, err
	}
	// Times: a kept TTL keeps the entry's, a new one starts afresh.
	m, stored := c.writeMeta(ttl)
	life := stored
	if keepTTL {
		m = snap.meta
		life = NoExpiry // the store keeps a remaining life not known here
		if !m.written.IsZero() {
			life = max(addTTL(m.freshFor, c.staleWindow())-time.Since(m.written), time.Millisecond)
		}
	}
	swapped, err := c.swap(ctx, key, dk, snap, next, op, keepTTL, renew, ttl, stored, m, bytesSwap, valueSwap)
	return swapped, life, err
}

// swap is swapIn's compare-and-swap, with the lifetimes it resolved.
func (c *Cache[K, V]) swap(ctx context.Context, key K, dk driver.Key, snap snapshot[V], next V, op ComputeOp, keepTTL, renew bool,
	ttl, stored time.Duration, m meta, bytesSwap driver.Swapper, valueSwap driver.ValueSwapper) (bool, error) {
	var err error
	var st *Stamp
	if op == ComputeSet && c.versioner != nil {
		g := c.groupOf(dk)
		switch st = snap.stamp; {
		case !snap.valid || st == nil:
			// A fresh stamp, not the remembered one: a compute has no read-back
			// to notice a namespace cleared elsewhere.
			if st, err = c.exactStamp(ctx, nil, stored, g); err != nil {
				return false, err
			}
		case !keepTTL && (renew || !st.covers(time.Now(), stored)):
			// The kept tags' versions must outlive the entry's new life;
			// one that changed since the read means the entry was
			// invalidated meanwhile: the race is lost, and the next
			// attempt finds it absent.
			renewed, err := c.stamp(ctx, st.tags[1:], stored, g)
			if err != nil {
				return false, err
			}
			if !slices.Equal(renewed.versions, st.versionsFor(g)) {
				return false, nil
			}
			st = renewed
		}
	}
	if c.values != nil {
		if op == ComputeDelete && snap.raw == nil {
			return true, nil
		}
		var value any
		if op == ComputeSet {
			value = newEntry(c.own(next), st, m)
		}
		return valueSwap.CompareAndSwapValue(ctx, dk, snap.raw, value, c.weigh(key, next), stored, keepTTL)
	}
	old, _ := snap.raw.([]byte)
	if op == ComputeDelete {
		if old == nil {
			return true, nil
		}
		return bytesSwap.CompareAndSwap(ctx, dk, old, nil, ttl, false)
	}
	b, err := c.appendEntry(nil, dk, next, st, m)
	if err != nil {
		return false, err
	}
	return bytesSwap.CompareAndSwap(ctx, dk, old, b, stored, keepTTL)
}

// pauseBeforeRetry sleeps before the attempt after the given one: a random
// time up to a limit that doubles with each attempt from computePauseMin
// to computePauseMax (full jitter, so that contenders spread out), and at
// most half of what is left before deadline, so that the budget is used to
// its end without running past it. It reports false, at once, when less
// than computePauseMin is left: the budget is spent.
func pauseBeforeRetry(ctx context.Context, attempt int, deadline time.Time) (bool, error) {
	left := time.Until(deadline)
	if left < computePauseMin {
		return false, nil
	}
	limit := min(computePauseMin<<min(attempt-1, 6), computePauseMax)
	pause := min(time.Duration(rand.Int64N(int64(limit)))+1, left/2)
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
