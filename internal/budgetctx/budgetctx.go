// Package budgetctx makes the context a cache call's steps on the store
// share: bounded by the call's budget, and reporting its end as
// driver.ErrBudgetExceeded. Only the facade (and twolevel's tests) make
// such contexts; providers only match the error, which stays in driver,
// so the constructor need not be public API.
package budgetctx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
)

// With returns ctx bounded to end at deadline, the end of a call's
// budget, unless ctx ends first (then ctx comes back as it is). When the
// budget is what ends the returned context, its Err is driver.ErrBudgetExceeded,
// so a provider that reports ctx.Err() for a call cut short (as valkey-go
// does) reports the store unavailable, as for a timeout of its own, and not
// the caller's deadline. A cancellation, or a deadline of ctx itself, is
// reported as it is.
//
// The deadline's timer is made only once something waits on the context
// (Done): a step that a provider answers in process, without a call,
// costs no timer.
func With(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && !dl.After(deadline) {
		return ctx, func() {}
	}
	c := &budgetCtx{parent: ctx, until: deadline}
	return c, c.stop
}

// budgetCtx is ctx with the earlier deadline until, whose end it reports
// as driver.ErrBudgetExceeded. It only wraps contexts whose own deadline is later,
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
		return driver.ErrBudgetExceeded
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
