package valcache_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/fakestore"
)

// Computes over a byte store: compare-and-swap, retried after lost races.

func TestComputeLandsEveryUpdateOfWritersInSeveralProcesses(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 2})
	caches := []*valcache.Cache[string, int]{
		fakeCache(t, st, valcache.Options[string, int]{}),
		fakeCache(t, peer(t, st), valcache.Options[string, int]{}),
	}
	const perWriter, writers = 20, 3
	var wg sync.WaitGroup
	errs := make(chan error, len(caches)*writers)
	for _, c := range caches {
		for range writers {
			wg.Go(func() {
				for range perWriter {
					if _, _, err := c.Compute(ctx, "n", increment, valcache.ComputeOptions{}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := len(caches) * writers * perWriter
	for _, c := range caches {
		if v, ok, err := c.GetIfPresent(ctx, "n"); err != nil || !ok || v != want {
			t.Fatalf("after every update: %d %v %v, want %d", v, ok, err, want)
		}
	}
}

func TestComputeIfAbsentAndIfPresent(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	hook := &idHook{}
	c.OnWrite(hook)
	if v, ok, err := c.ComputeIfPresent(ctx, "k", func(old string) (string, valcache.ComputeOp, error) {
		t.Fatal("ComputeIfPresent called f for an absent key")
		return "", valcache.ComputeKeep, nil
	}, valcache.ComputeOptions{}); err != nil || ok || v != "" {
		t.Fatalf("ComputeIfPresent of an absent key: %q %v %v", v, ok, err)
	}
	for _, want := range []string{"first", "first"} {
		v, err := c.ComputeIfAbsent(ctx, "k", func() (string, error) { return "first", nil }, valcache.ComputeOptions{})
		if err != nil || v != want {
			t.Fatalf("ComputeIfAbsent: %q %v, want %q", v, err, want)
		}
	}
	v, ok, err := c.ComputeIfPresent(ctx, "k", func(old string) (string, valcache.ComputeOp, error) {
		return old + "+", valcache.ComputeSet, nil
	}, valcache.ComputeOptions{TTL: time.Minute})
	if err != nil || !ok || v != "first+" {
		t.Fatalf("ComputeIfPresent: %q %v %v", v, ok, err)
	}
	if _, ok, err := c.ComputeIfPresent(ctx, "k", func(string) (string, valcache.ComputeOp, error) {
		return "", valcache.ComputeDelete, nil
	}, valcache.ComputeOptions{}); err != nil || ok {
		t.Fatalf("ComputeIfPresent deleting: %v %v", ok, err)
	}
	if _, ok := st.Raw(dkey("k")); ok {
		t.Fatal("the computed delete left the entry")
	}
	stored, deleted := hook.heard()
	if len(stored) != 2 || len(deleted) != 1 {
		t.Fatalf("the hook heard of %q stored and %q deleted; want two writes and one delete", stored, deleted)
	}
	boom := errors.New("boom")
	if _, err := c.ComputeIfAbsent(ctx, "k", func() (string, error) { return "", boom }, valcache.ComputeOptions{}); !errors.Is(err, boom) {
		t.Fatalf("ComputeIfAbsent with a failing f: %v", err)
	}
}

// racer is a compute function that, each time it runs, has another
// process write the key first, so every swap loses.
func racer(t *testing.T, other *valcache.Cache[string, int]) func(int, bool) (int, valcache.ComputeOp, error) {
	return func(old int, _ bool) (int, valcache.ComputeOp, error) {
		if err := other.Set(context.WithoutCancel(t.Context()), "n", old+100); err != nil {
			return 0, valcache.ComputeKeep, err
		}
		return old + 1, valcache.ComputeSet, nil
	}
}

func TestComputeGivesUpAfterItsRetries(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, int]{MaxComputeRetries: 2})
	other := fakeCache(t, peer(t, st), valcache.Options[string, int]{})
	_, _, err := c.Compute(ctx, "n", racer(t, other), valcache.ComputeOptions{})
	var ce *valcache.ComputeConflictError
	if !errors.Is(err, valcache.ErrComputeConflict) || !errors.As(err, &ce) || ce.Attempts != 3 {
		t.Fatalf("Compute losing every race: %v, want a conflict after 3 attempts", err)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("message %q does not say how often it tried", err)
	}
}

func TestComputeGivesUpAtItsDeadline(t *testing.T) {
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, int]{})
	other := fakeCache(t, peer(t, st), valcache.Options[string, int]{})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, _, err := c.Compute(ctx, "n", racer(t, other), valcache.ComputeOptions{})
	if !errors.Is(err, valcache.ErrComputeConflict) {
		t.Fatalf("Compute losing every race until its deadline: %v, want a conflict", err)
	}
}

func TestComputeReportsTheStoresFailure(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, int]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpCompareAndSwap}})
	if _, _, err := c.Compute(ctx, "n", increment, valcache.ComputeOptions{}); !errors.Is(err, valcache.ErrUnavailable) {
		t.Fatalf("Compute with swaps failing: %v, want ErrUnavailable", err)
	}
	st.Heal()
	st.Unreachable()
	if _, _, err := c.Compute(ctx, "n", increment, valcache.ComputeOptions{}); !errors.Is(err, valcache.ErrUnavailable) {
		t.Fatalf("Compute with reads failing: %v, want ErrUnavailable", err)
	}
}

func TestAComputedEntryKeepsItsTags(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 2})
	c := fakeCache(t, st, valcache.Options[string, int]{})
	if err := c.SetWith(ctx, "n", 1, valcache.SetOptions{Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	if v, _, err := c.Compute(ctx, "n", increment, valcache.ComputeOptions{}); err != nil || v != 2 {
		t.Fatalf("Compute: %d %v", v, err)
	}
	if err := c.InvalidateTags(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.GetIfPresent(ctx, "n"); err != nil || ok {
		t.Fatalf("after invalidating the tag of the entry computed over: %d %v %v, want a miss", v, ok, err)
	}
	// An invalidated entry computes as absent.
	if v, _, err := c.Compute(ctx, "n", increment, valcache.ComputeOptions{}); err != nil || v != 1 {
		t.Fatalf("Compute over an invalidated entry: %d %v, want 1", v, err)
	}
}
