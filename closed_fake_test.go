package valcache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/fakestore"
)

func TestIntKeysRoundTripOverAByteStore(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 2})
	c, err := valcache.New(st.Provider(), valcache.Options[int, string]{Namespace: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetMany(ctx, map[int]string{1: "a", 2: "b"}); err != nil {
		t.Fatal(err)
	}
	v, err := c.Get(ctx, 3, func(_ context.Context, k int) (string, error) { return "c", nil })
	if err != nil || v != "c" {
		t.Fatalf("Get: %q %v", v, err)
	}
	got, err := bulkIfPresent(ctx, c, []int{1, 2, 3, 4})
	if err != nil || len(got) != 3 || got[1] != "a" || got[3] != "c" {
		t.Fatalf("bulk read: %v %v", got, err)
	}
	if err := c.DeleteMany(ctx, []int{1, 3}); err != nil {
		t.Fatal(err)
	}
	if ids := st.IDs("ns"); len(ids) != 1 {
		t.Fatalf("left %q, want one entry", ids)
	}
}

func TestAClosedCacheRefusesEveryCall(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	_ = c.Close()
	src := newSource()
	calls := map[string]error{
		"Set":            c.Set(ctx, "k", "v"),
		"Delete":         c.Delete(ctx, "k"),
		"Clear":          c.Clear(ctx),
		"SetMany":        c.SetMany(ctx, map[string]string{"k": "v"}),
		"InvalidateTags": c.InvalidateTags(ctx, "t"),
	}
	_, calls["Get"] = c.Get(ctx, "k", src.load)
	_, _, calls["GetIfPresent"] = c.GetIfPresent(ctx, "k")
	_, calls["bulk read"] = bulkIfPresent(ctx, c, []string{"k"})
	_, calls["bulk load"] = bulkLoad(ctx, c, []string{"k"}, (&bulkSource{}).load, valcache.LoadOptions{})
	_, calls["Stamp"] = c.Stamp(ctx, "t")
	_, _, calls["Purge"] = c.Purge(ctx, "", 1)
	_, _, calls["Compute"] = c.Compute(ctx, "k", func(string, bool) (string, valcache.ComputeOp, error) {
		return "v", valcache.ComputeSet, nil
	}, valcache.ComputeOptions{})
	for name, err := range calls {
		if !errors.Is(err, valcache.ErrClosed) {
			t.Errorf("%s on a closed cache: %v, want ErrClosed", name, err)
		}
	}
	if src.runs.Load() != 0 {
		t.Fatal("a closed cache ran a loader")
	}
}
