package valkeystore

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/valkeyerr"
	"github.com/valkey-io/valkey-go"
)

// outage reports whether err says the store could not serve the call, as
// opposed to a reply about the call itself (WRONGTYPE, NOPERM, a script
// error), a reply the provider could not read, or a call its caller gave up
// on. A context error is the caller's unless it is ownTimeout: the
// provider marks the deadlines it sets itself (see ownDeadline).
func outage(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, driver.ErrUnavailable):
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, valkey.ErrClosing), errors.Is(err, driver.ErrClosed),
		valkey.IsParseErr(err):
		return false
	}
	var ve *valkey.ValkeyError
	if errors.As(err, &ve) {
		return valkeyerr.OutageReply(ve)
	}
	// Anything else the client reports is about the connection: refused,
	// reset, closed by the server, no node for the slot, no primary known.
	return true
}

// lostReply reports an error after which a command may or may not have run
// on the server: its connection broke (reset, closed by the server) before
// the reply came. Not a reply of the server's, not a connection that could
// not be made, not a call its caller gave up on.
func lostReply(err error) bool {
	var ve *valkey.ValkeyError
	return err != nil && !errors.As(err, &ve) && !notConnected(err) && outage(err)
}

// timeoutError is what a call reports when the deadline the provider set
// itself (OperationTimeout and the others) passed before the server
// answered. The caller did not give up, the server did not answer: it
// matches driver.ErrUnavailable, and context.DeadlineExceeded as a deadline
// error always did.
type timeoutError struct{}

func (timeoutError) Error() string   { return "valkeystore: no reply within the provider's timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Is makes errors.Is match driver.ErrUnavailable and context.DeadlineExceeded.
func (timeoutError) Is(target error) bool {
	return target == driver.ErrUnavailable || target == context.DeadlineExceeded
}

// ownTimeout is the one timeoutError value.
var ownTimeout error = timeoutError{}

// ownDeadline marks a context whose deadline the provider set itself, so
// that the client, which reports ctx.Err() when a call is cut short,
// reports ownTimeout rather than a plain deadline error that would look
// like the caller's. It must only wrap contexts whose deadline comes before
// any deadline of the caller's: a DeadlineExceeded from it is then always
// the provider's. Cancellation is reported as it is: only a caller cancels.
type ownDeadline struct{ context.Context }

func (c ownDeadline) Err() error {
	err := c.Context.Err()
	if err == context.DeadlineExceeded {
		return ownTimeout
	}
	return err
}

// opDeadlines is the shared deadline of single-key calls (sharedDeadline),
// with the deadlines it sets marked as the provider's own. A shared context
// is marked once per tick, so a call whose context has no deadline still
// allocates nothing for it.
type opDeadlines struct {
	*sharedDeadline
	marked atomic.Pointer[markedShared]
}

// markedShared is one shared context and its marked form.
type markedShared struct {
	shared context.Context
	marked context.Context
}

func newOpDeadlines(d *sharedDeadline) *opDeadlines {
	return &opDeadlines{sharedDeadline: d}
}

// bound is sharedDeadline.bound, with the provider's own deadlines marked.
// The caller's context comes back as it is (its deadline is sooner, so any
// deadline error is the caller's); anything else is a context of the
// provider's, whose Done differs from the caller's.
func (o *opDeadlines) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := o.sharedDeadline.bound(ctx)
	if c.Done() == ctx.Done() {
		return c, cancel
	}
	if shared := *o.current.Load(); c == shared {
		if m := o.marked.Load(); m != nil && m.shared == shared {
			return m.marked, cancel
		}
		m := &markedShared{shared: shared, marked: ownDeadline{shared}}
		o.marked.Store(m)
		return m.marked, cancel
	}
	return ownDeadline{c}, cancel
}
