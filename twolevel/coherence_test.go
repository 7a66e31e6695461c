package twolevel_test

import (
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/sibling"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// A copy is served without a round trip: many reads of one key cost the
// server at most the one GET that made the copy.
func TestCopyHitsCostNoRoundTrip(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "hits:"}, twolevel.Config{})
	c := newCache[string](t, p, "hits")
	if err := c.SetWith(t.Context(), "k", "v", valcache.SetOptions{Tags: []string{"g"}}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.GetIfPresent(t.Context(), "k"); err != nil || !ok || v != "v" {
		t.Fatalf("first read = %q, %v, %v", v, ok, err)
	}
	before := commandCalls(t, addr, "get")
	for range 1000 {
		if v, ok, err := c.GetIfPresent(t.Context(), "k"); err != nil || !ok || v != "v" {
			t.Fatalf("read = %q, %v, %v", v, ok, err)
		}
	}
	if n := commandCalls(t, addr, "get") - before; n > 1 {
		t.Fatalf("1000 reads of a kept key ran GET %d times on the server", n)
	}
}

// Changes made by another instance drop this instance's copies: a Set, a
// Delete, a tag invalidation, a Clear, and a write by a client that is not
// a cache at all.
func TestOtherInstancesChangesDropCopies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t)
		pa := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "coh:"}, twolevel.Config{})
		pb := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "coh:"}, twolevel.Config{})
		a := newCache[string](t, pa, "coh")
		bc := newCache[string](t, pb, "coh")
		ctx := t.Context()
		read := func(key string) (string, bool) {
			v, ok, err := bc.GetIfPresent(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return v, ok
		}
		keep := func(key, want string) {
			t.Helper()
			if v, ok := read(key); !ok || v != want {
				t.Fatalf("B reads %q = %q, %v; want %q", key, v, ok, want)
			}
		}

		if err := a.Set(ctx, "set", "v1"); err != nil {
			t.Fatal(err)
		}
		keep("set", "v1")
		if err := a.Set(ctx, "set", "v2"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "B sees A's Set", func() bool { v, _ := read("set"); return v == "v2" })

		if err := a.Delete(ctx, "set"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "B sees A's Delete", func() bool { _, ok := read("set"); return !ok })

		if err := a.SetWith(ctx, "tagged", "t1", valcache.SetOptions{Tags: []string{"group"}}); err != nil {
			t.Fatal(err)
		}
		keep("tagged", "t1")
		if err := a.InvalidateTags(ctx, "group"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "B sees A's tag invalidation", func() bool { _, ok := read("tagged"); return !ok })

		if err := a.Set(ctx, "cleared", "c1"); err != nil {
			t.Fatal(err)
		}
		keep("cleared", "c1")
		if err := a.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "B sees A's Clear", func() bool { _, ok := read("cleared"); return !ok })

		if err := a.Set(ctx, "raw", "r1"); err != nil {
			t.Fatal(err)
		}
		keep("raw", "r1")
		// Another application overwrites the key with bytes no cache wrote.
		cl := pa.Unwrap().(*valkeystore.Provider).Client()
		stored, err := storeView(t, pa.Unwrap()).Entry(ctx, "coh", "raw")
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.Do(ctx, cl.B().Set().Key(stored.Key).Value("not an envelope").Build()).Error(); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "B drops a copy overwritten by an outsider", func() bool { _, ok := read("raw"); return !ok })
	})
}

// A process reads its own writes at once, even over a copy it held.
func TestOwnWritesAreReadAtOnce(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "own:"}, twolevel.Config{})
	c := newCache[int](t, p, "own")
	ctx := t.Context()
	for i := range 300 {
		if err := c.Set(ctx, "k", i); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != i {
			t.Fatalf("after Set(%d): %d, %v, %v", i, v, ok, err)
		}
		if _, ok, _ := c.GetIfPresent(ctx, "k"); !ok { // now from the copy
			t.Fatal("copy missing")
		}
		if i%3 == 0 {
			if err := c.InvalidateTags(ctx, "never-used"); err != nil {
				t.Fatal(err)
			}
		}
		if i%50 == 49 {
			if err := c.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := c.GetIfPresent(ctx, "k"); ok {
				t.Fatal("read a deleted key")
			}
		}
	}
}

// When this instance's connection is killed, changes made meanwhile are not
// pushed to it; its copies must stop being served anyway.
func TestLostConnectionDropsCopies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t)
		pa := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "kill:"}, twolevel.Config{})
		pb := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "kill:", ClientName: "victim"}, twolevel.Config{})
		a := newCache[string](t, pa, "kill")
		bc := newCache[string](t, pb, "kill")
		ctx := t.Context()
		if err := a.Set(ctx, "k", "old"); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := bc.GetIfPresent(ctx, "k"); err != nil || !ok || v != "old" {
			t.Fatalf("B reads %q, %v, %v", v, ok, err)
		}
		killed := 0
		for _, addr := range serverAddrs(t, b) {
			killed += killClient(t, addr, "victim")
		}
		if killed == 0 {
			t.Fatal("no connection of B to kill")
		}
		if err := a.Set(ctx, "k", "new"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "B reads the new value after its connection was killed", func() bool {
			v, _, _ := bc.GetIfPresent(ctx, "k")
			return v == "new"
		})
		for range 100 {
			if v, _, _ := bc.GetIfPresent(ctx, "k"); v == "old" {
				t.Fatal("B served the old value again")
			}
		}
	})
}

// storeView returns p's view for the packages of this module
// (internal/sibling), whose methods these tests exercise.
func storeView(t testing.TB, p driver.Provider) sibling.Valkey {
	t.Helper()
	v, ok := sibling.ValkeyOf(p)
	if !ok {
		t.Fatalf("no sibling view of %T", p)
	}
	return v
}
