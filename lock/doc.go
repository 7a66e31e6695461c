// Package lock is a distributed mutual-exclusion lock over any provider
// that keeps locks (a Backend): the in-process store for one process,
// Valkey (single node or cluster) for a fleet.
//
//	locks, _ := lock.New(provider, lock.Config{})
//	lease, err := locks.Acquire(ctx, "invoice:42", lock.Options{TTL: 10 * time.Second, AutoExtend: true})
//	if err != nil { ... }
//	defer lease.Release(context.Background())
//	err = store.Write(lease.Context(), data, lease.Fence())
//
// A lock expires unless extended, so a crashed holder cannot block the
// others for ever. Every acquisition carries a random token, which every
// extension and release compares first, and a fencing number that grows
// with each acquisition of the same name, across every process: a resource
// that remembers the highest number it has seen can refuse a late write
// from a holder whose lock expired while it was paused.
//
// A Lease's Context is cancelled as soon as the lease is known to be over:
// released, expired locally (its TTL passed without an extension), or found
// gone or taken from the store (which notifies watchers where it can).
// Work done under a lock should watch that context. docs/lock.md describes
// the guarantees and their limits.
package lock
