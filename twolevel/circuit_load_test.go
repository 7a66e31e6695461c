package twolevel_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// callCounter is an Observer that counts a cache's calls to the store.
type callCounter struct{ calls atomic.Int64 }

func (cc *callCounter) Observe(valcache.CacheInfo) valcache.CacheObserver { return cc }
func (cc *callCounter) LoadStart(ctx context.Context, _ valcache.Load) context.Context {
	return ctx
}
func (cc *callCounter) LoadDone(context.Context, valcache.Load, time.Duration, error) {}
func (cc *callCounter) CallStart(ctx context.Context, _ valcache.Op) context.Context {
	cc.calls.Add(1)
	return ctx
}
func (cc *callCounter) CallDone(context.Context, valcache.Op, error) {}

// While the circuit is open, the shared store is not called, so a Get with
// a loader is not sent again and again within its budget: it makes one
// call (refused at once by the breaker), loads and returns the value.
func TestGetLoadsAtOnceWhileTheCircuitIsOpen(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	const budget = time.Second
	p, err := build(t.Context(), valkeystore.Config{
		Addrs: []string{srv.Addr()}, KeyPrefix: "circuit:", SkipPolicyCheck: true,
		OperationTimeout: budget, AtomicTimeout: budget,
	}, twolevel.Config{BreakerFailures: 2, BreakerCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	cc := &callCounter{}
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "circuit", Observer: cc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, _, err := c.GetIfPresent(t.Context(), "warm"); err != nil {
		t.Fatal(err)
	}
	// A server that hangs: its calls end at the budget, and two of them
	// open the circuit.
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Resume() })
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, _ = c.GetIfPresent(context.Background(), "opens") }()
	}
	wg.Wait()
	if p.CircuitState() != driver.CircuitOpen {
		t.Fatalf("breaker %v after two calls ended at the budget, want open", p.CircuitState())
	}
	for i := range 3 {
		calls0, loads0 := cc.calls.Load(), c.Stats().Loads
		began := time.Now()
		v, err := c.Get(context.Background(), "k", func(context.Context, string) (string, error) { return "loaded", nil })
		if err != nil || v != "loaded" {
			t.Fatalf("Get %d with the circuit open: %q %v, want the loaded value", i, v, err)
		}
		if took := time.Since(began); took > budget+time.Second {
			t.Fatalf("Get %d took %v", i, took)
		}
		if n := cc.calls.Load() - calls0; n != 1 {
			t.Fatalf("Get %d made %d calls to the store with the circuit open, want 1", i, n)
		}
		if n := c.Stats().Loads - loads0; n != 1 {
			t.Fatalf("Get %d ran the loader %d times", i, n)
		}
	}
}
