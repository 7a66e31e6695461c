package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/ratelimit"
	"github.com/valcache/valcache/valkeystore"
)

// coordProviders are the two stores the coordination benchmarks compare.
func coordProviders(b *testing.B) map[string]func(b *testing.B) driver.Provider {
	return map[string]func(b *testing.B) driver.Provider{
		"store=inprocess": func(b *testing.B) driver.Provider {
			p, err := memory.New(memory.Config{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = p.Close() })
			return p
		},
		"store=valkey": func(b *testing.B) driver.Provider {
			p, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{servers.Valkey(b).Addr()}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = p.Close() })
			return p
		},
	}
}

// BenchmarkRateLimitStep is one Allow (one GCRA step) on one of 10 000 keys,
// with a quota large enough that every step is allowed and written.
func BenchmarkRateLimitStep(b *testing.B) {
	for _, name := range []string{"store=inprocess", "store=valkey"} {
		b.Run(name, func(b *testing.B) {
			lim, err := ratelimit.New(coordProviders(b)[name](b), ratelimit.Config{
				Namespace: "bench-rl-" + strconv.FormatInt(time.Now().UnixNano(), 10),
				Limit:     ratelimit.Limit{Rate: 1_000_000, Period: time.Second, Burst: 1 << 30},
			})
			if err != nil {
				b.Fatal(err)
			}
			keys := benchKeys("rl")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := lim.Allow(ctx, keys[i%keyCount]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkLockAcquireRelease is TryAcquire then Release of an uncontended
// lock, one of 10 000 names: two round trips on Valkey, plus the lease's
// watcher goroutine starting and stopping.
func BenchmarkLockAcquireRelease(b *testing.B) {
	for _, name := range []string{"store=inprocess", "store=valkey"} {
		b.Run(name, func(b *testing.B) {
			locks, err := lock.New(coordProviders(b)[name](b), lock.Config{Namespace: "bench-lock-" + strconv.FormatInt(time.Now().UnixNano(), 10)})
			if err != nil {
				b.Fatal(err)
			}
			keys := benchKeys("lk")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				lease, err := locks.TryAcquire(ctx, keys[i%keyCount], lock.Options{TTL: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				if err := lease.Release(ctx); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
