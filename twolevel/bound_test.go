package twolevel_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// L1 is bounded as configured (here by weight, with the cache's weigher),
// and a copy lives no longer than its entry.
func TestCopiesAreBoundedAndExpireWithTheirEntry(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	l2, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "bound:", TrackAllReads: true})
	if err != nil {
		t.Fatal(err)
	}
	const budget = 64 << 10
	l1, err := memory.New(memory.Config{MaxWeight: budget})
	if err != nil {
		t.Fatal(err)
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "bound"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	value := strings.Repeat("x", 1024) // weighs 1 KiB by the default weigher
	for i := range 1000 {
		k := strconv.Itoa(i)
		if err := c.Set(ctx, k, value); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := c.GetIfPresent(ctx, k); err != nil || !ok {
			t.Fatalf("read %s: %v, %v", k, ok, err)
		}
	}
	// otter applies its bound asynchronously; give it a moment.
	eventually(t, 20*time.Second, "L1 within its weight budget", func() bool { return l1.Len() <= budget/1024+8 })
	if n := l1.Len(); n < 16 {
		t.Fatalf("L1 holds %d copies: it kept almost nothing", n)
	}

	if err := c.SetWith(ctx, "short", "v", valcache.SetOptions{TTL: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.GetIfPresent(ctx, "short"); !ok {
		t.Fatal("short entry missing")
	}
	if _, ok, _ := l1.GetValue(ctx, valcacheKey("bound", "short")); !ok {
		t.Fatal("no copy kept of the short entry")
	}
	// Once the entry's TTL has passed the copy is gone from L1 itself,
	// whether or not the server's expiry push has arrived.
	time.Sleep(250 * time.Millisecond)
	if _, ok, _ := l1.GetValue(ctx, valcacheKey("bound", "short")); ok {
		t.Fatal("the copy outlived its entry")
	}
}
