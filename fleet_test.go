package valcache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/fakestore"
)

// Fleet loads: caches over peers of one fake store play processes that
// share a Valkey, and elect one loader per key between them.

type got struct {
	v   string
	err error
}

func getAsync(ctx context.Context, c *valcache.Cache[string, string], key string, load valcache.Loader[string, string]) <-chan got {
	ch := make(chan got, 1)
	go func() {
		v, err := c.Get(ctx, key, load)
		ch <- got{v, err}
	}()
	return ch
}

func receive(t *testing.T, ch <-chan got) got {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(20 * time.Second):
		t.Fatal("no answer within 20s")
		return got{}
	}
}

func TestFleetLoadsAColdKeyOnceForEveryProcess(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 2})
	other := peer(t, st)
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, other, valcache.Options[string, string]{})
	src := newSource()
	src.gate = make(chan struct{})
	first := getAsync(ctx, a, "k", src.load)
	waitStarted(t, src)
	second := getAsync(ctx, b, "k", src.load)
	// b finds a's placeholder and waits for a's load.
	eventually(t, "the second process waits for the first's load", func() bool { return b.Stats().FleetWaits > 0 })
	close(src.gate)
	for _, ch := range []<-chan got{first, second} {
		if g := receive(t, ch); g.err != nil || g.v != "v:k" {
			t.Fatalf("Get: %q %v, want v:k", g.v, g.err)
		}
	}
	if n := src.runs.Load(); n != 1 {
		t.Fatalf("the loader ran %d times for two processes, want once", n)
	}
	if v, ok, err := b.GetIfPresent(ctx, "k"); err != nil || !ok || v != "v:k" {
		t.Fatalf("GetIfPresent after the fleet load: %q %v %v", v, ok, err)
	}
}

func TestAFailedFleetLoadAnswersItsWaitersWithItsError(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	src := newSource()
	src.gate = make(chan struct{})
	src.set("", errors.New("source down"))
	first := getAsync(ctx, a, "k", src.load)
	waitStarted(t, src)
	second := getAsync(ctx, b, "k", src.load)
	eventually(t, "the second process waits", func() bool { return b.Stats().FleetWaits > 0 })
	close(src.gate)
	if g := receive(t, first); g.err == nil || g.err.Error() != "source down" {
		t.Fatalf("the loader's own caller got %q %v, want its error", g.v, g.err)
	}
	g := receive(t, second)
	var lf *driver.LoadFailedError
	if !errors.As(g.err, &lf) || lf.Reason != "source down" {
		t.Fatalf("the waiter got %q %v, want the load's failure", g.v, g.err)
	}
	if n := src.runs.Load(); n != 1 {
		t.Fatalf("the failing source was asked %d times, want once", n)
	}
	// Errors are not cached: the next caller loads afresh, over the mark.
	src.set("v:", nil)
	if v, err := b.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get after the failure: %q %v", v, err)
	}
}

func TestAFailedReloadPutsTheStaleValueBackForStaleIfError(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	const ttl = 50 * time.Millisecond
	c := fakeCache(t, st, valcache.Options[string, string]{TTL: ttl, StaleIfError: time.Minute})
	if err := c.Set(ctx, "k", "old"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Now().Add(ttl + 20*time.Millisecond))) // stale for sure: the write was before now
	src := newSource()
	src.set("", errors.New("source down"))
	r, err := c.Fetch(ctx, "k", src.load, valcache.LoadOptions{})
	if err != nil || r.Value != "old" || !r.Stale || r.LoadErr == nil {
		t.Fatalf("Fetch of a stale key whose reload fails: %+v %v, want the stale value with the load's error", r, err)
	}
	if st.Loading(dkey("k")) {
		t.Fatal("the failed reload left its placeholder")
	}
	if _, ok := st.Raw(dkey("k")); !ok {
		t.Fatal("the stale entry was not put back after the failed reload")
	}
	// The stale value keeps answering while the source is down.
	if r, err := c.Fetch(ctx, "k", src.load, valcache.LoadOptions{}); err != nil || r.Value != "old" || !r.Stale {
		t.Fatalf("second Fetch: %+v %v", r, err)
	}
	if s := c.Stats(); s.StaleIfError < 2 {
		t.Fatalf("StaleIfError = %d, want 2", s.StaleIfError)
	}
}

func TestAWriteDuringAFleetLoadWinsOverTheLoad(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	src := newSource()
	src.gate = make(chan struct{})
	loading := getAsync(ctx, a, "k", src.load)
	waitStarted(t, src)
	if err := b.Set(ctx, "k", "written"); err != nil {
		t.Fatal(err)
	}
	close(src.gate)
	if g := receive(t, loading); g.err != nil || g.v != "v:k" {
		t.Fatalf("the loader's caller got %q %v, want its loaded value", g.v, g.err)
	}
	for name, c := range map[string]*valcache.Cache[string, string]{"loader": a, "writer": b} {
		if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != "written" {
			t.Fatalf("%s reads %q %v %v, want the write made during the load", name, v, ok, err)
		}
	}
}

func TestALostReplyOfALoadsWriteIsSentAgain(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Budgets: driver.Budgets{Single: 5 * time.Second, Bulk: 5 * time.Second, Flush: 5 * time.Second}})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpSetLoaded}, Lost: true, Times: 1})
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get: %q %v", v, err)
	}
	if n := st.Calls(fakestore.OpSetLoaded); n != 2 {
		t.Fatalf("SetLoaded sent %d times, want twice (once more after the lost reply)", n)
	}
	if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != "v:k" {
		t.Fatalf("GetIfPresent: %q %v %v, want the loaded value cached", v, ok, err)
	}
}

func TestAFlakyElectionIsTriedAgainWithinTheBudget(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Budgets: driver.Budgets{Single: 5 * time.Second, Bulk: 5 * time.Second, Flush: 5 * time.Second}})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpAcquireLoad}, Err: driver.ErrUnavailable, Times: 2})
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get: %q %v", v, err)
	}
	if n := st.Calls(fakestore.OpAcquireLoad); n != 3 {
		t.Fatalf("AcquireLoad sent %d times, want 3 (two failures, then the election)", n)
	}
	if _, ok := st.Raw(dkey("k")); !ok {
		t.Fatal("the value loaded after the retried election was not cached")
	}
	if s := c.Stats(); s.StoreErrors != 1 || s.Loads != 1 {
		t.Fatalf("StoreErrors %d, Loads %d; want 1 and 1", s.StoreErrors, s.Loads)
	}
}

func TestALoaderPanicReleasesTheKeyForTheFleet(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	a := fakeCache(t, st, valcache.Options[string, string]{})
	b := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	_, err := a.Get(ctx, "k", func(context.Context, string) (string, error) { panic("boom") })
	var pe *valcache.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Get with a panicking loader: %v, want a *PanicError", err)
	}
	if st.Loading(dkey("k")) {
		t.Fatal("the panicked load kept its placeholder: the fleet would wait out its lease")
	}
	src := newSource()
	if v, err := b.Get(ctx, "k", src.load); err != nil || v != "v:k" || src.runs.Load() != 1 {
		t.Fatalf("another process's Get: %q %v after %d runs", v, err, src.runs.Load())
	}
}

func TestAnElectedLoadThatCannotStampIsServedNotCached(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpEnsureVersions}})
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get: %q %v", v, err)
	}
	if st.Loading(dkey("k")) {
		t.Fatal("the load kept its placeholder after failing to stamp")
	}
	if _, ok := st.Raw(dkey("k")); ok {
		t.Fatal("an unstamped value was cached")
	}
}

func TestGetLoadsButWritesNothingWhileTheStoreIsUnreachable(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Unreachable()
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get while unreachable: %q %v", v, err)
	}
	if s := c.Stats(); s.StoreErrors != 1 {
		t.Fatalf("StoreErrors = %d, want 1", s.StoreErrors)
	}
	st.Heal()
	if _, ok := st.Raw(dkey("k")); ok {
		t.Fatal("a value loaded while the store was away was written")
	}
}

func TestAWaiterLoadsItselfWhenTheLeaseRunsOut(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	// A placeholder left by a process that died: nobody will end it but
	// its lease.
	if _, ok, _, err := st.AcquireLoad(ctx, dkey("k"), 300*time.Millisecond, nil); err != nil || !ok {
		t.Fatalf("AcquireLoad: %v %v", ok, err)
	}
	c := fakeCache(t, peer(t, st), valcache.Options[string, string]{})
	src := newSource()
	if v, err := c.Get(ctx, "k", src.load); err != nil || v != "v:k" {
		t.Fatalf("Get behind a dead loader: %q %v", v, err)
	}
	if s := c.Stats(); s.FleetWaits == 0 || src.runs.Load() != 1 {
		t.Fatalf("FleetWaits %d, runs %d: want a wait, then one load", s.FleetWaits, src.runs.Load())
	}
}
