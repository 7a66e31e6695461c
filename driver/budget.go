package driver

import (
	"context"
	"time"
)

// Budgeter is implemented by providers whose calls have time limits of
// their own for when the caller's context sets none (a remote store's
// timeouts). The facade reads them once, in New, and gives each cache call
// one budget that all its steps on the store share (a lookup, a stamp, an
// election, a write and its release), instead of each step getting the
// provider's full limit: a store that fails then costs a call at most one
// budget, not one per step.
//
// The facade runs the one step of its common calls (a hit, a plain write)
// on the caller's context, leaving the provider to bound it, so a provider
// must not bound a single-key step by more than Budgets.Single.
//
// Fallback: no budget. Each step is bounded by the caller's context and by
// the provider itself; an in-process store needs no more.
type Budgeter interface {
	Budgets() Budgets
}

// Budgets are the time a cache call may spend on the store when its
// caller's context has no deadline (or a later one).
type Budgets struct {
	// Single bounds calls about one key: Get (a get-or-load, apart from
	// the loader), GetIfPresent, Set, Delete and their steps.
	Single time.Duration
	// Bulk bounds calls about many keys: GetManyIfPresent, GetMany (apart
	// from the loader), SetMany, DeleteMany.
	Bulk time.Duration
	// Flush bounds calls about a whole namespace: Clear, InvalidateTags,
	// Purge.
	Flush time.Duration
}

// ErrBudgetExceeded is the error of the context a cache gives each call to
// its store once the call's budget (see Budgeter) has run out. It matches ErrUnavailable and context.DeadlineExceeded:
// the store did not answer within the time the call had, and the caller did
// not give up.
var ErrBudgetExceeded error = budgetExceeded{}

type budgetExceeded struct{}

func (budgetExceeded) Error() string {
	return "valcache: no reply from the store within the call's budget"
}
func (budgetExceeded) Timeout() bool   { return true }
func (budgetExceeded) Temporary() bool { return true }

// Is makes errors.Is match ErrUnavailable and context.DeadlineExceeded.
func (budgetExceeded) Is(target error) bool {
	return target == ErrUnavailable || target == context.DeadlineExceeded
}
