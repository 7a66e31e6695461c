package cachetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit"
)

// rateCases check driver.RateLimiter and package ratelimit over it.
var rateCases = []testCase{
	{"BurstIsAllowedThenRefused", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := p.(driver.RateLimiter)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		for i := range 5 {
			d := rateStep(t, rl, k, time.Hour, 5, 1)
			if !d.Allowed || d.Remaining != int64(4-i) || d.RetryAfter != 0 {
				t.Fatalf("step %d = %+v, want allowed with %d remaining", i, d, 4-i)
			}
			if d.ResetAfter <= time.Duration(i)*time.Hour || d.ResetAfter > time.Duration(i+1)*time.Hour {
				t.Fatalf("step %d: ResetAfter %v, want in (%dh, %dh]", i, d.ResetAfter, i, i+1)
			}
		}
		d := rateStep(t, rl, k, time.Hour, 5, 1)
		if d.Allowed || d.Remaining != 0 || d.RetryAfter <= 0 || d.RetryAfter > time.Hour {
			t.Fatalf("step after the burst = %+v, want refused, 0 remaining, retry within an hour", d)
		}
	}},
	{"RefusalsSpendNothing", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := p.(driver.RateLimiter)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		if d := rateStep(t, rl, k, time.Hour, 1, 1); !d.Allowed {
			t.Fatalf("first step refused: %+v", d)
		}
		first := rateStep(t, rl, k, time.Hour, 1, 1)
		var last driver.RateDecision
		for range 50 {
			last = rateStep(t, rl, k, time.Hour, 1, 1)
			if last.Allowed {
				t.Fatalf("a step within the hour was allowed: %+v", last)
			}
		}
		// Time only passes between the refusals: had they spent quota, the
		// wait would have grown by an hour each.
		if last.RetryAfter > first.RetryAfter || last.ResetAfter > first.ResetAfter {
			t.Fatalf("refusals moved the quota: first %+v, last %+v", first, last)
		}
	}},
	{"CostIsSpentWhole", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := p.(driver.RateLimiter)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		for _, want := range []int64{6, 2} {
			if d := rateStep(t, rl, k, time.Hour, 10, 4); !d.Allowed || d.Remaining != want {
				t.Fatalf("cost 4 = %+v, want allowed with %d remaining", d, want)
			}
		}
		if d := rateStep(t, rl, k, time.Hour, 10, 4); d.Allowed || d.Remaining != 2 {
			t.Fatalf("cost 4 with 2 left = %+v, want refused with 2 remaining", d)
		}
		if d := rateStep(t, rl, k, time.Hour, 10, 2); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("cost 2 with 2 left = %+v, want allowed with 0 remaining", d)
		}
	}},
	{"QuotaRefills", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := p.(driver.RateLimiter)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		const interval = 100 * time.Millisecond
		for range 2 {
			if d := rateStep(t, rl, k, interval, 2, 1); !d.Allowed {
				t.Fatalf("burst step refused: %+v", d)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			d := rateStep(t, rl, k, interval, 2, 1)
			if d.Allowed {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still refused 5s after the burst: %+v", d)
			}
			time.Sleep(d.RetryAfter)
		}
	}},
	{"KeysAreSeparate", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := p.(driver.RateLimiter)
		ns := namespace(t)
		keys := []driver.Key{
			{Namespace: ns, ID: "a:b"}, {Namespace: ns + ":a", ID: "b"}, {Namespace: ns, ID: "{a}"},
			{Namespace: ns, ID: "a"}, {Namespace: ns, ID: "%7Ba%7D"}, {Namespace: ns + "x", ID: "a"},
		}
		for i, k := range keys {
			if d := rateStep(t, rl, k, time.Hour, 1, 1); !d.Allowed {
				t.Fatalf("key %d (%+v) shares a quota with an earlier key: %+v", i, k, d)
			}
		}
		// A rate-limited key and a cache entry of the same name are apart.
		mustSet(t, p, keys[0], []byte("v"), time.Minute)
		if err := p.Clear(ctxFor(t), ns); err != nil {
			t.Fatal(err)
		}
		if d := rateStep(t, rl, keys[0], time.Hour, 1, 1); d.Allowed {
			t.Fatalf("clearing the namespace's entries reset its quota: %+v", d)
		}
	}},
	{"ConcurrentStepsAllowExactlyTheBurst", func(t *testing.T, p driver.Provider, _ Harness) {
		lim, err := ratelimit.New(p, ratelimit.Config{Namespace: namespace(t), Limit: ratelimit.PerHour(50)})
		if err != nil {
			t.Fatal(err)
		}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 10 {
					res, err := lim.Allow(ctxFor(t), "shared")
					if err != nil {
						t.Error(err)
						return
					}
					if res.Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 50 {
			t.Fatalf("%d of 160 concurrent requests allowed, want exactly 50", n)
		}
	}},
}

func rateStep(t *testing.T, rl driver.RateLimiter, k driver.Key, interval time.Duration, burst, cost int64) driver.RateDecision {
	t.Helper()
	d, err := rl.RateLimit(ctxFor(t), k, interval, burst, cost)
	if err != nil {
		t.Fatalf("RateLimit(%+v): %v", k, err)
	}
	return d
}
