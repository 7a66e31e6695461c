package driver

import (
	"context"
	"time"
)

// RefreshLocker elects one process to refresh a key in the background while
// its current value stays readable (refresh-ahead, stale-while-revalidate),
// so a busy key is reloaded once for the fleet, not once per process.
//
// Fallback: each process refreshes on its own (once per key).
type RefreshLocker interface {
	// AcquireRefresh reports whether the caller may refresh key; the right
	// lasts lease and needs no release (the refreshed value is written with
	// an ordinary write).
	AcquireRefresh(ctx context.Context, key Key, lease time.Duration) (bool, error)
}
