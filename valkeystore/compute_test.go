package valkeystore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/valkeystore"
)

// TestComputeLandsEveryUpdateOfManyWritersOfOneKey: 32 goroutines increment
// one key 100 times each. Every compute retries its lost races within its
// budget (the context's deadline, generous so that a loaded machine passes
// too), so none is refused and the total is exact.
func TestComputeLandsEveryUpdateOfManyWritersOfOneKey(t *testing.T) {
	p := newProvider(t, valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}})
	var b [6]byte
	_, _ = rand.Read(b[:])
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "compute-" + hex.EncodeToString(b[:])})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 32, 100
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, _, err := c.Compute(ctx, "k", func(old int, _ bool) (int, valcache.ComputeOp, error) {
					return old + 1, valcache.ComputeSet, nil
				}, valcache.ComputeOptions{})
				cancel()
				if err != nil {
					if refused.Add(1) == 1 {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if n := refused.Load(); n > 0 {
		t.Fatalf("%d of %d computes failed", n, writers*each)
	}
	if v, _, err := c.GetIfPresent(t.Context(), "k"); err != nil || v != writers*each {
		t.Fatalf("after %d increments the counter is %d (%v)", writers*each, v, err)
	}
}
