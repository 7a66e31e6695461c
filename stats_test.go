package valcache_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

func newMemoryCache[V any](t *testing.T, opts valcache.Options[string, V]) *valcache.Cache[string, V] {
	t.Helper()
	p, err := memory.New(memory.Config{MaxEntries: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if opts.Namespace == "" {
		opts.Namespace = "ns"
	}
	c, err := valcache.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestStatsCountHitsMissesAndLoads(t *testing.T) {
	ctx := context.Background()
	c := newMemoryCache(t, valcache.Options[string, int]{NegativeTTL: time.Minute})
	if err := c.Set(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	loader := func(_ context.Context, k string) (int, error) {
		switch k {
		case "gone":
			return 0, valcache.ErrNotFound
		case "bad":
			return 0, errors.New("source down")
		}
		return len(k), nil
	}
	for range 2 {
		if _, ok, err := c.GetIfPresent(ctx, "a"); !ok || err != nil {
			t.Fatal("a: miss", err)
		}
	}
	if v, err := c.Get(ctx, "a", loader); v != 1 || err != nil {
		t.Fatalf("Get a = %d, %v", v, err)
	}
	if _, ok, _ := c.GetIfPresent(ctx, "x"); ok {
		t.Fatal("x: hit")
	}
	if v, err := c.Get(ctx, "yy", loader); v != 2 || err != nil {
		t.Fatalf("Get yy = %d, %v", v, err)
	}
	want := valcache.Stats{Hits: 3, Misses: 2, Loads: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("after 3 hits and 2 misses: %+v, want %+v", got, want)
	}

	if _, err := c.Get(ctx, "bad", loader); err == nil {
		t.Fatal("bad: no error")
	}
	for range 2 { // the second is answered by the cached absence
		if _, err := c.Get(ctx, "gone", loader); !errors.Is(err, valcache.ErrNotFound) {
			t.Fatalf("gone: %v", err)
		}
	}
	if m, err := c.GetManyIfPresent(ctx, []string{"a", "yy", "nope"}); len(m) != 2 || err != nil {
		t.Fatalf("GetMany = %v, %v", m, err)
	}
	want = valcache.Stats{Hits: 3 + 1 + 2, Misses: 2 + 2 + 1, Loads: 3, LoadErrors: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("after a failed load, a cached absence and GetMany: %+v, want %+v", got, want)
	}
}

func TestStatsCountBulkLoads(t *testing.T) {
	ctx := context.Background()
	c := newMemoryCache(t, valcache.Options[string, int]{})
	if err := c.Set(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	calls := 0
	load := func(_ context.Context, keys []string) (map[string]int, error) {
		calls++
		out := map[string]int{}
		for _, k := range keys {
			out[k] = len(k)
		}
		return out, nil
	}
	m, err := c.GetMany(ctx, []string{"a", "bb", "ccc"}, load, valcache.LoadOptions{})
	if err != nil || len(m) != 3 {
		t.Fatalf("GetMany = %v, %v", m, err)
	}
	want := valcache.Stats{Hits: 1, Misses: 2, Loads: 1}
	if got := c.Stats(); got != want || calls != 1 {
		t.Fatalf("%+v after %d loader calls, want %+v after 1", got, calls, want)
	}
}

// inFlightDo counts goroutines waiting in a flight group's Do: the caller
// who started a load, and those who joined it.
func inFlightDo() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Count(string(buf[:n]), "internal/flight.(*Group[...]).Do(")
}

func TestStatsCountWaiters(t *testing.T) {
	ctx := context.Background()
	c := newMemoryCache(t, valcache.Options[string, int]{})
	started, release := make(chan struct{}), make(chan struct{})
	loader := func(context.Context, string) (int, error) {
		close(started)
		<-release
		return 7, nil
	}
	var wg sync.WaitGroup
	results := make(chan int, 4)
	get := func() {
		defer wg.Done()
		v, err := c.Get(ctx, "k", loader)
		if err != nil {
			t.Error(err)
		}
		results <- v
	}
	wg.Add(1)
	go get()
	<-started
	for range 3 {
		wg.Add(1)
		go get()
	}
	// Release only once all four wait in the flight: the three joined it.
	deadline := time.Now().Add(10 * time.Second)
	for inFlightDo() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers in the flight, want 4", inFlightDo())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != 7 {
			t.Fatalf("a caller got %d", v)
		}
	}
	want := valcache.Stats{Misses: 4, Loads: 1, Waiters: 3}
	if got := c.Stats(); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

func TestStatsCountStaleServesAndRefreshes(t *testing.T) {
	ctx := context.Background()
	c := newMemoryCache(t, valcache.Options[string, int]{TTL: 5 * time.Millisecond, StaleWhileRevalidate: time.Hour})
	if err := c.Set(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // past the TTL, within the stale window
	reloaded := make(chan struct{})
	r, err := c.Fetch(ctx, "k", func(context.Context, string) (int, error) {
		defer close(reloaded)
		return 2, nil
	}, valcache.LoadOptions{})
	if err != nil || !r.Stale || r.Value != 1 {
		t.Fatalf("Fetch = %+v, %v; want the stale 1", r, err)
	}
	<-reloaded
	_ = c.Close() // waits for the refresh to finish
	want := valcache.Stats{StaleServes: 1, Loads: 1, Refreshes: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

func TestStatsCountStaleIfError(t *testing.T) {
	ctx := context.Background()
	c := newMemoryCache(t, valcache.Options[string, int]{TTL: 5 * time.Millisecond, StaleIfError: time.Hour})
	if err := c.Set(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	failing := errors.New("source down")
	r, err := c.Fetch(ctx, "k", func(context.Context, string) (int, error) { return 0, failing }, valcache.LoadOptions{})
	if err != nil || !r.Stale || !errors.Is(r.LoadErr, failing) {
		t.Fatalf("Fetch = %+v, %v; want the stale value with the load's error", r, err)
	}
	want := valcache.Stats{Misses: 1, StaleServes: 1, StaleIfError: 1, Loads: 1, LoadErrors: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

func TestStatsCountInvalidations(t *testing.T) {
	ctx := context.Background()
	c := newMemoryCache(t, valcache.Options[string, int]{})
	if err := c.InvalidateTags(ctx, "t1", "t2"); err != nil {
		t.Fatal(err)
	}
	if err := c.InvalidateTags(ctx, "t3"); err != nil {
		t.Fatal(err)
	}
	if err := c.InvalidateTags(ctx, ""); err == nil {
		t.Fatal("empty tag accepted")
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	want := valcache.Stats{Invalidations: 2, InvalidatedTags: 3, Clears: 1}
	if got := c.Stats(); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

// recorder is a CacheObserver that writes down what it is told.
type recorder struct {
	mu     sync.Mutex
	info   valcache.CacheInfo
	events []string
	closed int
}

type ctxMark struct{}

func (r *recorder) Observe(info valcache.CacheInfo) valcache.CacheObserver {
	r.info = info
	return r
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) LoadStart(ctx context.Context, l valcache.Load) context.Context {
	r.add("load-start")
	return context.WithValue(ctx, ctxMark{}, "marked")
}

func (r *recorder) LoadDone(ctx context.Context, l valcache.Load, took time.Duration, err error) {
	if ctx.Value(ctxMark{}) != "marked" {
		r.add("load-done without LoadStart's context")
	}
	switch {
	case took <= 0:
		r.add("load-done without a duration")
	case err != nil:
		r.add("load-done error " + err.Error())
	default:
		r.add("load-done")
	}
}

func (r *recorder) CallStart(ctx context.Context, op valcache.Op) context.Context {
	r.add("call-start " + string(op))
	return ctx
}

func (r *recorder) CallDone(ctx context.Context, op valcache.Op, err error) {
	r.add("call-done " + string(op))
}

func (r *recorder) Close() { r.closed++ }

func TestObserverSeesLoadsButNoInProcessCalls(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	c := newMemoryCache(t, valcache.Options[string, int]{Namespace: "obs", Observer: rec})
	if rec.info.Namespace != "obs" || rec.info.Provider == nil || rec.info.Stats == nil {
		t.Fatalf("CacheInfo %+v", rec.info)
	}
	loader := func(ctx context.Context, k string) (int, error) {
		if ctx.Value(ctxMark{}) != "marked" {
			return 0, errors.New("loader without LoadStart's context")
		}
		if k == "bad" {
			return 0, errors.New("source down")
		}
		time.Sleep(time.Millisecond) // a measurable duration
		return 1, nil
	}
	for _, k := range []string{"a", "a", "bad"} {
		_, _ = c.Get(ctx, k, loader)
	}
	if err := c.Set(ctx, "b", 2); err != nil {
		t.Fatal(err)
	}
	want := []string{"load-start", "load-done", "load-start", "load-done error source down"}
	if strings.Join(rec.events, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", rec.events, want)
	}
	if s := rec.info.Stats(); s.Loads != 2 || s.Hits != 1 || s.LoadErrors != 1 {
		t.Fatalf("CacheInfo.Stats() = %+v", s)
	}
	_ = c.Close()
	_ = c.Close()
	if rec.closed != 1 {
		t.Fatalf("observer closed %d times, want once", rec.closed)
	}
}
