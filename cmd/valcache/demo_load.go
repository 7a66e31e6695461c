package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
)

// Sizes of the demo's measured steps: small enough to finish in about a
// second on any machine, large enough for the numbers to mean something.
const (
	demoLoadReads    = 1000
	demoLoadKeys     = 50
	demoLoadLatency  = 2 * time.Millisecond
	demoCallers      = 200
	demoSlowLoad     = 100 * time.Millisecond
	demoWriters      = 8
	demoIncrements   = 25
	demoCopyReads    = 2000
	demoCoherenceMax = 3 * time.Second
)

// loads: Get runs the loader on a miss only; the rest are hits.
func (d *demoRun) loads() error {
	d.step("Get-or-load: hits vs loads")
	c, err := valcache.New(d.p, valcache.Options[int, string]{Namespace: "demo:loads", TTL: time.Minute})
	if err != nil {
		return err
	}
	defer d.drop(c)
	var loads atomic.Int64
	loader := func(_ context.Context, k int) (string, error) {
		loads.Add(1)
		time.Sleep(demoLoadLatency) // the database the cache is in front of
		return fmt.Sprintf("row %d", k), nil
	}
	var hitTime, loadTime time.Duration
	for i := range demoLoadReads {
		before := loads.Load()
		start := time.Now()
		if _, err := c.Get(d.ctx, i%demoLoadKeys, loader); err != nil {
			return err
		}
		if took := time.Since(start); loads.Load() == before {
			hitTime += took
		} else {
			loadTime += took
		}
	}
	n := loads.Load()
	hits := demoLoadReads - n
	fmt.Fprintf(d.out, "  %d Get calls over %d keys, loader taking %v: %d loads, %d hits\n", demoLoadReads, demoLoadKeys, demoLoadLatency, n, hits)
	if n > 0 && hits > 0 {
		fmt.Fprintf(d.out, "  a hit took %v on average, a load %v\n", perCall(hitTime, hits), perCall(loadTime, n).Round(time.Microsecond))
	}
	return nil
}

// stampede: many callers of one cold key share one load.
func (d *demoRun) stampede() error {
	d.step("One load for many concurrent callers of a cold key")
	c, err := valcache.New(d.p, valcache.Options[string, string]{Namespace: "demo:stampede", TTL: time.Minute})
	if err != nil {
		return err
	}
	defer d.drop(c)
	var loads atomic.Int64
	loader := func(context.Context, string) (string, error) {
		loads.Add(1)
		time.Sleep(demoSlowLoad)
		return "front page", nil
	}
	var wg sync.WaitGroup
	var got atomic.Int64
	errs := make(chan error, demoCallers)
	start := time.Now()
	for range demoCallers {
		wg.Go(func() {
			v, err := c.Get(d.ctx, "home", loader)
			if err != nil {
				errs <- err
				return
			}
			if v == "front page" {
				got.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  loader ran %d time(s) for %d concurrent callers; %d got the value, all in %v (one load takes %v)\n",
		loads.Load(), demoCallers, got.Load(), elapsed.Round(time.Millisecond), demoSlowLoad)
	return nil
}

// compute: concurrent read-modify-write without lost updates.
func (d *demoRun) compute() error {
	d.step("Atomic Compute: no lost updates")
	c, err := valcache.New(d.p, valcache.Options[string, int]{Namespace: "demo:counters", TTL: time.Minute, MaxComputeRetries: 1000})
	if err != nil {
		return err
	}
	defer d.drop(c)
	incr := func(old int, _ bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
	var wg sync.WaitGroup
	errs := make(chan error, demoWriters)
	start := time.Now()
	for range demoWriters {
		wg.Go(func() {
			for range demoIncrements {
				if _, _, err := c.Compute(d.ctx, "visits", incr, valcache.ComputeOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	v, _, err := c.GetIfPresent(d.ctx, "visits")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  %d goroutines x %d increments with Compute: counter = %d (expected %d), in %v\n",
		demoWriters, demoIncrements, v, demoWriters*demoIncrements, elapsed.Round(time.Microsecond))
	return nil
}

// coherence: two two-level caches (two "processes") over one Valkey; a
// write through one drops the other's in-process copy.
func (d *demoRun) coherence() error {
	d.step("Two-level: in-process copies kept coherent by Valkey")
	if d.srv == nil {
		fmt.Fprintf(d.out, "  (needs a server: run with --valkey ADDR to see two caches stay coherent)\n")
		return nil
	}
	a, closeA, err := d.twoLevel("valcache-demo-a")
	if err != nil {
		return err
	}
	defer closeA()
	b, closeB, err := d.twoLevel("valcache-demo-b")
	if err != nil {
		return err
	}
	defer closeB()
	defer func() { _ = a.Clear(context.WithoutCancel(d.ctx)) }()

	if err := a.Set(d.ctx, "price:1", 100); err != nil {
		return err
	}
	if _, _, err := b.GetIfPresent(d.ctx, "price:1"); err != nil { // B keeps a copy
		return err
	}
	start := time.Now()
	for range demoCopyReads {
		if _, _, err := b.GetIfPresent(d.ctx, "price:1"); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.out, "  B reads its in-process copy: %v per read (no round trip)\n", perCall(time.Since(start), demoCopyReads))

	if err := a.Set(d.ctx, "price:1", 120); err != nil {
		return err
	}
	written := time.Now()
	deadline := written.Add(demoCoherenceMax)
	for polls := 1; ; polls++ {
		v, _, err := b.GetIfPresent(d.ctx, "price:1")
		if err != nil {
			return err
		}
		if v == 120 {
			fmt.Fprintf(d.out, "  A writes 120: B sees A's write after %v (%d read(s)); stale copies served: %d\n",
				time.Since(written).Round(time.Microsecond), polls, polls-1)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cache B still reads %d %v after cache A wrote 120", v, demoCoherenceMax)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// twoLevel builds a cache over its own two-level provider, as a separate
// process would have.
func (d *demoRun) twoLevel(name string) (*valcache.Cache[string, int], func(), error) {
	l2, err := d.srv.connect(d.ctx, name, true, d.stderr)
	if err != nil {
		return nil, nil, err
	}
	l1, err := memory.New(memory.Config{MaxEntries: 1000})
	if err != nil {
		_ = l2.Close()
		return nil, nil, err
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		_ = l1.Close()
		_ = l2.Close()
		return nil, nil, err
	}
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "demo:coherent", TTL: time.Minute})
	if err != nil {
		_ = p.Close()
		return nil, nil, err
	}
	return c, func() { _ = errors.Join(c.Close(), p.Close()) }, nil
}

// drop clears what a step wrote and closes its cache.
func (d *demoRun) drop(c interface {
	Clear(context.Context) error
	Close() error
}) {
	_ = c.Clear(context.WithoutCancel(d.ctx))
	_ = c.Close()
}

func perCall(total time.Duration, n int64) time.Duration {
	if n <= 0 {
		return 0
	}
	return (total / time.Duration(n)).Round(time.Nanosecond)
}
