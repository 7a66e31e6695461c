package cachetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit"
	"github.com/valcache/valcache/ratelimit/gcra"
)

// rateCases check gcra.Backend and package ratelimit over it.
var rateCases = []testCase{
	{"BurstIsAllowedThenRefused", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := backend[gcra.Backend](t, p)
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
		rl := backend[gcra.Backend](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		if d := rateStep(t, rl, k, time.Hour, 1, 1); !d.Allowed {
			t.Fatalf("first step refused: %+v", d)
		}
		first := rateStep(t, rl, k, time.Hour, 1, 1)
		var last gcra.Decision
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
		rl := backend[gcra.Backend](t, p)
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
		rl := backend[gcra.Backend](t, p)
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
		rl := backend[gcra.Backend](t, p)
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
	{"PeekSpendsNothing", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := backend[gcra.Backend](t, p)
		k := driver.Key{Namespace: namespace(t), ID: "k"}
		if d := rateStep(t, rl, k, time.Hour, 3, 0); !d.Allowed || d.Remaining != 3 || d.ResetAfter != 0 || d.RetryAfter != 0 {
			t.Fatalf("peek of an unused key = %+v, want allowed with the whole burst of 3, nothing to wait", d)
		}
		rateStep(t, rl, k, time.Hour, 3, 2)
		for range 5 {
			d := rateStep(t, rl, k, time.Hour, 3, 0)
			if !d.Allowed || d.Remaining != 1 || d.RetryAfter != 0 {
				t.Fatalf("peek after spending 2 of 3 = %+v, want allowed with 1 remaining", d)
			}
			if d.ResetAfter <= time.Hour || d.ResetAfter > 2*time.Hour {
				t.Fatalf("peek after spending 2 of 3: ResetAfter %v, want in (1h, 2h]", d.ResetAfter)
			}
		}
		if d := rateStep(t, rl, k, time.Hour, 3, 1); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("step after the peeks = %+v, want allowed with 0 remaining: peeks spent quota", d)
		}
		if d := rateStep(t, rl, k, time.Hour, 3, 0); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("peek of a spent quota = %+v, want allowed (a peek always is) with 0 remaining", d)
		}
	}},
	{"ResetMakesTheQuotaWhole", func(t *testing.T, p driver.Provider, _ Harness) {
		rl := backend[gcra.Backend](t, p)
		ns := namespace(t)
		k, other := driver.Key{Namespace: ns, ID: "k"}, driver.Key{Namespace: ns, ID: "other"}
		if err := rl.ResetRate(ctxFor(t), k); err != nil {
			t.Fatalf("ResetRate of a key with no state: %v", err)
		}
		rateStep(t, rl, k, time.Hour, 2, 2)
		rateStep(t, rl, other, time.Hour, 2, 2)
		if err := rl.ResetRate(ctxFor(t), k); err != nil {
			t.Fatalf("ResetRate: %v", err)
		}
		if d := rateStep(t, rl, k, time.Hour, 2, 2); !d.Allowed {
			t.Fatalf("whole burst after ResetRate = %+v, want allowed", d)
		}
		if d := rateStep(t, rl, other, time.Hour, 2, 1); d.Allowed {
			t.Fatalf("ResetRate of one key reset another: %+v", d)
		}
	}},
	{"LimiterPeekAndReset", func(t *testing.T, p driver.Provider, _ Harness) {
		lim, err := ratelimit.New(p, ratelimit.Config{Namespace: namespace(t), Limit: ratelimit.PerHour(2)})
		if err != nil {
			t.Fatal(err)
		}
		ctx := ctxFor(t)
		if res, err := lim.Peek(ctx, "u"); err != nil || !res.Allowed || res.Remaining != 2 || res.Limit != 2 {
			t.Fatalf("Peek of an unused key = %+v, %v; want allowed with 2 of 2 remaining", res, err)
		}
		for range 2 {
			if res, err := lim.Allow(ctx, "u"); err != nil || !res.Allowed {
				t.Fatalf("Allow within the burst = %+v, %v", res, err)
			}
		}
		res, err := lim.Peek(ctx, "u")
		if err != nil || res.Allowed || res.Remaining != 0 || res.RetryAfter <= 0 || res.RetryAfter > 30*time.Minute {
			t.Fatalf("Peek of a spent quota = %+v, %v; want not allowed, retry within the half hour one unit takes", res, err)
		}
		if err := lim.Reset(ctx, "u"); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if res, err := lim.Peek(ctx, "u"); err != nil || !res.Allowed || res.Remaining != 2 || res.RetryAfter != 0 {
			t.Fatalf("Peek after Reset = %+v, %v; want the whole quota", res, err)
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

func rateStep(t *testing.T, rl gcra.Backend, k driver.Key, interval time.Duration, burst, cost int64) gcra.Decision {
	t.Helper()
	d, err := rl.RateLimit(ctxFor(t), k, interval, burst, cost)
	if err != nil {
		t.Fatalf("RateLimit(%+v): %v", k, err)
	}
	return d
}
