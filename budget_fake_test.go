package valcache_test

import (
	"errors"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/fakestore"
)

// A store that does not answer: each call ends with its budget, reports
// the store unavailable, and a get-or-load still returns the loaded value.

func TestCallsToAStoreThatHangsEndWithTheirBudget(t *testing.T) {
	ctx := t.Context()
	budget := 100 * time.Millisecond
	st := newFake(t, fakestore.Config{Followed: true, Budgets: driver.Budgets{Single: budget, Bulk: budget, Flush: budget}})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	if err := c.Set(ctx, "warm", "v"); err != nil {
		t.Fatal(err)
	}
	st.Inject(fakestore.Fault{Hang: true})
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get over a hanging store: %q %v, want the loaded value", v, err)
	}
	if s := c.Stats(); s.StoreErrors != 1 {
		t.Fatalf("StoreErrors = %d, want 1", s.StoreErrors)
	}
	checks := map[string]func() error{
		"SetMany": func() error { return c.SetMany(ctx, map[string]string{"a": "1", "b": "2"}) },
		"bulk read": func() error {
			_, err := bulkIfPresent(ctx, c, []string{"a", "b"})
			return err
		},
		"DeleteMany":     func() error { return c.DeleteMany(ctx, []string{"a", "b"}) },
		"Clear":          func() error { return c.Clear(ctx) },
		"InvalidateTags": func() error { return c.InvalidateTags(ctx, "t") },
		"Stamp": func() error {
			_, err := c.Stamp(ctx, "t")
			return err
		},
		"Purge": func() error {
			_, _, err := c.Purge(ctx, "", 10)
			return err
		},
	}
	for name, call := range checks {
		if err := call(); !errors.Is(err, valcache.ErrUnavailable) {
			t.Fatalf("%s over a hanging store: %v, want ErrUnavailable", name, err)
		}
	}
	st.Heal()
	if _, ok := st.Raw(dkey("k")); ok {
		t.Fatal("the value loaded while the store hung was written")
	}
}
