package budgetctx

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
)

// waitDone waits for ctx to end, within a bound.
func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context did not end")
	}
}

func TestTheEndOfABudgetIsTheStoresNotTheCallers(t *testing.T) {
	ctx, cancel := With(context.Background(), time.Now().Add(20*time.Millisecond))
	defer cancel()
	if err := ctx.Err(); err != nil {
		t.Fatalf("before the budget's end: %v", err)
	}
	waitDone(t, ctx)
	err := ctx.Err()
	if !errors.Is(err, driver.ErrBudgetExceeded) || !errors.Is(err, driver.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("at the budget's end: %v, want driver.ErrBudgetExceeded matching driver.ErrUnavailable and DeadlineExceeded", err)
	}
	// A context derived from it ends with it.
	child, stop := context.WithCancel(ctx)
	defer stop()
	waitDone(t, child)
}

func TestABudgetMakesNoTimerUntilWaitedOn(t *testing.T) {
	ctx, cancel := With(context.Background(), time.Now().Add(30*time.Millisecond))
	defer cancel()
	bc := ctx.(*budgetCtx)
	if dl, ok := ctx.Deadline(); !ok || dl != bc.until {
		t.Fatalf("Deadline = %v %v", dl, ok)
	}
	_ = ctx.Err()
	_ = ctx.Value("k")
	if bc.timed.Load() != nil {
		t.Fatal("a timer was made for Err, Value and Deadline alone")
	}
	time.Sleep(40 * time.Millisecond)
	if err := ctx.Err(); !errors.Is(err, driver.ErrBudgetExceeded) {
		t.Fatalf("past the budget's end, without a timer: %v", err)
	}
}

type valueKey struct{}

func TestABudgetKeepsTheCallersValuesAndCancellation(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), valueKey{}, "v"))
	ctx, cancel := With(parent, time.Now().Add(time.Hour))
	defer cancel()
	if ctx.Value(valueKey{}) != "v" {
		t.Fatal("the caller's value is lost")
	}
	cancelParent()
	if err := ctx.Err(); !errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("after the caller's cancellation, before any wait: %v", err)
	}
	waitDone(t, ctx)
	if err := ctx.Err(); !errors.Is(err, context.Canceled) || errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("after the caller's cancellation: %v, want context.Canceled only", err)
	}
	if ctx.Value(valueKey{}) != "v" {
		t.Fatal("the caller's value is lost once the timer is made")
	}
}

func TestAStoppedBudgetIsCancelled(t *testing.T) {
	ctx, cancel := With(context.Background(), time.Now().Add(time.Hour))
	cancel()
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after its CancelFunc: %v", err)
	}
	waitDone(t, ctx) // a timer made after the stop starts cancelled
}

func TestASoonerDeadlineOfTheCallersIsKept(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	ctx, stop := With(parent, time.Now().Add(time.Hour))
	defer stop()
	if ctx != parent {
		t.Fatal("a budget ending after the caller's deadline wrapped the caller's context")
	}
	waitDone(t, ctx)
	if err := ctx.Err(); errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("the caller's own deadline: %v matches driver.ErrUnavailable", err)
	}
}
