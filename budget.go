package valcache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/budgetctx"
)

// One time budget per call. A cache call makes several calls to the store
// (a get-or-load: a lookup, a stamp, an election, a write, a release), and
// a remote provider bounds each by a timeout of its own; against a store
// that does not answer, those timeouts used to add up, step after step. So
// each cache call has one budget, the provider's (driver.Budgeter), that
// all its steps share: when the caller's context has no deadline, or a
// later one, the call spends at most the budget on the store. Time in the
// loader, or waiting for another process's loader, is the source's, not
// the store's, and does not count: the loader has LoadTimeout.
//
// The first step of a call runs on the caller's context: the provider
// bounds one step by the same budget itself (see driver.Budgeter), and a
// hit, the usual case, then costs no context of its own. The steps after it
// run on a context that ends with the budget, marked so that its end
// reports the store unavailable rather than the caller's deadline
// (budgetctx.With).

// budgets are the provider's, read once in New; zero when it has none.
type budgets = driver.Budgets

// call is one cache call's budget, and what it has already reported of the
// store's failures: a call counts one in Stats().StoreErrors and logs one
// warning, however many of its steps fail.
type call struct {
	until    time.Time // the end of the budget; zero: none
	counted  atomic.Bool
	logged   atomic.Bool
	firstErr atomic.Pointer[error]
	loaded   atomic.Bool // the call's own loader ran and returned (Result.Loaded)
}

// newCall starts a call with budget d (none when d is zero).
func newCall(d time.Duration) *call { return &call{until: budgetEnd(d)} }

// bound returns ctx limited to the call's budget.
func (cl *call) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if cl.until.IsZero() {
		return ctx, func() {}
	}
	return budgetctx.With(ctx, cl.until)
}

// left is the time left in the budget; with no budget, an hour.
func (cl *call) left() time.Duration {
	if cl.until.IsZero() {
		return time.Hour
	}
	return time.Until(cl.until)
}

// extend moves the end of the budget by d, time spent on the source.
func (cl *call) extend(d time.Duration) {
	if !cl.until.IsZero() {
		cl.until = cl.until.Add(d)
	}
}

// onSource runs fn, time on the source that the budget does not count.
func (cl *call) onSource(fn func()) {
	began := time.Now()
	fn()
	cl.extend(time.Since(began))
}

// failed records a failure of one of the call's steps and reports whether
// it is the first to be counted.
func (cl *call) failed(err error) bool {
	cl.firstErr.CompareAndSwap(nil, &err)
	return !cl.counted.Swap(true)
}

// cause is the first store failure the call met, if any.
func (cl *call) cause() error {
	if p := cl.firstErr.Load(); p != nil {
		return *p
	}
	return nil
}

// callKey carries a call in the contexts of its steps, so that the steps'
// failures are counted once per call.
type callKey struct{}

func withCall(ctx context.Context, cl *call) context.Context {
	return context.WithValue(ctx, callKey{}, cl)
}

func callOf(ctx context.Context) *call {
	cl, _ := ctx.Value(callKey{}).(*call)
	return cl
}

// warnOnce logs msg about the call's store failure (err, or the first one
// it met), unless the call has logged one already, and within the cache's
// limit (see warnStore): an outage is logged when it starts and then
// at most every storeWarnEvery, with the count of warnings held back.
func (c *Cache[K, V]) warnOnce(cl *call, msg string, err error) {
	if cl != nil && cl.logged.Swap(true) {
		return
	}
	if cl != nil && cl.cause() != nil {
		err = cl.cause()
	}
	c.warnStore(msg, err)
}

// Retries of a step that failed within the budget, paused from the first
// to the longest, at most maxStepRetries times.
const (
	firstRetryPause = 10 * time.Millisecond
	longRetryPause  = 100 * time.Millisecond
	maxStepRetries  = 8
)

// retryStep reports whether a step that failed with err is worth another
// try, and if so waits before it. Only a failure that may have reached the
// store is (a reset connection, a reply such as LOADING, a timeout of the
// provider's own shorter than the budget): it may hide what the call is
// about, a load in progress say. A store that cannot be reached at all, a
// reply about the call itself, the caller's own end, or a budget that
// leaves no time for a pause and a try, end the retries.
func (cl *call) retryStep(ctx context.Context, err error, attempt int) bool {
	if attempt >= maxStepRetries || !errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrUnreachable) {
		return false
	}
	pause := min(firstRetryPause<<attempt, longRetryPause)
	if cl.left() <= 2*pause {
		return false
	}
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Cleanups that give a load's placeholder up run on what is left of the
// budget, but at least this long: other processes otherwise wait for the
// placeholder's lease.
const cleanupFloor = 100 * time.Millisecond

// cleanupContext is the context of a cleanup of the call's (see
// cleanupFloor), detached from the caller, whose context may be the one
// that ended.
func (cl *call) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := max(min(cl.left(), time.Second), cleanupFloor)
	return budgetctx.With(context.WithoutCancel(ctx), time.Now().Add(d))
}

// budgetEnd is when a budget of d starting now ends; zero for no budget.
func budgetEnd(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// steps hands out the contexts of one call's steps on the store, for calls
// whose usual case is a single step (a Set). The first step, when the
// provider bounds it by the budget itself (a single-key read or write, see
// driver.Budgeter), runs on the caller's context; every other step runs on
// the caller's context bounded by the budget, made on first use, so that
// the usual case costs no context of its own.
type steps struct {
	ctx    context.Context
	until  time.Time
	used   bool
	bound  context.Context
	cancel context.CancelFunc
}

func newSteps(ctx context.Context, d time.Duration) steps {
	return steps{ctx: ctx, until: budgetEnd(d)}
}

// single is the context of a single-key read or write.
func (s *steps) single() context.Context {
	if !s.used {
		s.used = true
		return s.ctx
	}
	return s.bounded()
}

// bounded is the context of any other step.
func (s *steps) bounded() context.Context {
	s.used = true
	if s.until.IsZero() {
		return s.ctx
	}
	if s.bound == nil {
		s.bound, s.cancel = budgetctx.With(s.ctx, s.until)
	}
	return s.bound
}

// done releases the budget's context, if one was made.
func (s *steps) done() {
	if s.cancel != nil {
		s.cancel()
	}
}

// within bounds ctx by a budget of d, for a call whose steps all need it
// (bulk calls, calls about a namespace).
func within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return budgetctx.With(ctx, time.Now().Add(d))
}
