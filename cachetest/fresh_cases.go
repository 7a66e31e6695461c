package cachetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// counting returns a loader that answers "v1", "v2", … after delay, and
// fails from the call numbered failFrom on (0: never).
func counting(delay time.Duration, failFrom int32) (valcache.Loader[string, string], *atomic.Int32) {
	var n atomic.Int32
	return func(ctx context.Context, _ string) (string, error) {
		i := n.Add(1)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if failFrom > 0 && i >= failFrom {
			return "", errors.New("source down")
		}
		return fmt.Sprintf("v%d", i), nil
	}, &n
}

// eventually polls cond every 10ms until it holds, failing after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var freshCases = []testCase{
	{"BulkLoadsOnlyWhatNobodyIsLoading", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{NegativeTTL: time.Minute})
		ctx := ctxFor(t)
		if err := c.Set(ctx, "a", "cached"); err != nil {
			t.Fatal(err)
		}
		var singles atomic.Int32
		single := make(chan string, 1)
		go func() {
			v, _ := c.Get(ctxFor(t), "b", func(context.Context, string) (string, error) {
				singles.Add(1)
				time.Sleep(300 * time.Millisecond)
				return "b-single", nil
			})
			single <- v
		}()
		time.Sleep(50 * time.Millisecond) // the single load of b is running
		var asked [][]string
		bulk := func(_ context.Context, keys []string) (map[string]string, error) {
			asked = append(asked, append([]string(nil), keys...))
			out := map[string]string{}
			for _, k := range keys {
				if k != "d" { // d does not exist in the source
					out[k] = k + "-bulk"
				}
			}
			return out, nil
		}
		got, err := c.GetMany(ctx, []string{"a", "b", "c", "d", "c"}, bulk, valcache.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"a": "cached", "b": "b-single", "c": "c-bulk"}
		if !sameValue(got, want) {
			t.Fatalf("GetMany = %v, want %v", got, want)
		}
		if len(asked) != 1 || len(asked[0]) != 2 {
			t.Fatalf("bulk loader was asked %v; want one call, for c and d only", asked)
		}
		if v := <-single; v != "b-single" || singles.Load() != 1 {
			t.Fatalf("single load of b: %q, %d runs", v, singles.Load())
		}
		if got, err := c.GetMany(ctx, []string{"a", "b", "c", "d"}, bulk, valcache.LoadOptions{}); err != nil || len(got) != 3 || len(asked) != 1 {
			t.Fatalf("second GetMany = %v, %v, bulk calls %d; want everything from the cache (d cached as absent)", got, err, len(asked))
		}
	}},
	{"AbsentKeysAreCachedAsAbsent", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{NegativeTTL: 400 * time.Millisecond})
		var loads atomic.Int32
		load := func(context.Context, string) (string, error) {
			loads.Add(1)
			return "", valcache.ErrNotFound
		}
		for range 3 {
			if _, err := c.Get(ctxFor(t), "missing", load); !errors.Is(err, valcache.ErrNotFound) {
				t.Fatalf("Get of a missing row: %v, want ErrNotFound", err)
			}
		}
		if n := loads.Load(); n != 1 {
			t.Fatalf("the source was asked %d times about a missing row in its negative TTL", n)
		}
		wantNoGet(t, c, "missing")
		eventually(t, 3*time.Second, "a second load once the negative TTL passed", func() bool {
			_, _ = c.Get(ctxFor(t), "missing", load)
			return loads.Load() == 2
		})
		if err := c.Set(ctxFor(t), "missing", "now here"); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctxFor(t), "missing", load); err != nil || v != "now here" {
			t.Fatalf("a write over a cached absence: %q %v", v, err)
		}
	}},
	{"StaleWhileRevalidateAnswersAtOnceAndReloads", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{TTL: 200 * time.Millisecond, StaleWhileRevalidate: 5 * time.Second})
		load, loads := counting(300*time.Millisecond, 0)
		if r, err := c.Fetch(ctxFor(t), "k", load, valcache.LoadOptions{}); err != nil || r.Value != "v1" || r.Stale {
			t.Fatalf("first Fetch: %+v %v", r, err)
		}
		time.Sleep(300 * time.Millisecond) // past the TTL, within the stale window
		wantNoGet(t, c, "k")               // GetIfPresent serves fresh values only
		began := time.Now()
		r, err := c.Fetch(ctxFor(t), "k", load, valcache.LoadOptions{})
		if err != nil || r.Value != "v1" || !r.Stale || r.Age < 200*time.Millisecond {
			t.Fatalf("Fetch in the stale window: %+v %v; want v1, stale, aged", r, err)
		}
		if took := time.Since(began); took > 250*time.Millisecond {
			t.Fatalf("a stale answer took %v; it must not wait for the 300ms reload", took)
		}
		eventually(t, 5*time.Second, "the background reload", func() bool {
			r, err := c.Fetch(ctxFor(t), "k", load, valcache.LoadOptions{})
			return err == nil && r.Value == "v2" && !r.Stale
		})
		if n := loads.Load(); n != 2 {
			t.Fatalf("the loader ran %d times, want 2", n)
		}
	}},
	{"StaleIfErrorServesTheLastValueWhenReloadingFails", func(t *testing.T, p driver.Provider, _ Harness) {
		// The stale window (1.5 s) leaves a busy machine time for two
		// failing reloads inside it.
		c := newCache(t, p, valcache.Options[string, string]{TTL: 300 * time.Millisecond, StaleIfError: 1500 * time.Millisecond})
		load, _ := counting(0, 2)
		if v, err := c.Get(ctxFor(t), "k", load); err != nil || v != "v1" {
			t.Fatalf("first Get: %q %v", v, err)
		}
		written := time.Now()
		time.Sleep(400 * time.Millisecond)
		for attempt := range 2 { // a failed reload must not lose the stale value for the next one
			r, err := c.Fetch(ctxFor(t), "k", load, valcache.LoadOptions{})
			if err != nil || r.Value != "v1" || !r.Stale || r.LoadErr == nil {
				t.Fatalf("Fetch %d with a failing source in the stale window: %+v %v; want v1, stale, with the load error", attempt+1, r, err)
			}
		}
		time.Sleep(time.Until(written.Add(1900 * time.Millisecond))) // past the stale window too
		if _, err := c.Get(ctxFor(t), "k", load); err == nil {
			t.Fatal("a value past its stale-if-error window was still served")
		}
	}},
	{"RefreshAheadReloadsBeforeExpiry", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{TTL: 2 * time.Second, RefreshAfter: 0.25})
		var loads atomic.Int32
		release := make(chan struct{})
		load := func(ctx context.Context, _ string) (string, error) {
			if loads.Add(1) == 1 {
				return "v1", nil
			}
			select { // the refresh waits until the test lets it finish
			case <-release:
				return "v2", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		if v, err := c.Get(ctxFor(t), "k", load); err != nil || v != "v1" {
			t.Fatalf("first Get: %q %v", v, err)
		}
		time.Sleep(600 * time.Millisecond) // past a quarter of the TTL
		// The Get due for refresh answers while the refresh is still held
		// back: the refresh runs in the background.
		if v, err := c.Get(ctxFor(t), "k", load); err != nil || v != "v1" {
			t.Fatalf("Get due for refresh: %q %v; want the current value", v, err)
		}
		eventually(t, 3*time.Second, "the refresh to start", func() bool { return loads.Load() == 2 })
		close(release)
		eventually(t, 3*time.Second, "the refreshed value", func() bool {
			v, found, err := c.GetIfPresent(ctxFor(t), "k")
			return err == nil && found && v == "v2"
		})
		if n := loads.Load(); n != 2 {
			t.Fatalf("the loader ran %d times, want 2", n)
		}
	}},
}
