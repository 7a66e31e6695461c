package valcache_test

import (
	"slices"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/fakestore"
)

func TestPurgeDeletesOnlyEntriesThatCanNoLongerBeServed(t *testing.T) {
	for _, shape := range []struct {
		name string
		cfg  fakestore.Config
	}{
		{"Batch", fakestore.Config{Followed: true, Groups: 2}},
		{"OneByOne", fakestore.Config{NoBatch: true}},
	} {
		t.Run(shape.name, func(t *testing.T) {
			ctx := t.Context()
			st := newFake(t, shape.cfg)
			c := fakeCache(t, st, valcache.Options[string, string]{})
			tagged := valcache.SetOptions{Tags: []string{"t"}}
			if err := c.SetManyWith(ctx, map[string]string{"a": "1", "b": "2", "c": "3"}, tagged); err != nil {
				t.Fatal(err)
			}
			if err := c.SetMany(ctx, map[string]string{"d": "4", "e": "5"}); err != nil {
				t.Fatal(err)
			}
			if err := c.InvalidateTags(ctx, "t"); err != nil {
				t.Fatal(err)
			}
			hook := &idHook{}
			c.OnWrite(hook)
			cursor, total, pages := "", 0, 0
			for {
				next, n, err := c.Purge(ctx, cursor, 2)
				if err != nil {
					t.Fatal(err)
				}
				total += n
				pages++
				if cursor = next; cursor == "" || pages > 10 {
					break
				}
			}
			if total != 3 || pages < 3 {
				t.Fatalf("Purge deleted %d entries in %d pages, want 3 in at least 3", total, pages)
			}
			if ids := st.IDs("ns"); !slices.Equal(ids, []string{"d", "e"}) {
				t.Fatalf("left %q, want the valid d and e", ids)
			}
			_, deleted := hook.heard()
			slices.Sort(deleted)
			if !slices.Equal(deleted, []string{"a", "b", "c"}) {
				t.Fatalf("the hook heard of deleting %q", deleted)
			}
			if next, n, err := c.Purge(ctx, "", 0); err != nil || n != 0 || next != "" {
				t.Fatalf("Purge with no budget: %q %d %v", next, n, err)
			}
		})
	}
}

func TestPurgeReportsTheStoresFailure(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	if err := c.SetWith(ctx, "a", "1", valcache.SetOptions{Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.InvalidateTags(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	for _, ops := range [][]fakestore.Op{{fakestore.OpScan}, {fakestore.OpGetMany}, {fakestore.OpFollowed}, {fakestore.OpDeleteMany}} {
		st.Inject(fakestore.Fault{Ops: ops})
		if next, n, err := c.Purge(ctx, "", 10); err == nil || n != 0 || next != "" {
			t.Fatalf("Purge with %s failing: %q %d %v, want an error and the cursor back", ops[0], next, n, err)
		}
		st.Heal()
	}
	if _, n, err := c.Purge(ctx, "", 10); err != nil || n != 1 {
		t.Fatalf("Purge after healing: %d %v", n, err)
	}
}
