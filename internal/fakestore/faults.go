package fakestore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/valcache/valcache/driver"
)

// Op names a call of the driver contract, for faults and counts.
type Op string

// The calls a Store makes.
const (
	OpPing           Op = "Ping"
	OpGet            Op = "Get"
	OpSet            Op = "Set"
	OpDelete         Op = "Delete"
	OpClear          Op = "Clear"
	OpGetMany        Op = "GetMany"
	OpSetMany        Op = "SetMany"
	OpDeleteMany     Op = "DeleteMany"
	OpVersions       Op = "Versions"
	OpEnsureVersions Op = "EnsureVersions"
	OpBumpVersions   Op = "BumpVersions"
	OpGetVersioned   Op = "GetVersioned"
	OpSetVersioned   Op = "SetVersioned"
	OpFollowed       Op = "Followed"
	OpEnsureCells    Op = "EnsureCells"
	OpAcquireLoad    Op = "AcquireLoad"
	OpWaitLoad       Op = "WaitLoad"
	OpSetLoaded      Op = "SetLoaded"
	OpFailLoad       Op = "FailLoad"
	OpReleaseLoad    Op = "ReleaseLoad"
	OpAcquireRefresh Op = "AcquireRefresh"
	OpCompareAndSwap Op = "CompareAndSwap"
	OpScan           Op = "ScanNamespace"
	OpGetForNear     Op = "GetForNear"
)

// Fault makes matching calls fail. A fault with neither Key nor Groups
// fails whole calls; one with either fails only the entries (of a batch)
// or the version groups (of a version call, as a *driver.GroupsError)
// that it names, as a store node that is down would.
type Fault struct {
	// Ops are the calls it hits; none: every call.
	Ops []Op
	// Key, when set, limits it to the entry of this ID.
	Key string
	// Groups, when set, limits it to entries and versions of these
	// version groups (a cluster's slots, in effect).
	Groups []int
	// Err is what the call returns, wrapped. Nil: driver.ErrUnreachable,
	// or, for a lost reply, driver.ErrUnavailable.
	Err error
	// Hang makes the call wait for its context to end (or for Heal)
	// first: a store that does not answer, within the caller's budget.
	Hang bool
	// Lost makes the call take effect and then fail: a reply lost with
	// its connection.
	Lost bool
	// Times, when positive, is how often it fires before it is gone.
	Times int

	fired int
}

// errLost is the default error of a lost reply: the call may have
// reached the store.
var errLost = fmt.Errorf("fakestore: reply lost: %w", driver.ErrUnavailable)

// errUnreachable is the default error of a call that did not reach the
// store.
var errUnreachable = fmt.Errorf("fakestore: injected: %w", driver.ErrUnreachable)

func (f *Fault) whole() bool { return f.Key == "" && f.Groups == nil }

// cutsOff reports a fault that fails every call before it takes effect:
// the Store has lost the shared store.
func (f *Fault) cutsOff() bool { return f.whole() && len(f.Ops) == 0 && !f.Lost }

func (f *Fault) err() error {
	switch {
	case f.Err != nil:
		return f.Err
	case f.Lost:
		return errLost
	}
	return errUnreachable
}

// Inject adds a fault to this Store's calls.
func (st *Store) Inject(f Fault) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if f.cutsOff() && st.lostAt.IsZero() {
		st.lostAt = time.Now()
		st.epoch++
	}
	st.faults = append(st.faults, &f)
}

// Unreachable makes every call of this Store fail until Heal, as when no
// connection to the store can be made.
func (st *Store) Unreachable() { st.Inject(Fault{}) }

// Heal removes every fault, and releases the calls that hang.
func (st *Store) Heal() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.faults = nil
	if !st.lostAt.IsZero() {
		st.lostAt = time.Time{}
		st.epoch++
	}
	close(st.healed)
	st.healed = make(chan struct{})
}

// Disconnected reports whether a fault cuts this Store off from the
// shared store.
func (st *Store) Disconnected() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.disconnected()
}

func (st *Store) disconnected() bool {
	for _, f := range st.faults {
		if f.cutsOff() {
			return true
		}
	}
	return false
}

// scope says which faults a check considers.
type scope uint8

const (
	single scope = iota // a call about one key: every fault
	whole               // a call about many: faults of no key or group
	item                // one entry of a batch: faults of a key or group
)

// fire checks the faults about op on key (nil: none) in group (-1: none),
// before the call takes effect or, with after, once it has, and returns
// the error of the first that fires.
func (st *Store) fire(ctx context.Context, op Op, key *driver.Key, group int, after bool, sc scope) error {
	st.mu.Lock()
	var hit *Fault
	for i, f := range st.faults {
		if f.Lost != after || !f.matches(op, key, group, sc) {
			continue
		}
		hit = f
		if f.fired++; f.Times > 0 && f.fired >= f.Times {
			st.faults = slices.Delete(st.faults, i, i+1)
		}
		break
	}
	healed := st.healed
	st.mu.Unlock()
	if hit == nil {
		return nil
	}
	if hit.Hang {
		var timeout <-chan time.Time
		if d := st.limit(op); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fakestore: %s: %w", op, ctx.Err())
		case <-timeout:
			return fmt.Errorf("fakestore: %s: no reply within %v: %w", op, st.limit(op), driver.ErrUnavailable)
		case <-healed:
		}
	}
	return fmt.Errorf("fakestore: %s: %w", op, hit.err())
}

func (f *Fault) matches(op Op, key *driver.Key, group int, sc scope) bool {
	if len(f.Ops) > 0 && !slices.Contains(f.Ops, op) {
		return false
	}
	switch {
	case sc == whole && !f.whole(), sc == item && f.whole():
		return false
	}
	if f.Key != "" && (key == nil || key.ID != f.Key) {
		return false
	}
	if f.Groups != nil && (group < 0 || !slices.Contains(f.Groups, group)) {
		return false
	}
	return true
}

// groupFaults returns, for a version call over groups, the groups that
// group-limited faults fail, with their errors.
func (st *Store) groupFaults(ctx context.Context, op Op, groups []int, after bool) map[int]error {
	var failed map[int]error
	for _, g := range groups {
		if err := st.fire(ctx, op, nil, g, after, item); err != nil {
			if failed == nil {
				failed = map[int]error{}
			}
			failed[g] = err
		}
	}
	return failed
}

// limit is how long the Store lets a call of op wait for a reply, as a
// remote provider's own timeouts do: the budget of its kind
// (driver.Budgeter promises that a single-key call is bounded by Single).
// Zero: until the caller's context ends.
func (st *Store) limit(op Op) time.Duration {
	b := st.s.cfg.Budgets
	switch op {
	case OpGetMany, OpSetMany, OpDeleteMany:
		return b.Bulk
	case OpClear, OpBumpVersions, OpScan:
		return b.Flush
	}
	return b.Single
}
