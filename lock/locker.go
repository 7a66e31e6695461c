package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
)

// DefaultNamespace keeps locks apart from other users of the provider when
// Config names no namespace.
const DefaultNamespace = "lock"

// DefaultTTL is the life of a lock whose Options set none.
const DefaultTTL = 30 * time.Second

// MinTTL is the shortest TTL accepted: stores count expiry in milliseconds.
const MinTTL = time.Millisecond

// retryPause bounds how long a waiter or watcher pauses after a store error
// before trying again, so a failing store is not hammered.
const retryPause = 50 * time.Millisecond

// Config configures a Locker.
type Config struct {
	// Namespace separates these locks from others on the same provider.
	// Empty means DefaultNamespace.
	Namespace string
}

// Options configure one acquisition.
type Options struct {
	// TTL is how long the lock lasts unless extended. Zero means DefaultTTL.
	TTL time.Duration
	// AutoExtend extends the lock by TTL every TTL/3 until the lease is
	// released or lost, so it outlives its TTL while the holder runs.
	AutoExtend bool
}

// Locker hands out leases on named locks. It is safe for concurrent use.
type Locker struct {
	store Backend
	ns    string
}

// New returns a Locker over p's Backend (found along p's unwrap chain), or
// an error matching driver.ErrNotSupported when p keeps no locks.
func New(p driver.Provider, cfg Config) (*Locker, error) {
	store, ok := driver.Find[Backend](p)
	if !ok {
		return nil, fmt.Errorf("lock: provider %T keeps no locks: %w", p, driver.ErrNotSupported)
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return &Locker{store: store, ns: ns}, nil
}

func (o Options) ttl() (time.Duration, error) {
	switch {
	case o.TTL == 0:
		return DefaultTTL, nil
	case o.TTL < MinTTL:
		return 0, fmt.Errorf("%w: TTL %v is below %v", ErrInvalidOptions, o.TTL, MinTTL)
	}
	return o.TTL, nil
}

// TryAcquire takes the lock name if it is free, and returns ErrLocked at
// once if another holder has it.
func (l *Locker) TryAcquire(ctx context.Context, name string, opts Options) (*Lease, error) {
	ttl, err := opts.ttl()
	if err != nil {
		return nil, err
	}
	return l.try(ctx, name, ttl, opts.AutoExtend)
}

// Acquire takes the lock name, waiting while another holder has it until
// it is free or ctx ends. Waiting is woken by the store's notifications,
// not by polling, where the store can notify. Waiters are not served in
// order of arrival.
func (l *Locker) Acquire(ctx context.Context, name string, opts Options) (*Lease, error) {
	ttl, err := opts.ttl()
	if err != nil {
		return nil, err
	}
	key := driver.Key{Namespace: l.ns, ID: name}
	for {
		lease, err := l.try(ctx, name, ttl, opts.AutoExtend)
		if !errors.Is(err, ErrLocked) {
			return lease, err
		}
		if err := l.store.WaitLock(ctx, key); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("lock: waiting for %q: %w", name, context.Cause(ctx))
			}
			if errors.Is(err, driver.ErrClosed) {
				return nil, fmt.Errorf("lock: waiting for %q: %w", name, err)
			}
			if err := sleep(ctx, retryPause); err != nil {
				return nil, fmt.Errorf("lock: waiting for %q: %w", name, err)
			}
		}
	}
}

func (l *Locker) try(ctx context.Context, name string, ttl time.Duration, auto bool) (*Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lock: acquire %q: %w", name, context.Cause(ctx))
	}
	key := driver.Key{Namespace: l.ns, ID: name}
	token := newToken()
	start := time.Now()
	fence, ok, err := l.store.AcquireLock(ctx, key, token, ttl)
	if err != nil {
		return nil, fmt.Errorf("lock: acquire %q: %w", name, err)
	}
	if !ok {
		return nil, ErrLocked
	}
	return newLease(ctx, l.store, key, token, fence, ttl, start, auto), nil
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
