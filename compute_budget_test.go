package valcache_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
)

func increment(old int, _ bool) (int, valcache.ComputeOp, error) {
	return old + 1, valcache.ComputeSet, nil
}

// TestComputeLandsEveryUpdateOfManyWritersOfOneKey: 32 goroutines increment
// one key 100 times each, with contexts that set no deadline, so each
// compute has the default budget. No update may be lost or refused.
func TestComputeLandsEveryUpdateOfManyWritersOfOneKey(t *testing.T) {
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "counters"})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 32, 100
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				if _, _, err := c.Compute(t.Context(), "k", increment, valcache.ComputeOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if v, _, err := c.GetIfPresent(t.Context(), "k"); err != nil || v != writers*each {
		t.Fatalf("after %d increments the counter is %d (%v)", writers*each, v, err)
	}
}

// losingStore is a store on which every compare-and-swap loses to another
// writer, and whose calls are bounded by timeout when it is set.
type losingStore struct {
	mu      sync.Mutex
	m       map[driver.Key][]byte
	timeout time.Duration
}

func (s *losingStore) Get(_ context.Context, k driver.Key) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[k]
	return b, ok, nil
}

func (s *losingStore) Set(_ context.Context, k driver.Key, v []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = append([]byte(nil), v...)
	return nil
}

func (s *losingStore) Delete(_ context.Context, k driver.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

func (s *losingStore) Clear(context.Context, string) error { return nil }
func (s *losingStore) Close() error                        { return nil }

func (s *losingStore) CompareAndSwap(context.Context, driver.Key, []byte, []byte, time.Duration, bool) (bool, error) {
	return false, nil
}

// timedStore is a losingStore that says how long its calls may take.
type timedStore struct{ *losingStore }

func (s timedStore) Budgets() driver.Budgets { return driver.Budgets{Single: s.timeout} }

func TestComputeReturnsTheConflictOnceItsBudgetIsSpent(t *testing.T) {
	const budget = 300 * time.Millisecond
	check := func(t *testing.T, p driver.Provider, ctx context.Context, opts valcache.Options[string, int], atLeast time.Duration) *valcache.ComputeConflictError {
		t.Helper()
		c, err := valcache.New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, _, err = c.Compute(ctx, "k", increment, valcache.ComputeOptions{})
		took := time.Since(start)
		var conflict *valcache.ComputeConflictError
		if !errors.As(err, &conflict) || !errors.Is(err, valcache.ErrComputeConflict) {
			t.Fatalf("Compute that never wins = %v, want a *ComputeConflictError", err)
		}
		// Generous bounds: the point is that the whole budget is used, and
		// that the error comes when it is spent, not long after.
		if took < atLeast*9/10 || took > atLeast+2*time.Second {
			t.Fatalf("the conflict came after %v (%d attempts), want about %v", took, conflict.Attempts, atLeast)
		}
		return conflict
	}
	t.Run("CallersDeadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		check(t, &losingStore{m: map[driver.Key][]byte{}}, ctx, valcache.Options[string, int]{}, budget)
	})
	t.Run("ProvidersSingleBudget", func(t *testing.T) {
		p := timedStore{&losingStore{m: map[driver.Key][]byte{}, timeout: budget}}
		check(t, p, context.Background(), valcache.Options[string, int]{}, budget)
	})
	t.Run("MaxComputeRetries", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conflict := check(t, &losingStore{m: map[driver.Key][]byte{}}, ctx, valcache.Options[string, int]{MaxComputeRetries: 3}, 0)
		if conflict.Attempts != 4 {
			t.Fatalf("%d attempts with MaxComputeRetries 3, want 4", conflict.Attempts)
		}
	})
	t.Run("CancelledIsNotAConflict", func(t *testing.T) {
		c, err := valcache.New(&losingStore{m: map[driver.Key][]byte{}}, valcache.Options[string, int]{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		if _, _, err := c.Compute(ctx, "k", increment, valcache.ComputeOptions{}); !errors.Is(err, context.Canceled) || errors.Is(err, valcache.ErrComputeConflict) {
			t.Fatalf("Compute cancelled while retrying = %v, want context.Canceled", err)
		}
	})
}
