package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestOneLoadForManyCallers(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New[string, int]()
	defer g.Close()
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	results := make(chan int, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := g.Do(context.Background(), "k", time.Second, load)
			if err != nil {
				t.Error(err)
			}
			results <- v
		}()
	}
	// Release the load only once every other caller has joined it.
	waitUntil(t, func() bool { return joiners(g, "k") == 99 })
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != 42 {
			t.Fatalf("got %d", v)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("the load ran %d times for 100 concurrent callers", n)
	}
}

func TestACancelledFirstCallerFailsNobodyElse(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New[string, int]()
	defer g.Close()
	release := make(chan struct{})
	load := func(ctx context.Context) (int, error) {
		select {
		case <-release:
			return 7, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	first, cancelFirst := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, _, err := g.Do(first, "k", time.Second, load)
		firstDone <- err
	}()
	waitUntil(t, func() bool { return started(g, "k") })
	secondDone := make(chan int, 1)
	go func() {
		v, shared, err := g.Do(context.Background(), "k", time.Second, load)
		if err != nil || !shared {
			t.Errorf("second caller: shared=%v err=%v", shared, err)
		}
		secondDone <- v
	}()
	waitUntil(t, func() bool { return joiners(g, "k") == 1 })
	cancelFirst()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v, want its own cancellation", err)
	}
	close(release)
	if v := <-secondDone; v != 7 {
		t.Fatalf("second caller got %d, want the load's 7", v)
	}
}

func TestTheLoadHasItsOwnDeadline(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New[string, int]()
	defer g.Close()
	_, _, err := g.Do(context.Background(), "k", 30*time.Millisecond, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the load's deadline", err)
	}
}

type ctxKey struct{}

func TestTheLoadSeesTheFirstCallersValues(t *testing.T) {
	g := New[string, string]()
	defer g.Close()
	ctx := context.WithValue(context.Background(), ctxKey{}, "trace-1")
	v, _, err := g.Do(ctx, "k", time.Second, func(ctx context.Context) (string, error) {
		s, _ := ctx.Value(ctxKey{}).(string)
		return s, nil
	})
	if err != nil || v != "trace-1" {
		t.Fatalf("got %q, %v", v, err)
	}
}

func TestAPanicBecomesAnErrorForEveryWaiter(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New[string, int]()
	defer g.Close()
	start := make(chan struct{})
	load := func(context.Context) (int, error) {
		<-start
		panic("boom")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := g.Do(context.Background(), "k", time.Second, load)
			errs <- err
		}()
	}
	waitUntil(t, func() bool { return joiners(g, "k") == 4 })
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" || len(pe.Stack) == 0 {
			t.Fatalf("got %v, want a *PanicError with the value and a stack", err)
		}
	}
	// The key is free again.
	if v, _, err := g.Do(context.Background(), "k", time.Second, func(context.Context) (int, error) { return 1, nil }); err != nil || v != 1 {
		t.Fatalf("after a panic: %d %v", v, err)
	}
}

func TestCloseCancelsAndWaitsForLoads(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New[string, int]()
	started := make(chan struct{})
	var sawCancel atomic.Bool
	go func() {
		_, _, _ = g.Do(context.Background(), "k", time.Hour, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			sawCancel.Store(true)
			return 0, ctx.Err()
		})
	}()
	<-started
	g.Close()
	if !sawCancel.Load() {
		t.Fatal("Close returned before the load had ended")
	}
	if _, _, err := g.Do(context.Background(), "k", time.Second, func(context.Context) (int, error) { return 1, nil }); err == nil {
		t.Fatal("Do after Close succeeded")
	}
}

func TestDoManyLoadsTheRestOnceAndJoinsRunningLoads(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New[int, string]()
	defer g.Close()
	notFound := errors.New("not found")
	release := make(chan struct{})
	singleDone := make(chan string, 1)
	go func() {
		v, _, _ := g.Do(context.Background(), 1, time.Second, func(context.Context) (string, error) {
			<-release
			return "single-1", nil
		})
		singleDone <- v
	}()
	waitUntil(t, func() bool { return started(g, 1) })
	var batches atomic.Int32
	var asked []int
	go func() {
		waitUntil(t, func() bool { return joiners(g, 1) == 1 }) // DoMany joined the single load
		close(release)
	}()
	values, errs, err := g.DoMany(context.Background(), []int{1, 2, 3, 2}, time.Second, notFound, func(_ context.Context, keys []int) (map[int]string, error) {
		batches.Add(1)
		asked = keys
		return map[int]string{2: "two"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if batches.Load() != 1 || len(asked) != 2 {
		t.Fatalf("bulk loader ran %d times for keys %v; want once, for 2 and 3 only", batches.Load(), asked)
	}
	if values[1] != "single-1" || values[2] != "two" || !errors.Is(errs[3], notFound) {
		t.Fatalf("values %v errors %v", values, errs)
	}
	if v := <-singleDone; v != "single-1" {
		t.Fatalf("the single load got %q", v)
	}
}

// joiners is how many callers joined the running load of key.
func joiners[K comparable, V any](g *Group[K, V], key K) int32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.calls[key]; ok {
		return c.joiners.Load()
	}
	return 0
}

// started reports whether a load of key is running.
func started[K comparable, V any](g *Group[K, V], key K) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.calls[key]
	return ok
}

// waitUntil polls cond, for at most ten seconds.
func waitUntil(t *testing.T, cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Error("condition not met within 10s")
			return
		}
		time.Sleep(time.Millisecond)
	}
}
