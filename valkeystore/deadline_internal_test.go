package valkeystore

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

type ctxKey struct{}

func TestSharedDeadlineBoundsEveryKindOfContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // a shared server of an earlier test may be running
	const timeout = 200 * time.Millisecond
	d := newSharedDeadline(timeout)
	defer d.close()

	start := time.Now()
	ctx, cancel := d.bound(context.Background())
	defer cancel()
	dl, ok := ctx.Deadline()
	if !ok {
		t.Fatal("a background context was left without a deadline")
	}
	if left := dl.Sub(start); left < timeout-deadlineTick || left > timeout+deadlineTick {
		t.Fatalf("deadline %v after the call, want about %v", left, timeout)
	}

	withValue := context.WithValue(context.Background(), ctxKey{}, "v")
	ctx, cancel = d.bound(withValue)
	defer cancel()
	if _, ok := ctx.Deadline(); !ok || ctx.Value(ctxKey{}) != "v" {
		t.Fatal("a context with values lost its values or got no deadline")
	}

	cancellable, stop := context.WithCancel(context.Background())
	ctx, cancel = d.bound(cancellable)
	defer cancel()
	stop()
	select {
	case <-ctx.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the bounded context did not follow the caller's cancellation")
	}

	short, cancelShort := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelShort()
	if ctx, _ := d.bound(short); ctx != short {
		t.Fatal("a context with a sooner deadline was replaced")
	}

	ctx, cancel = d.bound(context.Background())
	defer cancel()
	select {
	case <-ctx.Done():
		if took := time.Since(start); took < timeout-deadlineTick {
			t.Fatalf("shared deadline ended after %v, before its timeout", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the shared deadline never ended")
	}
}

// TestSharedDeadlineCancelsNoContextBeforeItsDeadline drives the rotation
// with ticks that arrive late, as they do when the process or the rotating
// goroutine is held up: a tick carries the time it was due, which may be
// well before the context it replaces was made. No call's context may end
// cancelled before its deadline.
func TestSharedDeadlineCancelsNoContextBeforeItsDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // a shared server of an earlier test may be running
	const timeout = 2 * time.Second
	ticks := make(chan time.Time)
	d := startSharedDeadline(timeout, ticks, func() {})
	defer d.close()
	tick := func(at time.Time) {
		t.Helper()
		select {
		case ticks <- at:
		case <-time.After(5 * time.Second):
			t.Fatal("the rotation did not take a tick within 5s")
		}
	}
	rotated := func(from context.Context) context.Context {
		t.Helper()
		for range 5000 {
			if ctx, _ := d.bound(context.Background()); ctx != from {
				return ctx
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatal("no rotation within 5s of a tick")
		return nil
	}

	late := time.Now().Add(-10 * time.Second)
	first, _ := d.bound(context.Background())
	tick(late)
	second := rotated(first)
	tick(late.Add(deadlineTick))
	tick(time.Now()) // on time: the replaced contexts are looked at
	tick(time.Now()) // taken once the tick before is done with
	for name, ctx := range map[string]context.Context{"first": first, "second": second} {
		dl, _ := ctx.Deadline()
		if errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("the %s shared context was cancelled %v before its deadline", name, time.Until(dl).Round(time.Millisecond))
		}
	}
}
