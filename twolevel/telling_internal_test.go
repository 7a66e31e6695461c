package twolevel

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/budgetctx"
)

// A call cut short by the end of its cache call's budget (budgetctx.With)
// says the store did not answer in time, as the provider's own timeout
// does, and counts; the caller's own cancellation, seen through the same
// context, does not.
func TestBreakerCountsTheEndOfACallsBudget(t *testing.T) {
	spent, stop := budgetctx.With(context.Background(), time.Now().Add(-time.Millisecond))
	defer stop()
	if !telling(spent, fmt.Errorf("valkeystore: acquire load: %w", spent.Err())) {
		t.Fatal("a call that ran out of its budget, with the caller still waiting, must count")
	}
	caller, cancel := context.WithCancel(context.Background())
	bounded, stopBounded := budgetctx.With(caller, time.Now().Add(time.Hour))
	defer stopBounded()
	cancel()
	if telling(bounded, fmt.Errorf("valkeystore: get: %w", bounded.Err())) {
		t.Fatal("a call its caller cancelled must not count")
	}
}
