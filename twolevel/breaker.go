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
)

// ErrUnavailable is returned while the circuit is open: the shared store
// failed repeatedly and is not being called until a probe succeeds.
var ErrUnavailable = errors.New("twolevel: shared store unavailable (circuit open)")

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

// breaker counts consecutive failures of the shared store. Misses are not
// failures, nor are errors that say something about the call rather than
// the store (a cancelled context, an invalid TTL, a value too large).
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

// allow says whether a call may go to the store now. In the open state,
// the first call after the cooldown goes through as the probe.
func (b *breaker) allow() error {
	if State(b.state.Load()) == Closed {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch State(b.state.Load()) {
	case Closed:
		return nil
	case Open:
		if time.Since(b.openedAt) >= b.cooldown {
			b.state.Store(int32(HalfOpen))
			return nil
		}
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, b.lastErr)
}

// record takes the outcome of a call that allow let through. Only a
// success ends a run of failures; an error that says nothing about the
// store neither counts nor ends one.
func (b *breaker) record(err error) {
	if err != nil && !isFailure(err) {
		b.abandon()
		return
	}
	if err == nil {
		if b.failures.Load() != 0 || State(b.state.Load()) != Closed {
			b.mu.Lock()
			b.failures.Store(0)
			if State(b.state.Swap(int32(Closed))) != Closed {
				b.log.Info("twolevel: shared store reachable again; circuit closed")
			}
			b.mu.Unlock()
		}
		return
	}
	if b.threshold <= 0 {
		return
	}
	n := b.failures.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastErr = err
	st := State(b.state.Load())
	if st == HalfOpen || (st == Closed && int(n) >= b.threshold) {
		b.openedAt = time.Now()
		b.state.Store(int32(Open))
		if st == Closed {
			b.log.Warn("twolevel: shared store failing; circuit open", slog.Int("failures", int(n)), slog.Any("error", err))
		}
	}
}

// abandon takes the end of a call whose outcome says nothing about the
// store: a probe that ends so leaves the next call to probe.
func (b *breaker) abandon() {
	b.state.CompareAndSwap(int32(HalfOpen), int32(Open))
}

func isFailure(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrInvalidTTL),
		errors.Is(err, driver.ErrValueTooLarge),
		errors.Is(err, driver.ErrNotSupported),
		errors.Is(err, driver.ErrFlushNotAllowed),
		errors.Is(err, driver.ErrClosed),
		errors.Is(err, ErrUnavailable):
		return false
	}
	var lf *driver.LoadFailedError
	return !errors.As(err, &lf)
}
