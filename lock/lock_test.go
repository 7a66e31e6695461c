package lock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/memory"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newLocker(t *testing.T) (*lock.Locker, *memory.Provider) {
	t.Helper()
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	locks, err := lock.New(p, lock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return locks, p
}

// bytesOnly is a provider without the lock capability.
type bytesOnly struct{ driver.Provider }

func TestNewAndOptionsAreChecked(t *testing.T) {
	locks, p := newLocker(t)
	if _, err := lock.New(bytesOnly{p}, lock.Config{}); !errors.Is(err, driver.ErrNotSupported) {
		t.Fatalf("a provider without lock.Backend: %v, want ErrNotSupported", err)
	}
	for _, ttl := range []time.Duration{-time.Second, time.Microsecond} {
		if _, err := locks.TryAcquire(t.Context(), "k", lock.Options{TTL: ttl}); !errors.Is(err, lock.ErrInvalidOptions) {
			t.Fatalf("TTL %v: %v, want ErrInvalidOptions", ttl, err)
		}
	}
	lease, err := locks.TryAcquire(t.Context(), "k", lock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Name() != "k" || len(lease.Token()) != 32 || lease.Fence() == 0 {
		t.Fatalf("lease %q %q %d", lease.Name(), lease.Token(), lease.Fence())
	}
	if err := lease.Extend(t.Context(), time.Microsecond); !errors.Is(err, lock.ErrInvalidOptions) {
		t.Fatalf("Extend by 1µs: %v, want ErrInvalidOptions", err)
	}
	if err := lease.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

type ctxKey struct{}

func TestLeaseContextKeepsValuesButNotCancellation(t *testing.T) {
	locks, _ := newLocker(t)
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "v"))
	lease, err := locks.Acquire(ctx, "k", lock.Options{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := lease.Context().Err(); err != nil {
		t.Fatalf("ending Acquire's context ended the lease: %v", err)
	}
	if lease.Context().Value(ctxKey{}) != "v" {
		t.Fatal("the lease's context lost Acquire's values")
	}
	if err := lease.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestAnUnreleasedLeaseStopsItsGoroutineAtExpiry(t *testing.T) {
	locks, _ := newLocker(t)
	lease, err := locks.Acquire(t.Context(), "k", lock.Options{TTL: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-lease.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the lease outlived its TTL by 5s")
	}
	if cause := context.Cause(lease.Context()); !errors.Is(cause, lock.ErrLockLost) {
		t.Fatalf("cause %v, want ErrLockLost", cause)
	}
	// goleak in TestMain checks the watcher is gone; check here too, bounded.
	if err := goleak.Find(goleak.IgnoreCurrent()); err != nil {
		t.Fatal(err)
	}
}

func TestShorterExtendEndsTheLeaseSooner(t *testing.T) {
	locks, _ := newLocker(t)
	lease, err := locks.Acquire(t.Context(), "k", lock.Options{TTL: time.Hour, AutoExtend: false})
	if err != nil {
		t.Fatal(err)
	}
	if err := lease.Extend(t.Context(), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lease.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("an Extend to 50ms did not move the lease's end")
	}
	if _, err := locks.TryAcquire(t.Context(), "k", lock.Options{}); err != nil {
		t.Fatalf("the lock was not free after its shortened TTL: %v", err)
	}
}

func TestClosingTheProviderEndsLeasesAndWaiters(t *testing.T) {
	locks, p := newLocker(t)
	lease, err := locks.Acquire(t.Context(), "k", lock.Options{TTL: time.Hour, AutoExtend: true})
	if err != nil {
		t.Fatal(err)
	}
	waiter := make(chan error, 1)
	go func() {
		_, err := locks.Acquire(context.Background(), "k", lock.Options{})
		waiter <- err
	}()
	time.Sleep(20 * time.Millisecond)
	_ = p.Close()
	select {
	case <-lease.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the lease outlived its provider by 5s")
	}
	select {
	case err := <-waiter:
		if !errors.Is(err, driver.ErrClosed) {
			t.Fatalf("waiter: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter outlived its provider by 5s")
	}
	if err := lease.Release(context.Background()); err == nil {
		t.Fatal("Release on a closed provider reported success")
	}
}
