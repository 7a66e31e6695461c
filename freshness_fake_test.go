package valcache_test

import (
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/fakestore"
)

// Stale-while-revalidate and refresh-ahead over a byte store with fleet
// refresh locks. Each test waits from the moment its entry was written
// (the return of the call that wrote it), and polls for what the
// background reload does.

// loadedAt runs Get for key and returns when it returned: the entry was
// written before then.
func loadedAt(t *testing.T, c *valcache.Cache[string, string], key string, src *source) time.Time {
	t.Helper()
	if _, err := c.Get(t.Context(), key, src.load); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

func TestStaleWhileRevalidateAnswersAtOnceAndReloadsInTheBackground(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	const ttl = 50 * time.Millisecond
	c := fakeCache(t, st, valcache.Options[string, string]{TTL: ttl, StaleWhileRevalidate: time.Minute})
	src := newSource()
	written := loadedAt(t, c, "k", src)
	time.Sleep(time.Until(written.Add(ttl + 20*time.Millisecond)))
	src.set("v2:", nil)
	r, err := c.Fetch(ctx, "k", src.load, valcache.LoadOptions{})
	if err != nil || r.Value != "v:k" || !r.Stale {
		t.Fatalf("Fetch of a stale entry: %+v %v, want the stale value at once", r, err)
	}
	eventually(t, "the background reload replaces the stale value", func() bool {
		v, ok, err := c.GetIfPresent(ctx, "k")
		return err == nil && ok && v == "v2:k"
	})
	if s := c.Stats(); s.StaleServes == 0 || s.Refreshes == 0 {
		t.Fatalf("StaleServes %d, Refreshes %d; want both counted", s.StaleServes, s.Refreshes)
	}
}

func TestARefreshThatFindsTheKeyGoneRemovesIt(t *testing.T) {
	for _, negative := range []bool{false, true} {
		name := "Removed"
		if negative {
			name = "CachedAbsent"
		}
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			st := newFake(t, fakestore.Config{Followed: true})
			const ttl = 50 * time.Millisecond
			opts := valcache.Options[string, string]{TTL: ttl, StaleWhileRevalidate: time.Minute}
			if negative {
				opts.NegativeTTL = time.Minute
			}
			c := fakeCache(t, st, opts)
			src := newSource()
			written := loadedAt(t, c, "k", src)
			raw, _ := st.Raw(dkey("k"))
			time.Sleep(time.Until(written.Add(ttl + 20*time.Millisecond)))
			src.set("", valcache.ErrNotFound)
			if r, err := c.Fetch(ctx, "k", src.load, valcache.LoadOptions{}); err != nil || !r.Stale {
				t.Fatalf("Fetch: %+v %v", r, err)
			}
			eventually(t, "the refresh that found the key gone changes the entry", func() bool {
				b, ok := st.Raw(dkey("k"))
				return !ok || string(b) != string(raw)
			})
			_, err := c.Get(ctx, "k", src.load)
			if negative && err != valcache.ErrNotFound {
				t.Fatalf("Get after the refresh cached the absence: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestRefreshAheadReloadsOnceForTheFleet(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	opts := valcache.Options[string, string]{TTL: time.Minute, RefreshAfter: 0.001} // due after 60ms
	a := fakeCache(t, st, opts)
	b := fakeCache(t, peer(t, st), opts)
	src := newSource()
	written := loadedAt(t, a, "k", src)
	time.Sleep(time.Until(written.Add(100 * time.Millisecond)))
	src.set("v2:", nil)
	if v, err := a.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get of an entry due for refresh: %q %v, want the current value", v, err)
	}
	// a's refresh runs in the background and may have landed already.
	if v, err := b.Get(ctx, "k", src.load); err != nil || (v != "v:k" && v != "v2:k") {
		t.Fatalf("Get in another process: %q %v, want the current or the refreshed value", v, err)
	}
	eventually(t, "the refreshed value is read", func() bool {
		v, ok, err := b.GetIfPresent(ctx, "k")
		return err == nil && ok && v == "v2:k"
	})
	// The fleet's refresh lock lets one process reload; its lease outlives
	// this test.
	if n := src.runs.Load(); n != 2 {
		t.Fatalf("the source ran %d times, want twice: the load and one refresh", n)
	}
}

func TestAFailedRefreshKeepsTheCurrentValue(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{TTL: time.Minute, RefreshAfter: 0.001})
	src := newSource()
	written := loadedAt(t, c, "k", src)
	time.Sleep(time.Until(written.Add(100 * time.Millisecond)))
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpEnsureVersions}})
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get: %q %v", v, err)
	}
	eventually(t, "the refresh ran", func() bool { return c.Stats().Refreshes > 0 })
	st.Heal()
	if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != "v:k" {
		t.Fatalf("after a failed refresh: %q %v %v, want the value kept", v, ok, err)
	}
}
