package valcache_test

import (
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/fakestore"
)

// Near copies: over a fake that keeps them as twolevel does, a cache reads
// its in-process copy first and keeps what it reads from the shared store.

func TestNearCopiesServeRepeatReadsAndFollowOtherProcessesWrites(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Near: true, Groups: 2})
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	if err := a.Set(ctx, "k", "1"); err != nil {
		t.Fatal(err)
	}
	if st.Near(dkey("k")) {
		t.Fatal("a write kept a near copy; only reads do")
	}
	if v, ok, err := a.GetIfPresent(ctx, "k"); err != nil || !ok || v != "1" {
		t.Fatalf("first read: %q %v %v", v, ok, err)
	}
	if !st.Near(dkey("k")) {
		t.Fatal("the value read from the shared store was not kept as a near copy")
	}
	reads := st.Calls(fakestore.OpGetForNear)
	src := newSource()
	for range 3 {
		if v, err := a.Get(ctx, "k", src.load); err != nil || v != "1" {
			t.Fatalf("Get: %q %v", v, err)
		}
		if v, ok, err := a.GetIfPresent(ctx, "k"); err != nil || !ok || v != "1" {
			t.Fatalf("GetIfPresent: %q %v %v", v, ok, err)
		}
	}
	if n := st.Calls(fakestore.OpGetForNear); n != reads {
		t.Fatalf("repeat reads went to the shared store %d times", n-reads)
	}
	if s := a.Stats(); s.L1Hits != 6 || s.L2Hits != 1 {
		t.Fatalf("L1Hits %d, L2Hits %d; want 6 and 1", s.L1Hits, s.L2Hits)
	}
	if err := b.Set(ctx, "k", "2"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := a.GetIfPresent(ctx, "k"); err != nil || !ok || v != "2" {
		t.Fatalf("after another process's write: %q %v %v, want its value", v, ok, err)
	}
	if src.runs.Load() != 0 {
		t.Fatal("a hit ran the loader")
	}
}

func TestNearCopiesStopAtAnInvalidationElsewhere(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Near: true, Followed: true})
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	if err := a.SetWith(ctx, "k", "1", valcache.SetOptions{Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.GetIfPresent(ctx, "k"); err != nil || !ok {
		t.Fatalf("read: %v %v", ok, err)
	}
	if !st.Near(dkey("k")) {
		t.Fatal("no near copy kept")
	}
	if err := b.InvalidateTags(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := a.GetIfPresent(ctx, "k"); err != nil || ok {
		t.Fatalf("after the tag was invalidated in another process: %q %v %v, want a miss", v, ok, err)
	}
	if err := b.Clear(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestANearCopyAnswersWhileTheStoreIsUnreachable(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Near: true, NearStaleIfError: time.Minute})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	if err := c.Set(ctx, "k", "1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok {
		t.Fatalf("read: %v %v", ok, err)
	}
	st.Unreachable()
	if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != "1" {
		t.Fatalf("GetIfPresent while unreachable: %q %v %v, want the near copy", v, ok, err)
	}
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "1" || src.runs.Load() != 0 {
		t.Fatalf("Get while unreachable: %q %v (%d loads), want the near copy", v, err, src.runs.Load())
	}
	if s := c.Stats(); s.StaleIfError != 2 {
		t.Fatalf("StaleIfError = %d, want 2", s.StaleIfError)
	}
	if _, _, err := c.GetIfPresent(ctx, "other"); err == nil {
		t.Fatal("a key without a copy read without error from an unreachable store")
	}
}

func TestANearCopyIsNotServedStaleWithoutABound(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Near: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	if err := c.Set(ctx, "k", "1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok {
		t.Fatalf("read: %v %v", ok, err)
	}
	st.Unreachable()
	if _, _, err := c.GetIfPresent(ctx, "k"); err == nil {
		t.Fatal("a copy was served while unreachable, with no stale-if-error bound")
	}
}

func TestNearCopiesOfEntriesWithTimesAreReadThroughTheLookup(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Near: true})
	// Entries that record their write time are never served by the fast
	// path: the lookup classifies them, and still reads the copy.
	c := fakeCache(t, st, valcache.Options[string, string]{StaleWhileRevalidate: time.Minute, NegativeTTL: time.Minute})
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get: %q %v", v, err)
	}
	for range 2 {
		if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
			t.Fatalf("Get: %q %v", v, err)
		}
	}
	reads := st.Calls(fakestore.OpGetForNear)
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get: %q %v", v, err)
	}
	if n := st.Calls(fakestore.OpGetForNear); n != reads {
		t.Fatalf("a read of a kept copy went to the shared store")
	}
	if src.runs.Load() != 1 {
		t.Fatalf("loader ran %d times, want once", src.runs.Load())
	}
}

func TestBulkReadsServeNearCopiesFirst(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Near: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	if err := c.SetMany(ctx, map[string]string{"a": "1", "b": "2", "c": "3"}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		if _, ok, err := c.GetIfPresent(ctx, k); err != nil || !ok {
			t.Fatalf("read %s: %v %v", k, ok, err)
		}
	}
	got, err := bulkIfPresent(ctx, c, []string{"a", "b", "c"})
	if err != nil || len(got) != 3 || got["c"] != "3" {
		t.Fatalf("bulk read: %v %v", got, err)
	}
	if s := c.Stats(); s.L1Hits != 2 || s.L2Hits != 3 {
		t.Fatalf("L1Hits %d, L2Hits %d; want 2 from copies, and 3 from the store (two single reads, one bulk)", s.L1Hits, s.L2Hits)
	}
	if _, err := bulkIfPresent(ctx, c, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if n := st.Calls(fakestore.OpGetMany); n != 1 {
		t.Fatalf("a bulk read of copied keys went to the store (%d bulk reads)", n)
	}
}
