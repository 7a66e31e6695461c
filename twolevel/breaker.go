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
	"github.com/valcache/valcache/internal/valkeyerr"
)

// ErrCircuitOpen is returned while the circuit is open: the shared store
// failed repeatedly and is not being called until a probe succeeds. It
// matches driver.ErrUnavailable, and driver.ErrUnreachable: the call did not reach
// the store, so a get-or-load loads from the source at once rather than
// trying again. Telling it apart from a failed call matters to writes: a
// call that never left the process cannot have changed the store.
var ErrCircuitOpen = fmt.Errorf("twolevel: circuit open: %w", driver.ErrUnreachable)

// state is the circuit breaker's state.
type state int32

const (
	stateClosed   state = iota // calls go through
	stateOpen                  // calls fail at once
	stateHalfOpen              // one probe call is going through
)

func (s state) String() string {
	switch s {
	case stateClosed:
		return driver.CircuitClosed
	case stateOpen:
		return driver.CircuitOpen
	case stateHalfOpen:
		return driver.CircuitHalfOpen
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// breakers keeps one circuit breaker per slot of the shared store (one in
// all on a single node), so that a shard that is down opens the circuits
// of its own slots and no other: the keys of the healthy shards keep being
// served. A slot's breaker is made on its first call.
//
// Per slot rather than per node because the slot is known before a call is
// sent, without asking the client how it routes: every key of one slot
// lives on one node, whatever the cluster's layout, and a namespace's
// entries are in 32 slots, so each slot's breaker sees enough calls to
// open when its node is gone.
type breakers struct {
	threshold int // <= 0: never opens
	cooldown  time.Duration
	log       *slog.Logger
	slots     []atomic.Pointer[breaker]
	// notClosed counts the breakers not closed, so that state() is one load
	// while all are closed, and the first opening and the last closing are
	// logged rather than each slot's.
	notClosed atomic.Int32
	// everyAnswered is, like breaker.answered, the count of tracking losses
	// when a call last reached every node (a Ping, a Clear).
	everyAnswered atomic.Uint64
}

func newBreakers(slots, threshold int, cooldown time.Duration, log *slog.Logger) *breakers {
	return &breakers{threshold: threshold, cooldown: cooldown, log: log, slots: make([]atomic.Pointer[breaker], max(slots, 1))}
}

// of returns slot's breaker.
func (s *breakers) of(slot int) *breaker {
	if slot < 0 || slot >= len(s.slots) {
		slot = 0
	}
	ptr := &s.slots[slot]
	if b := ptr.Load(); b != nil {
		return b
	}
	ptr.CompareAndSwap(nil, &breaker{set: s, slot: slot})
	return ptr.Load()
}

// peek returns slot's breaker if it was made.
func (s *breakers) peek(slot int) *breaker {
	if slot < 0 || slot >= len(s.slots) {
		slot = 0
	}
	return s.slots[slot].Load()
}

// state is the worst state of any slot: open when some circuit is open,
// else half-open when some probe is running, else closed.
func (s *breakers) state() state {
	if s.notClosed.Load() == 0 {
		return stateClosed
	}
	worst := stateClosed
	for i := range s.slots {
		if b := s.slots[i].Load(); b != nil {
			switch state(b.state.Load()) {
			case stateOpen:
				return stateOpen
			case stateHalfOpen:
				worst = stateHalfOpen
			}
		}
	}
	return worst
}

// each calls fn with every breaker made so far.
func (s *breakers) each(fn func(*breaker)) {
	for i := range s.slots {
		if b := s.slots[i].Load(); b != nil {
			fn(b)
		}
	}
}

// healed reports whether slot answered a call since the tracking loss
// numbered seq (see tracker.lost).
func (s *breakers) healed(slot int, seq uint64) bool {
	if s.everyAnswered.Load() >= seq {
		return true
	}
	b := s.peek(slot)
	return b != nil && b.answered.Load() >= seq
}

// raise sets v to at least n.
func raise(v *atomic.Uint64, n uint64) {
	for {
		cur := v.Load()
		if cur >= n || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// breaker counts consecutive failures of one slot of the shared store.
// Only what says the store could not serve counts: not a miss, not a reply
// about the call itself (a wrong type, a missing permission), not an
// invalid argument, and not a call its own caller gave up on (cancelled,
// or past the caller's deadline), which would let impatient callers open
// the circuit for all.
type breaker struct {
	set  *breakers
	slot int

	state    atomic.Int32
	failures atomic.Int32
	// answered is the count of tracking losses when a call on this slot
	// was last answered: a loss counted after it has not been followed by
	// an answer, so this slot's copies of before it may be served stale.
	answered atomic.Uint64
	mu       sync.Mutex
	openedAt time.Time
	lastErr  error
}

// allow says whether a call may go to the store now, and whether it is the
// probe: in the open state, the first call after the cooldown.
func (b *breaker) allow() (probe bool, err error) {
	if state(b.state.Load()) == stateClosed {
		return false, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch state(b.state.Load()) {
	case stateClosed:
		return false, nil
	case stateOpen:
		if time.Since(b.openedAt) >= b.set.cooldown {
			b.state.Store(int32(stateHalfOpen))
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
			b.state.CompareAndSwap(int32(stateHalfOpen), int32(stateOpen))
		}
	case err == nil:
		if b.failures.Load() != 0 || state(b.state.Load()) != stateClosed {
			b.mu.Lock()
			b.failures.Store(0)
			if state(b.state.Swap(int32(stateClosed))) != stateClosed && b.set.notClosed.Add(-1) == 0 {
				b.set.log.Info("twolevel: shared store reachable again; circuit closed")
			}
			b.mu.Unlock()
		}
	default:
		if b.set.threshold <= 0 {
			return
		}
		n := b.failures.Add(1)
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lastErr = err
		st := state(b.state.Load())
		if (probe && st == stateHalfOpen) || (st == stateClosed && int(n) >= b.set.threshold) {
			b.openedAt = time.Now()
			b.state.Store(int32(stateOpen))
			if st == stateClosed && b.set.notClosed.Add(1) == 1 {
				attrs := []any{slog.Int("failures", int(n)), slog.Any("error", err)}
				if len(b.set.slots) > 1 {
					attrs = append(attrs, slog.Int("slot", b.slot))
				}
				b.set.log.Warn("twolevel: shared store failing; circuit open", attrs...)
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
	return valkeyerr.Unavailable(err)
}
