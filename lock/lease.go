package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/valcache/valcache/driver"
)

// Lease is one holding of a lock. Its methods are safe for concurrent use.
//
// Each lease runs one goroutine that watches the lock (and extends it, with
// AutoExtend) until the lease is released or lost; Release waits for it to
// end, and a lease that is neither released nor extended ends it when its
// TTL passes. So no goroutine outlives a lease.
type Lease struct {
	store Backend
	key   driver.Key
	token string
	fence uint64
	auto  bool

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the watcher returns

	mu         sync.Mutex
	ttl        time.Duration
	expires    time.Time // local estimate, never later than the store's
	nextExtend time.Time
	released   bool
	interrupt  context.CancelFunc // wakes the watcher to re-read expires
}

func newLease(parent context.Context, store Backend, key driver.Key, token string, fence uint64, ttl time.Duration, start time.Time, auto bool) *Lease {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	l := &Lease{
		store: store, key: key, token: token, fence: fence, auto: auto,
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		ttl: ttl, expires: start.Add(ttl), nextExtend: start.Add(ttl / 3),
	}
	go l.watch()
	return l
}

// Name is the lock's name.
func (l *Lease) Name() string { return l.key.ID }

// Token is the random value that identifies this holding in the store.
func (l *Lease) Token() string { return l.token }

// Fence is this acquisition's fencing number: larger than that of every
// earlier acquisition of the same name, in any process.
func (l *Lease) Fence() uint64 { return l.fence }

// Context is cancelled when the lease ends: its cause is ErrReleased after
// Release, and ErrLockLost when the lock expired or was removed or taken.
// It carries the values of the context Acquire was called with.
func (l *Lease) Context() context.Context { return l.ctx }

// Extend sets the lock's remaining life to ttl (zero: the lease's TTL),
// which also becomes the TTL of later automatic extensions. It returns
// ErrLockLost, and cancels the lease's context, if the store no longer holds
// this lease's token.
func (l *Lease) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl == 0 {
		l.mu.Lock()
		ttl = l.ttl
		l.mu.Unlock()
	}
	if ttl < MinTTL {
		return fmt.Errorf("%w: TTL %v is below %v", ErrInvalidOptions, ttl, MinTTL)
	}
	if err := l.usable(); err != nil {
		return err
	}
	start := time.Now()
	ok, err := l.store.ExtendLock(ctx, l.key, l.token, ttl)
	if err != nil {
		return fmt.Errorf("lock: extend %q: %w", l.key.ID, err)
	}
	if !ok {
		l.lose()
		return fmt.Errorf("lock: extend %q: %w: %w", l.key.ID, ErrNotHeld, ErrLockLost)
	}
	l.mu.Lock()
	l.ttl = ttl
	l.expires = start.Add(ttl)
	l.nextExtend = start.Add(ttl / 3)
	if l.interrupt != nil {
		l.interrupt()
	}
	l.mu.Unlock()
	if errors.Is(context.Cause(l.ctx), ErrLockLost) {
		// The lease gave the lock up as expired while the call ran; its
		// context stays cancelled, so the caller must stop.
		return fmt.Errorf("lock: extend %q: %w", l.key.ID, ErrLockLost)
	}
	return nil
}

// Release cancels the lease's context, stops its goroutine and frees the
// lock if the store still holds this lease's token. It returns ErrLockLost
// if the lock had been lost (someone else may have held it meanwhile), and
// ErrNotHeld when called again. If the store cannot be reached, the error says so and the
// lock is left to expire.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return fmt.Errorf("lock: release %q: %w", l.key.ID, ErrNotHeld)
	}
	l.released = true
	l.mu.Unlock()
	l.cancel(ErrReleased)
	<-l.done
	lostBefore := errors.Is(context.Cause(l.ctx), ErrLockLost)
	ok, err := l.store.ReleaseLock(ctx, l.key, l.token)
	if err != nil {
		return fmt.Errorf("lock: release %q: %w", l.key.ID, err)
	}
	if lostBefore || !ok {
		return fmt.Errorf("lock: release %q: %w", l.key.ID, ErrLockLost)
	}
	return nil
}

// usable reports why the lease can no longer be used, if it cannot.
func (l *Lease) usable() error {
	l.mu.Lock()
	released := l.released
	l.mu.Unlock()
	if released {
		return fmt.Errorf("lock: %q: %w", l.key.ID, ErrNotHeld)
	}
	if errors.Is(context.Cause(l.ctx), ErrLockLost) {
		return fmt.Errorf("lock: %q: %w: %w", l.key.ID, ErrNotHeld, ErrLockLost)
	}
	return nil
}

// lose ends the lease as lost. A lease already released keeps ErrReleased
// as its cause: the first cause wins.
func (l *Lease) lose() { l.cancel(ErrLockLost) }
