package valkeystore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/ratelimit"
	"github.com/valcache/valcache/session"
	"github.com/valcache/valcache/storage"
	"github.com/valcache/valcache/valkeystore"
)

// outageConfig keeps every deadline of the provider short, so that calls
// against a hung server end soon; each is still generous for a loaded
// machine against a server that answers.
func outageConfig(addrs []string) valkeystore.Config {
	const d = 700 * time.Millisecond
	return valkeystore.Config{
		Addrs: addrs, KeyPrefix: "outage:",
		OperationTimeout: d, AtomicTimeout: d, BulkTimeout: d, FlushTimeout: d, DialTimeout: d,
	}
}

// surfaces holds one user of the provider from every package over it.
type surfaces struct {
	cache   *valcache.Cache[string, string]
	store   *storage.ProviderStorage
	handler http.Handler
	cookie  *http.Cookie // names a session created while the server was up
	loadErr func() error // the error the session middleware last met
	locks   *lock.Locker
	limits  *ratelimit.Limiter
	manager *session.Manager
}

func newSurfaces(t *testing.T, p *valkeystore.Provider) *surfaces {
	t.Helper()
	store, err := storage.New(p, storage.Options{Prefix: "outage-storage"})
	if err != nil {
		t.Fatal(err)
	}
	s := &surfaces{store: store}
	if s.cache, err = valcache.New(p, valcache.Options[string, string]{Namespace: "outage-cache"}); err != nil {
		t.Fatal(err)
	}
	if s.locks, err = lock.New(p, lock.Config{}); err != nil {
		t.Fatal(err)
	}
	if s.limits, err = ratelimit.New(p, ratelimit.Config{Limit: ratelimit.PerSecond(1000)}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var last error
	s.loadErr = func() error {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
	quiet := slog.New(slog.DiscardHandler)
	if s.manager, err = session.New(p, session.Config{Logger: quiet, ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		mu.Lock()
		last = err
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}}); err != nil {
		t.Fatal(err)
	}
	s.handler = s.manager.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).SetString(r.Context(), "k", "v"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || len(rec.Result().Cookies()) == 0 {
		t.Fatalf("creating a session: status %d, cookies %v: %s", rec.Code, rec.Result().Cookies(), rec.Body)
	}
	s.cookie = rec.Result().Cookies()[0]
	return s
}

// calls makes one call of each kind, on keys named after name, and returns
// their errors by kind.
func (s *surfaces) calls(ctx context.Context, name string) map[string]error {
	errs := map[string]error{}
	errs["cache set"] = s.cache.Set(ctx, name, "v")
	_, _, errs["cache get"] = s.cache.GetIfPresent(ctx, name)
	errs["storage set"] = s.store.Set(ctx, name, []byte("v"), time.Minute)
	_, _, errs["storage get"] = s.store.Get(ctx, name)
	lease, err := s.locks.TryAcquire(ctx, name, lock.Options{TTL: time.Second})
	if err == nil {
		_ = lease.Release(context.Background())
	}
	errs["lock"] = err
	_, errs["rate limit"] = s.limits.Allow(ctx, name)
	errs["session logout"] = s.manager.LogoutEverywhere(ctx, name)
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	req.AddCookie(s.cookie)
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	if rec.Code == http.StatusServiceUnavailable {
		errs["session load"] = s.loadErr()
	} else {
		errs["session load"] = nil
	}
	return errs
}

// wantUnavailable fails for every call that did not fail with an error
// matching valcache.ErrUnavailable, or that matches a context error.
func wantUnavailable(t *testing.T, what string, errs map[string]error) {
	t.Helper()
	for kind, err := range errs {
		switch {
		case err == nil:
			t.Errorf("%s: %s succeeded", what, kind)
		case !errors.Is(err, valcache.ErrUnavailable):
			t.Errorf("%s: %s: %v does not match ErrUnavailable", what, kind, err)
		case errors.Is(err, context.Canceled):
			t.Errorf("%s: %s: %v matches context.Canceled", what, kind, err)
		}
	}
}

// recovers waits, within a generous bound, for every kind of call to work
// again on the same provider.
func recovers(t *testing.T, s *surfaces, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var failing []string
		for kind, err := range s.calls(t.Context(), name) {
			if err != nil {
				failing = append(failing, fmt.Sprintf("%s: %v", kind, err))
			}
		}
		if len(failing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 30s:\n%s", strings.Join(failing, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A killed server: every call fails with ErrUnavailable, the cause (the
// refused connection) stays in the chain, and calls work again once the
// server is back, on the same provider.
func TestOutageRefusedIsUnavailable(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	p := newProvider(t, outageConfig([]string{srv.Addr()}))
	s := newSurfaces(t, p)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	// The first calls may meet the connections the kill reset; later ones
	// are refused at connect.
	wantUnavailable(t, "server killed", s.calls(t.Context(), "a"))
	errs := s.calls(t.Context(), "b")
	wantUnavailable(t, "server killed", errs)
	if err := errs["cache get"]; !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("cache get against a killed server: %v, want the refused connection in the chain", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	recovers(t, s, "c")
}

// A hung server: calls end at the provider's own deadlines with
// ErrUnavailable; a call whose own caller's deadline or cancellation comes
// first reports the context's error and not ErrUnavailable.
func TestOutageHungIsUnavailable(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	p := newProvider(t, outageConfig([]string{srv.Addr()}))
	s := newSurfaces(t, p)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Resume() })

	errs := s.calls(t.Context(), "a")
	wantUnavailable(t, "server paused", errs)
	for kind, err := range errs {
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("server paused: %s: %v does not match context.DeadlineExceeded", kind, err)
		}
	}
	// The same calls under a caller's deadline shorter than the provider's.
	short, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	for kind, err := range s.calls(short, "b") {
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, valcache.ErrUnavailable) {
			t.Errorf("caller's deadline: %s: %v, want context.DeadlineExceeded and not ErrUnavailable", kind, err)
		}
	}
	// And under a caller's cancellation.
	cctx, cancelNow := context.WithCancel(t.Context())
	timer := time.AfterFunc(150*time.Millisecond, cancelNow)
	defer timer.Stop()
	for kind, err := range s.calls(cctx, "c") {
		if !errors.Is(err, context.Canceled) || errors.Is(err, valcache.ErrUnavailable) {
			t.Errorf("caller's cancellation: %s: %v, want context.Canceled and not ErrUnavailable", kind, err)
		}
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	recovers(t, s, "d")
}

// Faults of a cluster that keeps serving the slots it can
// (cluster-require-full-coverage no).
func TestOutageCluster(t *testing.T) {
	c, err := testserver.StartClusterWith(testserver.Options{Args: []string{"--cluster-require-full-coverage", "no"}})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	t.Run("SlotBackWithinBudget", func(t *testing.T) { testSlotBackWithinBudget(t, c) })
	t.Run("ShardDown", func(t *testing.T) { testShardDown(t, c) })
}

// A slot no node serves for a while (CLUSTERDOWN, then no node for the slot
// in the client's map) is waited out within the call's budget by a lock, a
// rate-limit check and a write, as by a read.
func testSlotBackWithinBudget(t *testing.T, c *testserver.Cluster) {
	cfg := outageConfig(c.Addrs())
	cfg.OperationTimeout, cfg.AtomicTimeout = 20*time.Second, 20*time.Second
	p := newProvider(t, cfg)
	locks, err := lock.New(p, lock.Config{})
	if err != nil {
		t.Fatal(err)
	}
	limits, err := ratelimit.New(p, ratelimit.Config{Limit: ratelimit.PerSecond(1000)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.New(p, storage.Options{Prefix: "slot-back"})
	if err != nil {
		t.Fatal(err)
	}
	key := driver.Key{Namespace: lock.DefaultNamespace, ID: "slot-back"}
	calls := map[string]func(ctx context.Context) error{
		"lock": func(ctx context.Context) error {
			lease, err := locks.TryAcquire(ctx, key.ID, lock.Options{TTL: time.Second})
			if err == nil {
				_ = lease.Release(context.Background())
			}
			return err
		},
		"rate limit": func(ctx context.Context) error {
			_, err := limits.Allow(ctx, key.ID)
			return err
		},
		"storage set": func(ctx context.Context) error {
			return st.Set(ctx, key.ID, []byte("v"), time.Minute)
		},
		"storage get": func(ctx context.Context) error {
			_, _, err := st.Get(ctx, key.ID)
			return err
		},
	}
	names := map[string]string{
		"lock":        p.LockKeyName(key),
		"rate limit":  p.RateKeyName(driver.Key{Namespace: ratelimit.DefaultNamespace, ID: key.ID}),
		"storage set": p.EntryKeyName(driver.Key{Namespace: "slot-back", ID: key.ID}),
	}
	names["storage get"] = names["storage set"]
	for kind, call := range calls {
		t.Run(strings.ReplaceAll(kind, " ", "-"), func(t *testing.T) {
			if err := call(t.Context()); err != nil {
				t.Fatalf("before: %v", err)
			}
			slot, owner := slotOwner(t, c, names[kind])
			for _, addr := range c.Primaries() {
				if _, err := testserver.Command(addr, "CLUSTER", "DELSLOTS", slot); err != nil {
					t.Fatalf("DELSLOTS %s on %s: %v", slot, addr, err)
				}
			}
			restored := make(chan error, 1)
			timer := time.AfterFunc(time.Second, func() {
				_, err := testserver.Command(owner, "CLUSTER", "ADDSLOTS", slot)
				restored <- err
			})
			defer timer.Stop()
			err := call(t.Context())
			if rerr := <-restored; rerr != nil {
				t.Fatalf("ADDSLOTS %s on %s: %v", slot, owner, rerr)
			}
			if err != nil {
				t.Fatalf("a call while slot %s was unserved for a second: %v, want it to wait within its budget", slot, err)
			}
		})
	}
}

// slotOwner returns the slot of a key and the primary serving it, once
// every primary agrees on it (an ADDSLOTS of an earlier case takes a moment
// to spread).
func slotOwner(t *testing.T, c *testserver.Cluster, key string) (slot, owner string) {
	t.Helper()
	v, err := testserver.Command(c.Primaries()[0], "CLUSTER", "KEYSLOT", key)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := v.(int64)
	deadline := time.Now().Add(20 * time.Second)
	for {
		owners := map[string]bool{}
		for _, addr := range c.Primaries() {
			owners[servingNode(addr, n)] = true
		}
		if len(owners) == 1 && !owners[""] {
			for o := range owners {
				return fmt.Sprint(n), o
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the primaries do not agree on who serves slot %d of %s within 20s: %v", n, key, owners)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// servingNode returns the primary that the node at addr says serves slot,
// or "" when it knows none.
func servingNode(addr string, slot int64) string {
	v, err := testserver.Command(addr, "CLUSTER", "SLOTS")
	if err != nil {
		return ""
	}
	ranges, _ := v.([]any)
	for _, r := range ranges {
		// [start, end, [host, port, id, ...], replicas...]
		f, _ := r.([]any)
		if len(f) < 3 {
			continue
		}
		start, _ := f[0].(int64)
		end, _ := f[1].(int64)
		node, _ := f[2].([]any)
		if slot < start || slot > end || len(node) < 2 {
			continue
		}
		host, _ := node[0].(string)
		port, _ := node[1].(int64)
		return fmt.Sprintf("%s:%d", host, port)
	}
	return ""
}

// A cluster with one shard down (primary and replica killed): calls on the
// lost slots fail with ErrUnavailable, whatever their kind, and calls on
// the others still work.
func testShardDown(t *testing.T, c *testserver.Cluster) {
	p := newProvider(t, outageConfig(c.Addrs()))
	s := newSurfaces(t, p)
	primaries := c.Primaries()
	shard, err := c.Shard(primaries[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range shard {
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	testserver.WaitShardFailed(t, primaries[1], shard)

	// Names spread over every slot group; about a third land on the lost
	// shard. The calls run side by side: each failing one lasts its budget.
	const names = 30
	results := make([]map[string]error, names)
	var wg sync.WaitGroup
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.calls(t.Context(), fmt.Sprintf("n%d", i))
		}()
	}
	wg.Wait()
	failed, worked := map[string]int{}, map[string]int{}
	for _, errs := range results {
		for kind, err := range errs {
			if err == nil {
				worked[kind]++
				continue
			}
			failed[kind]++
			if !errors.Is(err, valcache.ErrUnavailable) || errors.Is(err, context.Canceled) {
				t.Errorf("shard down: %s: %v does not match ErrUnavailable", kind, err)
			}
		}
	}
	for _, kind := range []string{"cache set", "cache get", "storage set", "storage get", "lock", "rate limit", "session logout"} {
		if failed[kind] == 0 || worked[kind] == 0 {
			t.Errorf("shard down: %s failed %d and worked %d times of %d, want some of each", kind, failed[kind], worked[kind], names)
		}
	}
}
