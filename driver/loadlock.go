package driver

import (
	"context"
	"time"
)

// LoadLocker elects one loader per key across every process sharing the
// store, so that a cold key is loaded once for the whole fleet, not once per
// process.
//
// While a load runs, the key holds a placeholder that reads report as a
// miss. Writing or deleting the key replaces the placeholder, which is how a
// slow loader is kept from overwriting a fresher value or a deletion: its
// write only lands while its own placeholder is still there.
//
// Fallback: loads are deduplicated within each process only.
type LoadLocker interface {
	// AcquireLoad makes the caller the loader of key for lease, unless
	// another loader holds it. With replace, it also takes the key over from
	// a value that is there (one the caller found out of date); without, it
	// acquires only an absent key, so a value written since the caller looked
	// is never replaced. The token identifies this load and only this one.
	AcquireLoad(ctx context.Context, key Key, lease time.Duration, replace bool) (token string, acquired bool, err error)

	// WaitLoad returns when key may have changed (its load finished, was
	// abandoned, or its lease ran out), or when ctx ends. It may return
	// early; callers look again and wait again.
	WaitLoad(ctx context.Context, key Key) error

	// SetLoaded writes value for ttl if key still holds the placeholder of
	// token, and reports whether it did.
	SetLoaded(ctx context.Context, key Key, token string, value []byte, ttl time.Duration) (bool, error)

	// ReleaseLoad removes the placeholder of token, if it is still there, so
	// that another process may load at once.
	ReleaseLoad(ctx context.Context, key Key, token string) error
}
