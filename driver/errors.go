package driver

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors shared by the facade and every provider. The facade
// re-exports them, so callers only ever need errors.Is against valcache's.
var (
	// ErrInvalidTTL is returned for a TTL that is neither positive nor NoExpiry.
	ErrInvalidTTL = errors.New("valcache: invalid TTL: must be positive or NoExpiry")
	// ErrValueTooLarge is returned when a value exceeds what the provider
	// accepts; nothing is written and any previous value is left as it was.
	ErrValueTooLarge = errors.New("valcache: value too large")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("valcache: closed")
	// ErrNotSupported is returned for an operation a provider cannot perform.
	ErrNotSupported = errors.New("valcache: not supported")
	// ErrFlushNotAllowed is returned by Flush unless the provider was
	// configured to allow wiping the whole database.
	ErrFlushNotAllowed = errors.New("valcache: flush not allowed by configuration")
	// ErrUnavailable is matched by every error that says the store could not
	// serve the call, whatever the call was: no connection, a refused or reset
	// connection, no reply within the provider's own timeout, or a reply such
	// as LOADING, BUSY, CLUSTERDOWN, MASTERDOWN, TRYAGAIN, READONLY or OOM.
	// Callers can then tell "try later, or elsewhere" from a mistake in the
	// call, without knowing the store. The underlying error stays in the
	// chain. A call cut short by its caller's own cancellation or deadline
	// does not match: it reports the context's error.
	ErrUnavailable = errors.New("valcache: store unavailable")

	// ErrUnreachable is matched, besides ErrUnavailable, by the errors of
	// calls that cannot have reached the store: no connection to it could
	// be made (refused, no route, an unknown host), or the provider is not
	// calling it for now (an open circuit breaker). Trying again at once
	// would fail alike, so the facade does not wait for it: a get-or-load
	// loads from the source straight away. Errors of calls that may have
	// reached the store (a connection reset, no reply in time, a reply such
	// as LOADING) match ErrUnavailable only: the store may still hold what
	// the call was about, a load in progress say, so such a call is worth
	// sending again within its budget.
	ErrUnreachable error = unreachable{}
)

type unreachable struct{}

func (unreachable) Error() string { return "valcache: store unreachable" }

// Is makes errors.Is(err, ErrUnavailable) hold for an unreachable store.
func (unreachable) Is(target error) bool { return target == ErrUnavailable }

// ValueTooLargeError says how large a rejected value was and what the limit
// is. It matches ErrValueTooLarge with errors.Is.
type ValueTooLargeError struct {
	Size  int
	Limit int
}

func (e *ValueTooLargeError) Error() string {
	return fmt.Sprintf("valcache: value too large: %d bytes, limit %d", e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrValueTooLarge) hold.
func (e *ValueTooLargeError) Is(target error) bool { return target == ErrValueTooLarge }

// BatchError reports the entries of a bulk operation that failed. Entries not
// listed succeeded: a bulk call never fails silently for some keys and never
// hides which ones.
type BatchError struct {
	// Failed maps the index of each failed item in the request to its error.
	Failed map[int]error
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "valcache: %d operations of a batch failed", len(e.Failed))
	if err := e.first(); err != nil {
		fmt.Fprintf(&b, " (first: %v)", err)
	}
	return b.String()
}

// Unwrap exposes every failure to errors.Is and errors.As.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed))
	for _, err := range e.Failed {
		errs = append(errs, err)
	}
	return errs
}

func (e *BatchError) first() error {
	lowest := -1
	for i := range e.Failed {
		if lowest < 0 || i < lowest {
			lowest = i
		}
	}
	if lowest < 0 {
		return nil
	}
	return e.Failed[lowest]
}

// GroupsError is returned by a Versioner that keeps a copy of each version
// per group of entries (VersionGroups) when a call over several groups
// could not reach the copies of some of them, such as the groups of one
// shard of a cluster that is down. Failed maps each such group to its
// error. The call returns no versions, but the groups not listed did not
// fail, so a caller writing a batch can ask again without the groups
// listed, write the other groups' entries, and fail only those of the
// groups listed. It matches ErrUnavailable when its failures do.
type GroupsError struct {
	Failed map[int]error
}

func (e *GroupsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "valcache: the versions of %d groups could not be read", len(e.Failed))
	lowest := -1
	for g := range e.Failed {
		if lowest < 0 || g < lowest {
			lowest = g
		}
	}
	if lowest >= 0 {
		fmt.Fprintf(&b, " (group %d: %v)", lowest, e.Failed[lowest])
	}
	return b.String()
}

// Unwrap exposes every failure to errors.Is and errors.As.
func (e *GroupsError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed))
	for _, err := range e.Failed {
		errs = append(errs, err)
	}
	return errs
}
