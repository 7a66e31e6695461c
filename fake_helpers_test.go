package valcache_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/fakestore"
)

// These helpers put caches over the in-process fake of a byte-storing
// provider, so the facade's load, near and bulk paths run without servers.

// fakeCache returns a cache of namespace "ns" over st, closed when the
// test ends.
func fakeCache[V any](t *testing.T, st *fakestore.Store, opts valcache.Options[string, V]) *valcache.Cache[string, V] {
	t.Helper()
	if opts.Namespace == "" {
		opts.Namespace = "ns"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := valcache.New(st.Provider(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newFake returns a fresh fake store, closed when the test ends.
func newFake(t *testing.T, cfg fakestore.Config) *fakestore.Store {
	t.Helper()
	st := fakestore.New(cfg)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// peer returns another process's client of st's store.
func peer(t *testing.T, st *fakestore.Store) *fakestore.Store {
	t.Helper()
	p := st.Peer()
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func dkey(id string) driver.Key { return driver.Key{Namespace: "ns", ID: id} }

// The two bulk reads, named for what the tests mean by them.

// bulkIfPresent reads keys without loading.
func bulkIfPresent[K comparable, V any](ctx context.Context, c *valcache.Cache[K, V], keys []K) (map[K]V, error) {
	return c.GetManyIfPresent(ctx, keys)
}

// bulkLoad reads keys, loading the missing ones with load.
func bulkLoad[K comparable, V any](ctx context.Context, c *valcache.Cache[K, V], keys []K, load valcache.BulkLoader[K, V], o valcache.LoadOptions) (map[K]V, error) {
	return c.GetMany(ctx, keys, load, o)
}

// source is a loader that counts its runs and answers "v:" + key, or
// what its fields say.
type source struct {
	runs atomic.Int64
	// gate, when set, is waited for by each run (a slow source).
	gate chan struct{}
	// started is signalled when a run begins.
	started chan string
	mu      sync.Mutex
	err     error // returned instead of a value when set
	prefix  string
}

func newSource() *source { return &source{started: make(chan string, 64), prefix: "v:"} }

func (s *source) load(ctx context.Context, k string) (string, error) {
	s.runs.Add(1)
	select {
	case s.started <- k:
	default:
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	return s.prefix + k, nil
}

func (s *source) set(prefix string, err error) {
	s.mu.Lock()
	s.prefix, s.err = prefix, err
	s.mu.Unlock()
}

// eventually polls cond until it holds, failing the test after a bound
// generous enough for a loaded machine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after 20s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStarted waits for a run of s to begin.
func waitStarted(t *testing.T, s *source) string {
	t.Helper()
	select {
	case k := <-s.started:
		return k
	case <-time.After(20 * time.Second):
		t.Fatal("the loader did not start within 20s")
		return ""
	}
}

// idHook is a WriteHook of string values that keeps the IDs it heard of.
type idHook struct {
	mu      sync.Mutex
	stored  []string
	deleted []string
}

func (r *idHook) Stored(_ context.Context, es []valcache.StoredEntry[string]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range es {
		r.stored = append(r.stored, e.ID)
	}
}

func (r *idHook) Deleted(_ context.Context, ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, ids...)
}

func (r *idHook) heard() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stored...), append([]string(nil), r.deleted...)
}
