package valcache_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/valkeystore"
)

// These tests put a cache over a real Valkey that they kill, pause or
// hand an expired context, and check what a Get with a loader returns, how
// long it takes, how often the source is asked and what is left in the
// store afterwards.

// warnings counts the warnings a cache logs, and keeps their messages.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func (w *warnings) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "; ")
}

// faultRig is one Valkey server of the test's own, a provider and a cache
// over it, and a loader that counts its runs.
type faultRig struct {
	srv   *testserver.Server
	p     *valkeystore.Provider
	c     *valcache.Cache[string, string]
	warns *warnings
	loads atomic.Int64
}

func newFaultRig(t *testing.T, budget time.Duration) *faultRig {
	t.Helper()
	return newFaultRigWith(t, budget, budget)
}

// newFaultRigWith is newFaultRig with the provider's AtomicTimeout, the
// bound of its version steps, apart from the budgets.
func newFaultRigWith(t *testing.T, budget, atomic time.Duration) *faultRig {
	t.Helper()
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := valkeystore.New(ctx, valkeystore.Config{
		Addrs: []string{srv.Addr()}, KeyPrefix: "fault:",
		OperationTimeout: budget, AtomicTimeout: atomic, BulkTimeout: budget, FlushTimeout: budget,
		SkipPolicyCheck: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	r := &faultRig{srv: srv, p: p, warns: &warnings{}}
	r.c, err = valcache.New(p, valcache.Options[string, string]{
		Namespace: "fault", LoadTimeout: 2 * time.Second, Logger: slog.New(r.warns),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.c.Close() })
	// A first load while the server is up, so that its connection and the
	// versions it follows are there when the fault comes.
	if v, err := r.c.Get(t.Context(), "warm", r.load); err != nil || v != "value-of-warm" {
		t.Fatalf("Get before the fault: %q %v", v, err)
	}
	return r
}

func (r *faultRig) load(_ context.Context, k string) (string, error) {
	r.loads.Add(1)
	return "value-of-" + k, nil
}

// timedGet is one Get with a loader, and how long it took.
func (r *faultRig) timedGet(ctx context.Context, key string) (string, time.Duration, error) {
	began := time.Now()
	v, err := r.c.Get(ctx, key, r.load)
	return v, time.Since(began), err
}

// wantServedOnce checks calls Gets of fresh keys against the failed store:
// each returns its loaded value within bound, the loader runs exactly once
// per call, and the failure is counted once per call and logged once for
// the outage.
func (r *faultRig) wantServedOnce(t *testing.T, what string, calls int, deadline, bound time.Duration) {
	t.Helper()
	loads0, errs0, warns0 := r.loads.Load(), r.c.Stats().StoreErrors, r.warns.count()
	var worst time.Duration
	for i := range calls {
		ctx, cancel := t.Context(), context.CancelFunc(func() {})
		if deadline > 0 {
			ctx, cancel = context.WithTimeout(t.Context(), deadline)
		}
		key := fmt.Sprintf("%s-%d", what, i)
		v, took, err := r.timedGet(ctx, key)
		cancel()
		if err != nil || v != "value-of-"+key {
			t.Fatalf("%s: Get %d: %q %v after %v, want the loaded value", what, i, v, err, took)
		}
		if took > bound {
			t.Fatalf("%s: Get %d took %v, more than %v", what, i, took, bound)
		}
		worst = max(worst, took)
	}
	if n := r.loads.Load() - loads0; n != int64(calls) {
		t.Fatalf("%s: the loader ran %d times for %d Gets", what, n, calls)
	}
	if n := r.c.Stats().StoreErrors - errs0; n != uint64(calls) {
		t.Fatalf("%s: StoreErrors grew by %d for %d Gets, want one each", what, n, calls)
	}
	// One warning for the outage, not one per call: the first call of the
	// outage logs, the others are held back (see warnStore).
	if n := r.warns.count() - warns0; n > 1 || r.warns.count() == 0 {
		t.Fatalf("%s: %d warnings for %d Gets (%d in all), want one for the outage: %s", what, n, calls, r.warns.count(), r.warns)
	}
	t.Logf("%s: %d Gets served their loaded values, slowest %v", what, calls, worst.Round(time.Millisecond))
}

// wantNoStaleWrite runs a local load across the store's recovery: the
// load began while the store was down and ends after a newer value was
// written, and must not overwrite it.
func (r *faultRig) wantNoStaleWrite(t *testing.T, recover func() error) {
	t.Helper()
	release := make(chan struct{})
	started := make(chan struct{})
	slow := func(context.Context, string) (string, error) {
		close(started)
		<-release
		return "older", nil
	}
	got := make(chan error, 1)
	go func() {
		v, err := r.c.Get(context.Background(), "across", slow)
		if err == nil && v != "older" {
			err = fmt.Errorf("got %q, want the loaded value", v)
		}
		got <- err
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the load never started")
	}
	if err := recover(); err != nil {
		t.Fatal(err)
	}
	r.waitAnswers(t)
	if err := r.c.Set(t.Context(), "across", "newer"); err != nil {
		t.Fatalf("Set after recovery: %v", err)
	}
	close(release)
	if err := <-got; err != nil {
		t.Fatalf("the Get across the recovery: %v", err)
	}
	for range 3 {
		v, found, err := r.c.GetIfPresent(t.Context(), "across")
		if err != nil || !found || v != "newer" {
			t.Fatalf("after the load ended: %q found=%v %v, want the newer value", v, found, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAnswers waits, within a bound, until the store answers again.
func (r *faultRig) waitAnswers(t *testing.T) time.Duration {
	t.Helper()
	began := time.Now()
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		_, _, err := r.c.GetIfPresent(ctx, "probe")
		cancel()
		if err == nil {
			return time.Since(began)
		}
		if attempt >= 300 {
			t.Fatalf("the store did not answer again within %v: %v", time.Since(began), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A killed server: a Get with a loader returns the loaded value, whether
// its caller set a deadline shorter than the store's budget or none; the
// whole call stays within one budget (a refused connection is not waited
// out step after step); the failure is counted and logged once.
func TestGetServesLoadedValuesWhileTheStoreIsKilled(t *testing.T) {
	const budget = 2 * time.Second
	r := newFaultRig(t, budget)
	if err := r.srv.Kill(); err != nil {
		t.Fatal(err)
	}
	r.wantServedOnce(t, "caller deadline 200ms", 20, 200*time.Millisecond, 200*time.Millisecond+time.Second)
	r.wantServedOnce(t, "no caller deadline", 4, 0, budget+time.Second)
	r.wantNoStaleWrite(t, r.srv.Restart)
}

// A hung server (SIGSTOP): without a caller's deadline a Get waits for the
// store once, for its budget, and then returns the loaded value; a caller
// whose own deadline comes first gets the context's error, which is not
// counted or logged as a store failure and starts no load.
func TestGetServesLoadedValuesWhileTheStoreHangs(t *testing.T) {
	const budget = 1500 * time.Millisecond
	r := newFaultRig(t, budget)
	if err := r.srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.srv.Resume() })
	r.wantServedOnce(t, "no caller deadline", 3, 0, budget+time.Second)

	loads0, errs0, warns0 := r.loads.Load(), r.c.Stats().StoreErrors, r.warns.count()
	const short = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), short)
	v, took, err := r.timedGet(ctx, "impatient")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, valcache.ErrUnavailable) {
		t.Fatalf("a caller's deadline before the budget's: %q %v, want context.DeadlineExceeded and not ErrUnavailable", v, err)
	}
	if took > short+time.Second {
		t.Fatalf("a Get with a %v deadline took %v", short, took)
	}
	time.Sleep(budget + 200*time.Millisecond) // time for a detached load to show itself
	if n := r.loads.Load() - loads0; n != 0 {
		t.Fatalf("the loader ran %d times for a caller that gave up", n)
	}
	if n := r.c.Stats().StoreErrors - errs0; n != 0 {
		t.Fatalf("a caller's own deadline counted %d store errors", n)
	}
	if n := r.warns.count() - warns0; n != 0 {
		t.Fatalf("a caller's own deadline logged %d warnings: %s", n, r.warns)
	}
	r.wantNoStaleWrite(t, r.srv.Resume)
}

// A context that is already done when the call is made: the call returns
// its error, touches nothing, counts and logs nothing, and runs no load.
func TestAnExpiredContextStartsNothing(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: []string{srv.Addr()}, SkipPolicyCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	mem, err := memory.New(memory.Config{MaxEntries: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close() })
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancelNow := context.WithCancel(t.Context())
	cancelNow()
	for name, provider := range map[string]driver.Provider{"valkey": p, "memory": mem} {
		warns := &warnings{}
		c, err := valcache.New(provider, valcache.Options[string, string]{Namespace: "expired", Logger: slog.New(warns)})
		if err != nil {
			t.Fatal(err)
		}
		var loads atomic.Int32
		load := func(context.Context, string) (string, error) { loads.Add(1); return "v", nil }
		for ctxName, tc := range map[string]struct {
			ctx  context.Context
			want error
		}{"expired": {expired, context.DeadlineExceeded}, "cancelled": {cancelled, context.Canceled}} {
			_, err := c.Get(tc.ctx, "k-"+ctxName, load)
			if !errors.Is(err, tc.want) || errors.Is(err, valcache.ErrUnavailable) {
				t.Errorf("%s: Get with an %s context: %v, want %v and not ErrUnavailable", name, ctxName, err, tc.want)
			}
			if _, err := c.Fetch(tc.ctx, "k-"+ctxName, load, valcache.LoadOptions{}); !errors.Is(err, tc.want) {
				t.Errorf("%s: Fetch with an %s context: %v, want %v", name, ctxName, err, tc.want)
			}
		}
		time.Sleep(300 * time.Millisecond) // time for a detached load to show itself
		if n := loads.Load(); n != 0 {
			t.Errorf("%s: the loader ran %d times for calls whose context was done", name, n)
		}
		if n := c.Stats().StoreErrors; n != 0 {
			t.Errorf("%s: %d store errors counted for the caller's own context", name, n)
		}
		if n := warns.count(); n != 0 {
			t.Errorf("%s: %d warnings for the caller's own context: %s", name, n, warns)
		}
		_ = c.Close()
	}
}

// A hung server, and calls whose steps include version steps, which the
// provider bounds by an AtomicTimeout far longer than the budgets: each
// call still ends within its budget, with ErrUnavailable.
func TestEveryCallEndsWithinItsBudget(t *testing.T) {
	const budget = time.Second
	r := newFaultRigWith(t, budget, 20*time.Second)
	if err := r.srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.srv.Resume() })
	ctx := t.Context()
	calls := map[string]func() error{
		"Set with a new tag": func() error {
			return r.c.SetWith(ctx, "k", "v", valcache.SetOptions{Tags: []string{"new-tag"}})
		},
		"Stamp":          func() error { _, err := r.c.Stamp(ctx, "another-tag"); return err },
		"InvalidateTags": func() error { return r.c.InvalidateTags(ctx, "t") },
		"Clear":          func() error { return r.c.Clear(ctx) },
		"SetMany with a tag": func() error {
			return r.c.SetManyWith(ctx, map[string]string{"a": "1", "b": "2"}, valcache.SetOptions{Tags: []string{"bulk-tag"}})
		},
		"GetMany": func() error { _, err := r.c.GetManyIfPresent(ctx, []string{"a", "b"}); return err },
	}
	var wg sync.WaitGroup
	for name, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			err := call()
			took := time.Since(began)
			if !errors.Is(err, valcache.ErrUnavailable) {
				t.Errorf("%s against a hung server: %v, want ErrUnavailable", name, err)
			}
			if took > budget+time.Second {
				t.Errorf("%s took %v, more than its budget %v and a second", name, took, budget)
			}
		}()
	}
	wg.Wait()
}
