package lock_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/memory"
)

// One holder at a time: a second TryAcquire of a held lock fails at once,
// and each acquisition's fencing number is larger than the one before.
func Example() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{}) // or a valkeystore.Provider, for a fleet
	if err != nil {
		panic(err)
	}
	defer p.Close()

	locks, err := lock.New(p, lock.Config{})
	if err != nil {
		panic(err)
	}

	lease, err := locks.Acquire(ctx, "invoice:42", lock.Options{TTL: 10 * time.Second, AutoExtend: true})
	if err != nil {
		panic(err)
	}
	first := lease.Fence()

	_, err = locks.TryAcquire(ctx, "invoice:42", lock.Options{})
	fmt.Println(errors.Is(err, lock.ErrLocked))

	// Work under the lock watches lease.Context(), cancelled if the lock is
	// lost, and hands lease.Fence() to a resource that refuses older fences.
	fmt.Println(lease.Context().Err())
	if err := lease.Release(ctx); err != nil {
		panic(err)
	}

	next, err := locks.TryAcquire(ctx, "invoice:42", lock.Options{})
	if err != nil {
		panic(err)
	}
	defer next.Release(context.Background())
	fmt.Println(next.Fence() > first)
	// Output:
	// true
	// <nil>
	// true
}
