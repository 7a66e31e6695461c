package valcache_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
)

// hookLog is a WriteHook keeping what it learnt, in order.
type hookLog struct {
	mu     sync.Mutex
	events []string
	ttls   map[string]time.Duration
}

func (r *hookLog) Stored(_ context.Context, es []valcache.StoredEntry[int]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ttls == nil {
		r.ttls = map[string]time.Duration{}
	}
	for _, e := range es {
		r.events = append(r.events, fmt.Sprintf("set %s=%d", e.ID, e.Value))
		r.ttls[e.ID] = e.TTL
	}
}

func (r *hookLog) Deleted(_ context.Context, ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		r.events = append(r.events, "del "+id)
	}
}

// take returns the events so far, sorted (bulk writes report in map
// order), and forgets them.
func (r *hookLog) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	slices.Sort(ev)
	return ev
}

func wantEvents(t *testing.T, r *hookLog, what string, want ...string) {
	t.Helper()
	got := r.take()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: hook saw %q, want %q", what, got, want)
	}
}

func TestWriteHookSeesEveryWrite(t *testing.T) {
	c := newMemoryCache(t, valcache.Options[string, int]{TTL: time.Minute, NegativeTTL: time.Minute})
	ctx := context.Background()
	r := &hookLog{}
	detach := c.OnWrite(r)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "a", 1))
	wantEvents(t, r, "Set", "set a=1")
	if ttl := r.ttls["a"]; ttl <= 0 || ttl > time.Minute {
		t.Fatalf("Set reported TTL %v, want the stored one, at most a minute", ttl)
	}
	must(c.SetWith(ctx, "n", 2, valcache.SetOptions{TTL: valcache.NoExpiry}))
	wantEvents(t, r, "SetWith NoExpiry", "set n=2")
	if ttl := r.ttls["n"]; ttl != valcache.NoExpiry {
		t.Fatalf("SetWith(NoExpiry) reported TTL %v", ttl)
	}
	must(c.SetMany(ctx, map[string]int{"b": 2, "c": 3}))
	wantEvents(t, r, "SetMany", "set b=2", "set c=3")
	must(c.Delete(ctx, "a"))
	wantEvents(t, r, "Delete", "del a")
	must(c.DeleteMany(ctx, []string{"b", "c"}))
	wantEvents(t, r, "DeleteMany", "del b", "del c")

	v, err := c.Get(ctx, "l", func(context.Context, string) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("Get = %d, %v", v, err)
	}
	wantEvents(t, r, "Get loading", "set l=7")
	if _, _, err := c.GetIfPresent(ctx, "l"); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r, "Get hitting") // a read writes nothing
	if _, err := c.Get(ctx, "gone", func(context.Context, string) (int, error) { return 0, valcache.ErrNotFound }); !errors.Is(err, valcache.ErrNotFound) {
		t.Fatalf("Get of an absent key: %v", err)
	}
	wantEvents(t, r, "cached absence", "del gone")
	got, err := c.GetMany(ctx, []string{"m1", "m2"}, func(_ context.Context, ks []string) (map[string]int, error) {
		return map[string]int{"m1": 11, "m2": 12}, nil
	}, valcache.LoadOptions{})
	if err != nil || len(got) != 2 {
		t.Fatalf("GetMany = %v, %v", got, err)
	}
	wantEvents(t, r, "GetMany", "set m1=11", "set m2=12")

	incr := func(old int, found bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
	if _, _, err := c.Compute(ctx, "l", incr, valcache.ComputeOptions{}); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r, "Compute", "set l=8")
	if _, _, err := c.Compute(ctx, "l", func(int, bool) (int, valcache.ComputeOp, error) { return 0, valcache.ComputeKeep, nil }, valcache.ComputeOptions{}); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r, "Compute keeping")
	if _, _, err := c.Compute(ctx, "l", func(int, bool) (int, valcache.ComputeOp, error) { return 0, valcache.ComputeDelete, nil }, valcache.ComputeOptions{}); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r, "Compute deleting", "del l")
	if _, _, err := c.Compute(ctx, "never", func(int, bool) (int, valcache.ComputeOp, error) { return 0, valcache.ComputeDelete, nil }, valcache.ComputeOptions{}); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r, "Compute deleting nothing")

	detach()
	detach() // harmless
	must(c.Set(ctx, "z", 1))
	must(c.Delete(ctx, "z"))
	wantEvents(t, r, "after detach")
}

func TestWriteHooksAreIndependent(t *testing.T) {
	c := newMemoryCache(t, valcache.Options[string, int]{})
	ctx := context.Background()
	r1, r2 := &hookLog{}, &hookLog{}
	d1 := c.OnWrite(r1)
	d2 := c.OnWrite(r2)
	defer d2()
	if err := c.Set(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r1, "first hook", "set a=1")
	wantEvents(t, r2, "second hook", "set a=1")
	d1()
	if err := c.Set(ctx, "b", 2); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, r1, "first hook, detached")
	wantEvents(t, r2, "second hook, still attached", "set b=2")
}

func TestWriteHookAttachAndDetachRace(t *testing.T) {
	c := newMemoryCache(t, valcache.Options[string, int]{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				r := &hookLog{}
				detach := c.OnWrite(r)
				k := fmt.Sprintf("w%d-%d", w, i)
				if err := c.Set(ctx, k, i); err != nil {
					t.Error(err)
					return
				}
				detach()
				found := false
				for _, e := range r.take() {
					found = found || e == fmt.Sprintf("set %s=%d", k, i)
				}
				if !found {
					t.Errorf("a hook attached during Set(%q) did not see it", k)
					return
				}
			}
		})
	}
	wg.Wait()
}
