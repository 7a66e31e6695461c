package valcache_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/fakestore"
)

// Stamps taken before a value is produced, over stores that keep a copy of
// each version per group of entries.

func TestAStampedWriteIsDroppedWhenItsTagChangedSinceTheStamp(t *testing.T) {
	for _, shape := range []struct {
		name string
		cfg  fakestore.Config
	}{
		{"Groups", fakestore.Config{Followed: true, Groups: 3}},
		{"Unfollowed", fakestore.Config{Groups: 2}},
		{"Cells", fakestore.Config{Cells: true}},
	} {
		t.Run(shape.name, func(t *testing.T) {
			ctx := t.Context()
			st := newFake(t, shape.cfg)
			c := fakeCache(t, st, valcache.Options[string, string]{})
			stamp, err := c.Stamp(ctx, "t", "u", "t")
			if err != nil {
				t.Fatal(err)
			}
			if got := stamp.Tags(); !slices.Equal(got, []string{"t", "u"}) {
				t.Fatalf("Tags() = %q, want t and u once each", got)
			}
			if err := c.SetWith(ctx, "kept", "1", valcache.SetOptions{Stamp: stamp}); err != nil {
				t.Fatal(err)
			}
			batch := map[string]string{}
			for i := range 6 {
				batch[fmt.Sprintf("b%d", i)] = "v"
			}
			if err := c.SetManyWith(ctx, batch, valcache.SetOptions{Stamp: stamp}); err != nil {
				t.Fatal(err)
			}
			if v, ok, err := c.GetIfPresent(ctx, "kept"); err != nil || !ok || v != "1" {
				t.Fatalf("write with a current stamp: %q %v %v", v, ok, err)
			}
			if err := c.InvalidateTags(ctx, "u"); err != nil {
				t.Fatal(err)
			}
			if err := c.SetWith(ctx, "dropped", "2", valcache.SetOptions{Stamp: stamp}); err != nil {
				t.Fatal(err)
			}
			if err := c.SetManyWith(ctx, map[string]string{"d1": "v", "d2": "v"}, valcache.SetOptions{Stamp: stamp}); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"dropped", "d1", "d2", "kept", "b0"} {
				if _, ok, err := c.GetIfPresent(ctx, k); err != nil || ok {
					t.Fatalf("%s after its stamp's tag changed: found %v, err %v; want a miss", k, ok, err)
				}
			}
			other := fakeCache(t, st, valcache.Options[string, string]{Namespace: "other"})
			if err := other.SetWith(ctx, "x", "v", valcache.SetOptions{Stamp: stamp}); err == nil {
				t.Fatal("a stamp of another namespace was accepted")
			}
			if _, err := c.Stamp(ctx, ""); err != valcache.ErrEmptyTag {
				t.Fatalf("Stamp of an empty tag: %v, want ErrEmptyTag", err)
			}
		})
	}
}

func TestAWriteAfterAClearElsewhereIsStampedAfresh(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	if err := a.Set(ctx, "k1", "1"); err != nil { // a remembers the namespace's version
		t.Fatal(err)
	}
	if err := b.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Set(ctx, "k2", "2"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*valcache.Cache[string, string]{a, b} {
		if _, ok, err := c.GetIfPresent(ctx, "k1"); err != nil || ok {
			t.Fatalf("k1 after Clear: %v %v, want a miss", ok, err)
		}
		if v, ok, err := c.GetIfPresent(ctx, "k2"); err != nil || !ok || v != "2" {
			t.Fatalf("k2 written after a Clear elsewhere: %q %v %v, want it served", v, ok, err)
		}
	}
}

func TestTagOperationsReportTheStoresFailure(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 2})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Unreachable()
	if err := c.InvalidateTags(ctx, "t"); err == nil {
		t.Fatal("InvalidateTags of an unreachable store succeeded")
	}
	if err := c.Clear(ctx); err == nil {
		t.Fatal("Clear of an unreachable store succeeded")
	}
	if _, err := c.Stamp(ctx, "t"); err == nil {
		t.Fatal("Stamp of an unreachable store succeeded")
	}
	if err := c.SetWith(ctx, "k", "v", valcache.SetOptions{Tags: []string{"t"}}); err == nil {
		t.Fatal("a tagged write to an unreachable store succeeded")
	}
	if err := c.InvalidateTags(ctx, ""); err != valcache.ErrEmptyTag {
		t.Fatalf("InvalidateTags of an empty tag: %v", err)
	}
}
