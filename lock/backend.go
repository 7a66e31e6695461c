package lock

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// Backend is what a provider implements to keep locks with expiry, which
// is what a Locker builds leases on. The memory provider keeps them in
// process, valkeystore in Valkey; New finds a provider's Backend along its
// unwrap chain (driver.Find), so wrappers pass it through.
//
// A lock is held under a token the caller chooses (random, so that no other
// holder can guess it); every change a holder makes compares the token
// first, so a holder whose lock expired and was taken by another can never
// extend or release the new holder's lock. Every acquisition also returns a
// fencing number from a counter kept per key beside the lock: it is above
// every number handed out before for that key, even when the counter was
// lost (the in-repository providers raise it to the clock in microseconds),
// so a resource guarded by the lock can refuse writes carrying a number
// lower than one it has seen. Numbers need not start at 1 nor grow by one.
//
// TTLs passed are always positive. Package cachetest checks every rule
// stated here (its Lock/ cases).
type Backend interface {
	// AcquireLock takes key for ttl under token if no one holds it, and
	// returns the new fencing number. acquired is false, with fence 0, when
	// another holder has it.
	AcquireLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (fence uint64, acquired bool, err error)

	// ExtendLock sets the lock's remaining life to ttl if key is still held
	// under token, and reports whether it was.
	ExtendLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (bool, error)

	// ReleaseLock frees key if it is still held under token, and reports
	// whether it was.
	ReleaseLock(ctx context.Context, key driver.Key, token string) (bool, error)

	// LockHeld reports whether key is held under token.
	LockHeld(ctx context.Context, key driver.Key, token string) (bool, error)

	// WaitLock returns when the lock of key may have changed: it was
	// released, expired, taken, extended or removed; or when ctx ends
	// (returning an error wrapping ctx.Err()). It returns at once when
	// key is free. It may return early, without a change; callers look again
	// and wait again. Stores notify waiters where they can, so waiting is
	// not polling.
	WaitLock(ctx context.Context, key driver.Key) error
}
