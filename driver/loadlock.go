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
	// another loader holds it. seen is what the caller found stored and out
	// of date: the key is taken over only while it still holds exactly seen,
	// or nothing; with seen nil, only an absent key is taken. So a value
	// written since the caller looked is never replaced. The token
	// identifies this load and only this one.
	//
	// When the key is not taken because it holds a value other than seen
	// (written since the caller looked), current is that value, so the
	// caller need not read the key again to see it; it is nil when another
	// load holds the key.
	//
	// An error says the election may or may not have happened. A provider
	// that may have sent it (a reply lost with its connection) should send
	// it again within ctx with the same token, and report the key acquired
	// when it holds that token's placeholder: otherwise the caller, not
	// knowing the token, would wait for its own load until the lease ends.
	AcquireLoad(ctx context.Context, key Key, lease time.Duration, seen []byte) (token string, acquired bool, current []byte, err error)

	// WaitLoad returns when key may have changed (its load finished, was
	// abandoned, or its lease ran out), or when ctx ends. It may return
	// early; callers look again and wait again.
	WaitLoad(ctx context.Context, key Key) error

	// SetLoaded writes value for ttl if key still holds the placeholder of
	// token, and reports whether it did. A key that already holds exactly
	// value may be reported written: the caller sends SetLoaded again when
	// a reply is lost, and the first send may have landed.
	SetLoaded(ctx context.Context, key Key, token string, value []byte, ttl time.Duration) (bool, error)

	// FailLoad replaces the placeholder of token, if it is still there, with
	// a mark that the load failed, kept for hold: the processes waiting on
	// the load then return its error at once (WaitLoad returns a
	// *LoadFailedError) instead of each trying the failing source in turn.
	FailLoad(ctx context.Context, key Key, token, reason string, hold time.Duration) error

	// ReleaseLoad removes the placeholder of token, if it is still there, so
	// that another process may load at once. With restore, it puts those
	// bytes back instead, for restoreTTL: a failed reload keeps the stale
	// value that stale-if-error serves.
	ReleaseLoad(ctx context.Context, key Key, token string, restore []byte, restoreTTL time.Duration) error
}

// LoadFailedError is what WaitLoad returns when the load it waited for
// failed in another process.
type LoadFailedError struct {
	Reason string
}

func (e *LoadFailedError) Error() string {
	return "valcache: the load of this key failed in another process: " + e.Reason
}
