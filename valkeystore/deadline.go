package valkeystore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineTick is how often sharedDeadline makes a new context, and so how
// much later than its timeout a call may end.
const deadlineTick = 50 * time.Millisecond

// sharedDeadline bounds calls whose context has no deadline without a timer
// per call. context.WithTimeout costs a timer and three allocations, which
// on a cache hit is a large share of the client-side work; instead, one
// context is made per tick with a deadline timeout+tick ahead, and every call
// of that tick shares it, so each call ends within [timeout, timeout+tick)
// of its start.
type sharedDeadline struct {
	timeout time.Duration
	current atomic.Pointer[context.Context]
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func newSharedDeadline(timeout time.Duration) *sharedDeadline {
	ticker := time.NewTicker(deadlineTick)
	return startSharedDeadline(timeout, ticker.C, ticker.Stop)
}

// startSharedDeadline rotates on every value from ticks, and calls stop
// when it closes.
func startSharedDeadline(timeout time.Duration, ticks <-chan time.Time, stop func()) *sharedDeadline {
	d := &sharedDeadline{timeout: timeout, stop: make(chan struct{}), done: make(chan struct{})}
	cancel := d.rotate()
	go d.run(cancel, ticks, stop)
	return d
}

// rotate installs a fresh context and returns its cancel function.
func (d *sharedDeadline) rotate() context.CancelFunc {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout+deadlineTick)
	d.current.Store(&ctx)
	return cancel
}

// run rotates on every tick. A replaced context is still in use by calls
// that took it, so it is cancelled only once its own deadline has passed
// and its own timer has ended it, which only releases the timer. That is judged by the clock, not by the
// tick's time: a tick is received late when the goroutine runs late (a
// loaded machine, a pause), and measuring from it would cancel the calls
// of a context made after the tick fired before their time.
func (d *sharedDeadline) run(cancel context.CancelFunc, ticks <-chan time.Time, stopTicks func()) {
	defer close(d.done)
	defer stopTicks()
	type pending struct {
		ctx      context.Context
		cancel   context.CancelFunc
		deadline time.Time
	}
	var old []pending
	defer func() {
		cancel()
		for _, p := range old {
			p.cancel()
		}
	}()
	for {
		select {
		case <-d.stop:
			return
		case <-ticks:
			replaced := *d.current.Load()
			deadline, _ := replaced.Deadline()
			old = append(old, pending{replaced, cancel, deadline})
			cancel = d.rotate()
			now := time.Now()
			// Only a context that has already ended by its deadline is
			// cancelled: its calls then see DeadlineExceeded, never a
			// Canceled that the clock let the rotation win by an instant.
			for len(old) > 0 && now.After(old[0].deadline) && old[0].ctx.Err() != nil {
				old[0].cancel()
				old = old[1:]
			}
		}
	}
}

// bound returns ctx limited to about d.timeout. It falls back to a context
// of its own when ctx can be cancelled, since the shared one cannot follow
// the caller's cancellation.
func (d *sharedDeadline) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d.timeout {
		return ctx, noCancel
	}
	if ctx.Done() != nil {
		return context.WithTimeout(ctx, d.timeout)
	}
	shared := *d.current.Load()
	if ctx == context.Background() || ctx == context.TODO() {
		return shared, noCancel
	}
	return valuesOf{Context: shared, values: ctx}, noCancel
}

// close stops the rotation goroutine and waits for it.
func (d *sharedDeadline) close() {
	d.once.Do(func() { close(d.stop) })
	<-d.done
}

func noCancel() {}

// valuesOf is the shared deadline carrying the caller's values, for a
// caller context that has values but can never be cancelled.
type valuesOf struct {
	context.Context
	values context.Context
}

func (v valuesOf) Value(key any) any { return v.values.Value(key) }
