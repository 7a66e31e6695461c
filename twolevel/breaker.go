package twolevel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/valkeystore"
)

// ErrUnavailable is the driver's: it matches every error saying the shared
// store could not serve, whether the store itself said so or the circuit is
// open.
var ErrUnavailable = driver.ErrUnavailable

// ErrCircuitOpen is returned while the circuit is open: the shared store
// failed repeatedly and is not being called until a probe succeeds. It
// matches ErrUnavailable, and driver.ErrUnreachable: the call did not reach
// the store, so a get-or-load loads from the source at once rather than
// trying again. Telling it apart from a failed call matters to writes: a
// call that never left the process cannot have changed the store.
var ErrCircuitOpen = fmt.Errorf("twolevel: circuit open: %w", driver.ErrUnreachable)

// State is the circuit breaker's state.
type State int32

const (
	Closed   State = iota // calls go through
	Open                  // calls fail at once
	HalfOpen              // one probe call is going through
)

func (s State) String() string {
	switch s {
	case Closed:
		return driver.CircuitClosed
	case Open:
		return driver.CircuitOpen
	case HalfOpen:
		return driver.CircuitHalfOpen
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// breaker counts consecutive failures of the shared store. Only what says
// the store could not serve counts: not a miss, not a reply about the call
// itself (a wrong type, a missing permission), not an invalid argument, and
// not a call its own caller gave up on (cancelled, or past the caller's
// deadline), which would let impatient callers open the circuit for all.
type breaker struct {
	threshold int // <= 0: never opens
	cooldown  time.Duration
	log       *slog.Logger

	state    atomic.Int32
	failures atomic.Int32
	mu       sync.Mutex
	openedAt time.Time
	lastErr  error
}

// allow says whether a call may go to the store now, and whether it is the
// probe: in the open state, the first call after the cooldown.
func (b *breaker) allow() (probe bool, err error) {
	if State(b.state.Load()) == Closed {
		return false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch State(b.state.Load()) {
	case Closed:
		return false, nil
	case Open:
		if time.Since(b.openedAt) >= b.cooldown {
			b.state.Store(int32(HalfOpen))
			return true, nil
		}
	}
	return false, fmt.Errorf("%w: %w", ErrCircuitOpen, b.lastErr)
}

// done takes the outcome of a call allow let through; telling says
// whether the outcome says anything about the store.
func (b *breaker) done(probe bool, err error, telling bool) {
	switch {
	case !telling:
		if probe { // the next call probes instead
			b.state.CompareAndSwap(int32(HalfOpen), int32(Open))
		}
	case err == nil:
		if b.failures.Load() != 0 || State(b.state.Load()) != Closed {
			b.mu.Lock()
			b.failures.Store(0)
			if State(b.state.Swap(int32(Closed))) != Closed {
				b.log.Info("twolevel: shared store reachable again; circuit closed")
			}
			b.mu.Unlock()
		}
	default:
		if b.threshold <= 0 {
			return
		}
		n := b.failures.Add(1)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lastErr = err
		st := State(b.state.Load())
		if (probe && st == HalfOpen) || (st == Closed && int(n) >= b.threshold) {
			b.openedAt = time.Now()
			b.state.Store(int32(Open))
			if st == Closed {
				b.log.Warn("twolevel: shared store failing; circuit open", slog.Int("failures", int(n)), slog.Any("error", err))
			}
		}
	}
}

// telling reports whether a call's outcome says anything about the store.
func telling(ctx context.Context, err error) bool {
	if err == nil {
		return true
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, driver.ErrUnavailable) {
		return false // the caller gave up; the end of a call's budget is the store's
	}
	var lf *driver.LoadFailedError
	switch {
	case errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrInvalidTTL),
		errors.Is(err, driver.ErrValueTooLarge),
		errors.Is(err, driver.ErrNotSupported),
		errors.Is(err, driver.ErrFlushNotAllowed),
		errors.Is(err, driver.ErrClosed),
		errors.Is(err, ErrCircuitOpen),
		errors.As(err, &lf):
		return false
	}
	return valkeystore.Unavailable(err)
}
