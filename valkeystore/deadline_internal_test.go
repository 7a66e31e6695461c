package valkeystore

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

type ctxKey struct{}

func TestSharedDeadlineBoundsEveryKindOfContext(t *testing.T) {
	defer goleak.VerifyNone(t)
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
	case <-time.After(time.Second):
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
