package cachetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

var loadCases = []testCase{
	{"AWriteOrDeleteDuringTheLoadWins", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		for _, action := range []string{"set", "delete"} {
			key := "k-" + action
			if action == "delete" {
				if err := c.Set(ctxFor(t), key, "old"); err != nil {
					t.Fatal(err)
				}
				if err := c.Delete(ctxFor(t), key); err != nil {
					t.Fatal(err)
				}
			}
			inLoad, release := make(chan struct{}), make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = c.Get(ctxFor(t), key, func(context.Context, string) (string, error) {
					close(inLoad)
					<-release
					return "from-source", nil
				})
			}()
			<-inLoad
			var err error
			if action == "set" {
				err = c.Set(ctxFor(t), key, "written-during-load")
			} else {
				err = c.Delete(ctxFor(t), key)
			}
			if err != nil {
				t.Fatal(err)
			}
			close(release)
			<-done
			v, found, err := c.GetIfPresent(ctxFor(t), key)
			switch {
			case err != nil:
				t.Fatal(err)
			case action == "set" && v != "written-during-load":
				t.Fatalf("a Set during the load was overwritten by the load: %q", v)
			case action == "delete" && found:
				t.Fatalf("a Delete during the load was undone by the load: %q", v)
			}
		}
	}},
	{"AfterALoaderPanicsTheNextLoadRunsAtOnce", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{LoadTimeout: 5 * time.Second})
		_, _ = c.Get(ctxFor(t), "k", func(context.Context, string) (string, error) { panic("loader bug") })
		began := time.Now()
		v, err := c.Get(ctxFor(t), "k", func(context.Context, string) (string, error) { return "ok", nil })
		if err != nil || v != "ok" {
			t.Fatalf("Get after a panicking load: %q %v", v, err)
		}
		if took := time.Since(began); took > time.Second {
			t.Fatalf("the next load waited %v: the panicking load kept the key", took)
		}
	}},
	{"OneLoadForConcurrentCallers", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		var loads atomic.Int32
		load := func(ctx context.Context, k string) (string, error) {
			loads.Add(1)
			time.Sleep(50 * time.Millisecond)
			return "v-" + k, nil
		}
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := c.Get(ctxFor(t), "cold", load)
				if err != nil || v != "v-cold" {
					errs <- fmt.Errorf("Get = %q, %v", v, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := loads.Load(); n != 1 {
			t.Fatalf("the loader ran %d times for 50 concurrent callers of a cold key", n)
		}
		if v, err := c.Get(ctxFor(t), "cold", load); err != nil || v != "v-cold" || loads.Load() != 1 {
			t.Fatalf("Get after the load: %q %v, loads %d; want a hit", v, err, loads.Load())
		}
		wantGet(t, c, "cold", "v-cold")
	}},
	{"LoaderErrorsAreReturnedNotCached", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		boom := errors.New("source down")
		var loads atomic.Int32
		load := func(context.Context, string) (string, error) {
			if loads.Add(1) == 1 {
				return "", boom
			}
			return "ok", nil
		}
		if _, err := c.Get(ctxFor(t), "k", load); !errors.Is(err, boom) {
			t.Fatalf("Get: %v, want the loader's error", err)
		}
		if v, err := c.Get(ctxFor(t), "k", load); err != nil || v != "ok" {
			t.Fatalf("Get after a failed load: %q %v", v, err)
		}
	}},
	{"LoaderPanicIsAnErrorForEveryWaiter", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		release := make(chan struct{})
		load := func(context.Context, string) (string, error) {
			<-release
			panic("loader bug")
		}
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Get(ctxFor(t), "k", load)
				errs <- err
			}()
		}
		time.Sleep(30 * time.Millisecond)
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			var pe *valcache.PanicError
			if !errors.As(err, &pe) || pe.Value != "loader bug" {
				t.Fatalf("Get with a panicking loader: %v, want a *valcache.PanicError", err)
			}
		}
		wantNoGet(t, c, "k")
	}},
	{"ACallerThatGivesUpFailsNoOtherCaller", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		release := make(chan struct{})
		var loads atomic.Int32
		load := func(ctx context.Context, k string) (string, error) {
			loads.Add(1)
			select {
			case <-release:
				return "loaded", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		impatient, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		patient := make(chan error, 1)
		go func() {
			time.Sleep(10 * time.Millisecond)
			v, err := c.Get(ctxFor(t), "k", load)
			if err == nil && v != "loaded" {
				err = fmt.Errorf("got %q", v)
			}
			patient <- err
		}()
		if _, err := c.Get(impatient, "k", load); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the impatient caller: %v, want its own deadline", err)
		}
		close(release)
		if err := <-patient; err != nil {
			t.Fatalf("the patient caller failed with the impatient one: %v", err)
		}
		if n := loads.Load(); n != 1 {
			t.Fatalf("the loader ran %d times", n)
		}
		wantGet(t, c, "k", "loaded")
	}},
	{"TheLoadHasItsOwnTimeout", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{LoadTimeout: 50 * time.Millisecond})
		_, err := c.Get(ctxFor(t), "k", func(ctx context.Context, _ string) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get with a loader that outlives LoadTimeout: %v", err)
		}
	}},
	{"CloseCancelsRunningLoads", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{LoadTimeout: time.Hour})
		started := make(chan struct{})
		go func() {
			_, _ = c.Get(context.Background(), "k", func(ctx context.Context, _ string) (string, error) {
				close(started)
				<-ctx.Done()
				return "", ctx.Err()
			})
		}()
		<-started
		done := make(chan struct{})
		go func() { _ = c.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not cancel and wait for the running load")
		}
		if _, err := c.Get(ctxFor(t), "k", func(context.Context, string) (string, error) { return "v", nil }); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("Get after Close: %v, want ErrClosed", err)
		}
	}},
}

// loadTagCases need versions.
var loadTagCases = []testCase{
	{"LoadedEntriesAreTagged", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[int, string]{})
		var loads atomic.Int32
		load := func(_ context.Context, k int) (string, error) {
			return fmt.Sprintf("v%d-%d", k, loads.Add(1)), nil
		}
		tagged := valcache.LoadOptions{Tags: []string{"user:1"}}
		if v, err := fetchValue(t, c, 1, load, tagged); err != nil || v != "v1-1" {
			t.Fatalf("first load: %q %v", v, err)
		}
		if err := c.InvalidateTags(ctxFor(t), "user:1"); err != nil {
			t.Fatal(err)
		}
		if v, err := fetchValue(t, c, 1, load, tagged); err != nil || v != "v1-2" {
			t.Fatalf("after invalidation: %q %v, want a second load", v, err)
		}
	}},
	{"AnInvalidationDuringTheLoadWins", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[int, string]{})
		inLoad := make(chan struct{})
		release := make(chan struct{})
		var loads atomic.Int32
		load := func(_ context.Context, k int) (string, error) {
			if loads.Add(1) == 1 {
				close(inLoad)
				<-release // the source changes and is invalidated meanwhile
				return "stale", nil
			}
			return "fresh", nil
		}
		tagged := valcache.LoadOptions{Tags: []string{"row"}}
		got := make(chan string, 1)
		go func() {
			v, _ := fetchValue(t, c, 1, load, tagged)
			got <- v
		}()
		<-inLoad
		if err := c.InvalidateTags(ctxFor(t), "row"); err != nil {
			t.Fatal(err)
		}
		close(release)
		<-got
		if v, err := fetchValue(t, c, 1, load, tagged); err != nil || v != "fresh" {
			t.Fatalf("after an invalidation during the load: %q %v; the stale load was cached", v, err)
		}
	}},
}
