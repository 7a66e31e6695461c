package cachetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// increment adds one to key with Compute, retrying when it reports a
// conflict, and reports how many conflicts it met.
func increment(ctx context.Context, c *valcache.Cache[string, int], key string) (conflicts int, err error) {
	for {
		_, _, err := c.Compute(ctx, key, func(old int, _ bool) (int, valcache.ComputeOp, error) {
			return old + 1, valcache.ComputeSet, nil
		}, valcache.ComputeOptions{})
		if !errors.Is(err, valcache.ErrComputeConflict) {
			return conflicts, err
		}
		conflicts++
	}
}

var computeCases = []testCase{
	{"ComputeDuringALoadTakesTheKey", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{})
		inLoad, release := make(chan struct{}), make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = c.Get(ctxFor(t), "k", func(context.Context, string) (int, error) {
				close(inLoad)
				<-release
				return 100, nil
			})
		}()
		<-inLoad
		v, found, err := c.Compute(ctxFor(t), "k", func(old int, _ bool) (int, valcache.ComputeOp, error) {
			return old + 1, valcache.ComputeSet, nil
		}, valcache.ComputeOptions{})
		if err != nil || !found || v != 1 {
			t.Fatalf("Compute while a load runs = %d %v %v; want 1 (the key taken over)", v, found, err)
		}
		close(release)
		<-done
		wantGet(t, c, "k", 1)
	}},
	{"ComputeKeepsTheEntrysFreshness", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{TTL: 200 * time.Millisecond, StaleWhileRevalidate: 5 * time.Second})
		if err := c.Set(ctxFor(t), "k", 1); err != nil {
			t.Fatal(err)
		}
		inc := func(old int, _ bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
		if _, _, err := c.Compute(ctxFor(t), "k", inc, valcache.ComputeOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		wantNoGet(t, c, "k") // past the TTL the computed value is stale, not fresh
	}},
	{"ConcurrentIncrementsLoseNoUpdate", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{})
		const workers, each = 8, 40
		var wg sync.WaitGroup
		var conflicts atomic.Int64
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					n, err := increment(ctxFor(t), c, "counter")
					conflicts.Add(int64(n))
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		wantGet(t, c, "counter", workers*each)
		t.Logf("%d increments, %d computes gave up and were retried", workers*each, conflicts.Load())
	}},
	{"ComputeIfAbsentAndIfPresent", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{})
		ctx := ctxFor(t)
		calls := 0
		mk := func() (int, error) { calls++; return 7, nil }
		if v, err := c.ComputeIfAbsent(ctx, "k", mk, valcache.ComputeOptions{}); err != nil || v != 7 {
			t.Fatalf("ComputeIfAbsent on a missing key = %d, %v", v, err)
		}
		if v, err := c.ComputeIfAbsent(ctx, "k", mk, valcache.ComputeOptions{}); err != nil || v != 7 || calls != 1 {
			t.Fatalf("ComputeIfAbsent on a present key = %d, %v (calls %d)", v, err, calls)
		}
		double := func(old int) (int, valcache.ComputeOp, error) { return old * 2, valcache.ComputeSet, nil }
		if v, ok, err := c.ComputeIfPresent(ctx, "k", double, valcache.ComputeOptions{}); err != nil || !ok || v != 14 {
			t.Fatalf("ComputeIfPresent = %d %v %v", v, ok, err)
		}
		if _, ok, err := c.ComputeIfPresent(ctx, "absent", double, valcache.ComputeOptions{}); err != nil || ok {
			t.Fatalf("ComputeIfPresent on a missing key: ok=%v err=%v", ok, err)
		}
		wantNoGet(t, c, "absent")
		drop := func(int) (int, valcache.ComputeOp, error) { return 0, valcache.ComputeDelete, nil }
		if _, ok, err := c.ComputeIfPresent(ctx, "k", drop, valcache.ComputeOptions{}); err != nil || ok {
			t.Fatalf("ComputeIfPresent deleting: ok=%v err=%v", ok, err)
		}
		wantNoGet(t, c, "k")
		boom := errors.New("no")
		if _, _, err := c.Compute(ctx, "k", func(int, bool) (int, valcache.ComputeOp, error) { return 0, valcache.ComputeSet, boom }, valcache.ComputeOptions{}); !errors.Is(err, boom) {
			t.Fatalf("Compute with a failing function: %v", err)
		}
		wantNoGet(t, c, "k")
	}},
}

var computeTagCases = []testCase{
	{"ComputeKeepsTheEntrysTags", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{})
		ctx := ctxFor(t)
		if err := c.SetWith(ctx, "k", 1, valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		inc := func(old int, _ bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
		if _, _, err := c.Compute(ctx, "k", inc, valcache.ComputeOptions{}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", 2)
		if err := c.InvalidateTags(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k")
		// An invalidated entry counts as absent.
		if v, found, err := c.Compute(ctx, "k", inc, valcache.ComputeOptions{}); err != nil || !found || v != 1 {
			t.Fatalf("Compute over an invalidated entry = %d %v %v, want it to start from nothing", v, found, err)
		}
	}},
}
