package cachetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
)

// lockCases check lock.Backend and package lock over it.
var lockCases = []testCase{
	{"TokensAreCompared", func(t *testing.T, p driver.Provider, _ Harness) {
		lk := backend[lock.Backend](t, p)
		ctx := ctxFor(t)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		f1 := mustAcquire(t, lk, k, "one", time.Minute)
		if _, ok, err := lk.AcquireLock(ctx, k, "two", time.Minute); err != nil || ok {
			t.Fatalf("second AcquireLock = %v %v, want refused", ok, err)
		}
		for name, op := range map[string]func() (bool, error){
			"ExtendLock":  func() (bool, error) { return lk.ExtendLock(ctx, k, "two", time.Minute) },
			"ReleaseLock": func() (bool, error) { return lk.ReleaseLock(ctx, k, "two") },
			"LockHeld":    func() (bool, error) { return lk.LockHeld(ctx, k, "two") },
		} {
			if ok, err := op(); err != nil || ok {
				t.Fatalf("%s with another token = %v %v, want false", name, ok, err)
			}
		}
		if ok, err := lk.LockHeld(ctx, k, "one"); err != nil || !ok {
			t.Fatalf("LockHeld by the holder = %v %v", ok, err)
		}
		if ok, err := lk.ExtendLock(ctx, k, "one", time.Minute); err != nil || !ok {
			t.Fatalf("ExtendLock by the holder = %v %v", ok, err)
		}
		if ok, err := lk.ReleaseLock(ctx, k, "one"); err != nil || !ok {
			t.Fatalf("ReleaseLock by the holder = %v %v", ok, err)
		}
		if ok, err := lk.ReleaseLock(ctx, k, "one"); err != nil || ok {
			t.Fatalf("second ReleaseLock = %v %v, want false", ok, err)
		}
		if f2 := mustAcquire(t, lk, k, "two", time.Minute); f2 <= f1 {
			t.Fatalf("fence after release %d, want above %d", f2, f1)
		}
	}},
	{"LocksExpire", func(t *testing.T, p driver.Provider, _ Harness) {
		lk := backend[lock.Backend](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		f1 := mustAcquire(t, lk, k, "one", 100*time.Millisecond)
		deadline := time.Now().Add(5 * time.Second)
		for {
			f2, ok, err := lk.AcquireLock(ctxFor(t), k, "two", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				if f2 <= f1 {
					t.Fatalf("fence after expiry %d, want above %d", f2, f1)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a lock with a 100ms TTL is still held after 5s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if ok, err := lk.ExtendLock(ctxFor(t), k, "one", time.Minute); err != nil || ok {
			t.Fatalf("the expired holder extended the next holder's lock: %v %v", ok, err)
		}
	}},
	{"WaitLockReturnsForAFreeLock", func(t *testing.T, p driver.Provider, _ Harness) {
		lk := backend[lock.Backend](t, p)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := lk.WaitLock(ctx, driver.Key{Namespace: namespace(t), ID: "free"}); err != nil {
			t.Fatalf("WaitLock on a free lock: %v", err)
		}
	}},
	{"KeysAreSeparate", func(t *testing.T, p driver.Provider, _ Harness) {
		lk := backend[lock.Backend](t, p)
		ns := namespace(t)
		keys := []driver.Key{
			{Namespace: ns, ID: "a:b"}, {Namespace: ns + ":a", ID: "b"}, {Namespace: ns, ID: "{a}"},
			{Namespace: ns, ID: "a"}, {Namespace: ns, ID: "%7Ba%7D"}, {Namespace: ns + "x", ID: "a"},
		}
		for _, k := range keys { // each is free while the others are held
			if f := mustAcquire(t, lk, k, "t", time.Minute); f == 0 {
				t.Fatalf("acquisition of %+v has fence 0", k)
			}
		}
		// Entries of the same name, and clearing the namespace, leave locks alone.
		mustSet(t, p, keys[0], []byte("v"), time.Minute)
		if err := p.Clear(ctxFor(t), ns); err != nil {
			t.Fatal(err)
		}
		if ok, err := lk.LockHeld(ctxFor(t), keys[0], "t"); err != nil || !ok {
			t.Fatalf("after Clear of its namespace, LockHeld = %v %v", ok, err)
		}
	}},
	{"LeasesExcludeEachOtherWithIncreasingFences", func(t *testing.T, p driver.Provider, _ Harness) {
		locks := newLocker(t, p)
		var mu sync.Mutex
		inside, maxInside := 0, 0
		var fences []uint64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					lease, err := locks.Acquire(ctxFor(t), "shared", lock.Options{TTL: 10 * time.Second})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					inside++
					maxInside = max(maxInside, inside)
					fences = append(fences, lease.Fence())
					mu.Unlock()
					time.Sleep(time.Millisecond)
					mu.Lock()
					inside--
					mu.Unlock()
					if err := lease.Release(ctxFor(t)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if maxInside != 1 {
			t.Fatalf("%d holders at once, want 1", maxInside)
		}
		if len(fences) != 40 {
			t.Fatalf("%d acquisitions, want 40", len(fences))
		}
		for i := 1; i < len(fences); i++ {
			if fences[i] <= fences[i-1] {
				t.Fatalf("fence %d after %d: fences must increase with each acquisition", fences[i], fences[i-1])
			}
		}
	}},
	{"TryAcquireRefusesAHeldLock", func(t *testing.T, p driver.Provider, _ Harness) {
		locks := newLocker(t, p)
		lease, err := locks.TryAcquire(ctxFor(t), "k", lock.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := locks.TryAcquire(ctxFor(t), "k", lock.Options{}); !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("TryAcquire of a held lock: %v, want ErrLocked", err)
		}
		if err := lease.Release(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
		if err := lease.Release(ctxFor(t)); !errors.Is(err, lock.ErrNotHeld) {
			t.Fatalf("second Release: %v, want ErrNotHeld", err)
		}
		if err := lease.Extend(ctxFor(t), 0); !errors.Is(err, lock.ErrNotHeld) {
			t.Fatalf("Extend after Release: %v, want ErrNotHeld", err)
		}
		if cause := context.Cause(lease.Context()); !errors.Is(cause, lock.ErrReleased) {
			t.Fatalf("context cause after Release: %v, want ErrReleased", cause)
		}
	}},
	{"AcquireWaitsForRelease", func(t *testing.T, p driver.Provider, _ Harness) {
		locks := newLocker(t, p)
		first, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			lease, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: time.Minute})
			if err == nil {
				if lease.Fence() <= first.Fence() {
					err = errors.New("the waiter's fence is not above the first holder's")
				}
				_ = lease.Release(ctxFor(t))
			}
			got <- err
		}()
		time.Sleep(50 * time.Millisecond)
		if err := first.Release(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatalf("the waiter: %v", err)
		}
		short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		held, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer held.Release(ctxFor(t))
		if _, err := locks.Acquire(short, "k", lock.Options{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Acquire of a held lock until the deadline: %v, want DeadlineExceeded", err)
		}
	}},
	{"ExpiryCancelsTheLease", func(t *testing.T, p driver.Provider, _ Harness) {
		locks := newLocker(t, p)
		lease, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: 150 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		waitLost(t, lease)
		next, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer next.Release(ctxFor(t))
		if next.Fence() <= lease.Fence() {
			t.Fatalf("fence %d after a lost lease's %d", next.Fence(), lease.Fence())
		}
		if err := lease.Extend(ctxFor(t), time.Minute); !errors.Is(err, lock.ErrLockLost) {
			t.Fatalf("Extend of a lost lease: %v, want ErrLockLost", err)
		}
		if err := lease.Release(ctxFor(t)); !errors.Is(err, lock.ErrLockLost) {
			t.Fatalf("Release of a lost lease: %v, want ErrLockLost", err)
		}
		if err := next.Extend(ctxFor(t), 0); err != nil {
			t.Fatalf("the late Release of a lost lease freed the next holder's lock: %v", err)
		}
	}},
	{"AutoExtendOutlivesTheTTL", func(t *testing.T, p driver.Provider, _ Harness) {
		locks := newLocker(t, p)
		// Extensions run every TTL/3, so a TTL of 500 ms leaves a busy
		// machine a third of a second to run each one.
		lease, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: 500 * time.Millisecond, AutoExtend: true})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1600 * time.Millisecond)
		if err := lease.Context().Err(); err != nil {
			t.Fatalf("an auto-extended lease ended after 3 TTLs: %v", context.Cause(lease.Context()))
		}
		if _, err := locks.TryAcquire(ctxFor(t), "k", lock.Options{}); !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("TryAcquire of an auto-extended lock: %v, want ErrLocked", err)
		}
		if err := lease.Release(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
		other, err := locks.TryAcquire(ctxFor(t), "k", lock.Options{})
		if err != nil {
			t.Fatalf("TryAcquire after Release: %v", err)
		}
		_ = other.Release(ctxFor(t))
	}},
	{"ExtendMovesTheExpiry", func(t *testing.T, p driver.Provider, _ Harness) {
		locks := newLocker(t, p)
		lease, err := locks.Acquire(ctxFor(t), "k", lock.Options{TTL: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := lease.Extend(ctxFor(t), time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if err := lease.Context().Err(); err != nil {
			t.Fatalf("an extended lease ended at its first TTL: %v", context.Cause(lease.Context()))
		}
		if err := lease.Release(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
	}},
}

func newLocker(t *testing.T, p driver.Provider) *lock.Locker {
	t.Helper()
	locks, err := lock.New(p, lock.Config{Namespace: namespace(t)})
	if err != nil {
		t.Fatal(err)
	}
	return locks
}

func mustAcquire(t *testing.T, lk lock.Backend, k driver.Key, token string, ttl time.Duration) uint64 {
	t.Helper()
	fence, ok, err := lk.AcquireLock(ctxFor(t), k, token, ttl)
	if err != nil || !ok {
		t.Fatalf("AcquireLock(%+v) = %v %v, want acquired", k, ok, err)
	}
	return fence
}

// waitLost waits, at most 5s, for lease's context to end as lost.
func waitLost(t *testing.T, lease *lock.Lease) {
	t.Helper()
	select {
	case <-lease.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the lease's context was not cancelled within 5s of losing the lock")
	}
	if cause := context.Cause(lease.Context()); !errors.Is(cause, lock.ErrLockLost) {
		t.Fatalf("context cause %v, want ErrLockLost", cause)
	}
}
