package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
)

// DefaultFiberTimeout bounds each call of a FiberStorage made without a
// context.
const DefaultFiberTimeout = 5 * time.Second

// FiberStorage has the method set of gofiber's storage interface (Get, Set,
// Delete, Reset and Close over []byte and time.Duration, with the
// …WithContext variants of Fiber v3, and the Keys of Fiber's own drivers), so Fiber's middlewares (session,
// limiter, csrf, cache, idempotency) can keep their data in a Storage
// without this module importing Fiber. Fiber's rules apply: a missing key is
// nil, nil; an expiry of 0 means no expiry; an empty key or value is
// ignored without an error.
type FiberStorage struct {
	s       Storage
	timeout time.Duration
}

// Fiber adapts s. Calls without a context are bounded by timeout; zero
// means DefaultFiberTimeout.
func Fiber(s Storage, timeout time.Duration) *FiberStorage {
	if timeout <= 0 {
		timeout = DefaultFiberTimeout
	}
	return &FiberStorage{s: s, timeout: timeout}
}

func (f *FiberStorage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), f.timeout)
}

// GetWithContext returns the value of key, or nil, nil when there is none.
func (f *FiberStorage) GetWithContext(ctx context.Context, key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	v, found, err := f.s.Get(ctx, key)
	if err != nil || !found {
		return nil, err
	}
	return v, nil
}

// Get is GetWithContext bounded by the adapter's timeout.
func (f *FiberStorage) Get(key string) ([]byte, error) {
	ctx, cancel := f.ctx()
	defer cancel()
	return f.GetWithContext(ctx, key)
}

// SetWithContext stores val under key for exp, 0 meaning no expiry.
func (f *FiberStorage) SetWithContext(ctx context.Context, key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	switch {
	case exp == 0:
		// Fiber's 0 is no expiry; the Storage's 0 would be its default.
		exp = NoExpiry
	case exp < 0:
		return fmt.Errorf("storage: fiber set %q: %w: %v", key, driver.ErrInvalidTTL, exp)
	}
	return f.s.Set(ctx, key, val, exp)
}

// Set is SetWithContext bounded by the adapter's timeout.
func (f *FiberStorage) Set(key string, val []byte, exp time.Duration) error {
	ctx, cancel := f.ctx()
	defer cancel()
	return f.SetWithContext(ctx, key, val, exp)
}

// DeleteWithContext removes key; a missing key is not an error.
func (f *FiberStorage) DeleteWithContext(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	return f.s.Delete(ctx, key)
}

// Delete is DeleteWithContext bounded by the adapter's timeout.
func (f *FiberStorage) Delete(key string) error {
	ctx, cancel := f.ctx()
	defer cancel()
	return f.DeleteWithContext(ctx, key)
}

// ResetWithContext removes every key of the storage.
func (f *FiberStorage) ResetWithContext(ctx context.Context) error { return f.s.Reset(ctx) }

// Reset is ResetWithContext bounded by the adapter's timeout.
func (f *FiberStorage) Reset() error {
	ctx, cancel := f.ctx()
	defer cancel()
	return f.s.Reset(ctx)
}

// Close closes the storage.
func (f *FiberStorage) Close() error { return f.s.Close() }

// keyLister is a Storage that can list its keys (ProviderStorage can).
type keyLister interface {
	Keys(ctx context.Context) ([]string, error)
}

// KeysWithContext lists the storage's keys, as Fiber's own drivers' Keys
// do (gofiber's Storage interface has no such method; its Redis and memory
// drivers add one). It walks the whole namespace: it is for
// administration, not for request paths. A Storage that cannot list its
// keys gives driver.ErrNotSupported. No keys is nil, nil.
func (f *FiberStorage) KeysWithContext(ctx context.Context) ([][]byte, error) {
	l, ok := f.s.(keyLister)
	if !ok {
		return nil, fmt.Errorf("storage: fiber keys: %w", driver.ErrNotSupported)
	}
	keys, err := l.Keys(ctx)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = []byte(k)
	}
	return out, nil
}

// Keys is KeysWithContext bounded by the adapter's timeout.
func (f *FiberStorage) Keys() ([][]byte, error) {
	ctx, cancel := f.ctx()
	defer cancel()
	return f.KeysWithContext(ctx)
}
