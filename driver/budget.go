package driver

import (
	"context"
	"sync"
	"sync/atomic"
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

// ErrBudgetExceeded is the error of a context made by WithBudget once its
// budget has run out. It matches ErrUnavailable and context.DeadlineExceeded:
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

// WithBudget returns ctx bounded to end at deadline, the end of a call's
// budget, unless ctx ends first (then ctx comes back as it is). When the
// budget is what ends the returned context, its Err is ErrBudgetExceeded,
// so a provider that reports ctx.Err() for a call cut short (as valkey-go
// does) reports the store unavailable, as for a timeout of its own, and not
// the caller's deadline. A cancellation, or a deadline of ctx itself, is
// reported as it is.
//
// The deadline's timer is made only once something waits on the context
// (Done): a step that a provider answers in process, without a call,
// costs no timer.
func WithBudget(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && !dl.After(deadline) {
		return ctx, func() {}
	}
	c := &budgetCtx{parent: ctx, until: deadline}
	return c, c.stop
}

// budgetCtx is ctx with the earlier deadline until, whose end it reports
// as ErrBudgetExceeded. It only wraps contexts whose own deadline is later,
// so a DeadlineExceeded from it is always the budget's. Its timer, a
// context.WithDeadline of the parent, is made on first need.
type budgetCtx struct {
	parent  context.Context
	until   time.Time
	timed   atomic.Pointer[timedCtx]
	mu      sync.Mutex // makes timed, and guards stopped
	stopped bool
}

type timedCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// timer returns the context that ends at until, making it if need be.
func (c *budgetCtx) timer() *timedCtx {
	if t := c.timed.Load(); t != nil {
		return t
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.timed.Load(); t != nil {
		return t
	}
	ctx, cancel := context.WithDeadline(c.parent, c.until)
	if c.stopped {
		cancel()
	}
	t := &timedCtx{ctx: ctx, cancel: cancel}
	c.timed.Store(t)
	return t
}

func (c *budgetCtx) Deadline() (time.Time, bool) { return c.until, true }

func (c *budgetCtx) Done() <-chan struct{} { return c.timer().ctx.Done() }

func (c *budgetCtx) Err() error {
	err := c.err()
	if err == context.DeadlineExceeded {
		return ErrBudgetExceeded
	}
	return err
}

// err is what the timer's context reports, or would by now.
func (c *budgetCtx) err() error {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Err()
	}
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	perr := c.parent.Err()
	switch {
	case stopped, perr == context.Canceled:
		return context.Canceled
	case !time.Now().Before(c.until):
		return context.DeadlineExceeded
	}
	return perr
}

// Value is the parent's, or, once the timer is made, its context's, so that
// a context derived from this one is tied to the timer's cancellation.
func (c *budgetCtx) Value(key any) any {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Value(key)
	}
	return c.parent.Value(key)
}

// stop is the CancelFunc: it releases the timer, or makes any later one
// start cancelled.
func (c *budgetCtx) stop() {
	c.mu.Lock()
	c.stopped = true
	t := c.timed.Load()
	c.mu.Unlock()
	if t != nil {
		t.cancel()
	}
}
