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
	"github.com/valcache/valcache/internal/fakestore"
)

// Bulk reads and writes over a byte store whose failures hit some keys
// only: what failed is named, the rest is done, and hooks hear of exactly
// what was written.

func wantFailedKeys(t *testing.T, what string, err error, keys ...string) {
	t.Helper()
	var kb *valcache.KeyedBatchError[string]
	if !errors.As(err, &kb) {
		t.Fatalf("%s: %v, want a *KeyedBatchError", what, err)
	}
	var failed []string
	for k := range kb.Failed {
		failed = append(failed, k)
	}
	slices.Sort(failed)
	if !slices.Equal(failed, keys) {
		t.Fatalf("%s: failed %q, want %q", what, failed, keys)
	}
}

func TestBulkWritesNameTheKeysTheyCouldNotWrite(t *testing.T) {
	for _, shape := range []struct {
		name string
		cfg  fakestore.Config
		op   fakestore.Op
	}{
		{"Batch", fakestore.Config{Followed: true}, fakestore.OpSetMany},
		{"OneByOne", fakestore.Config{Followed: true, NoBatch: true}, fakestore.OpSet},
	} {
		t.Run(shape.name, func(t *testing.T) {
			ctx := t.Context()
			st := newFake(t, shape.cfg)
			c := fakeCache(t, st, valcache.Options[string, string]{})
			hook := &idHook{}
			c.OnWrite(hook)
			st.Inject(fakestore.Fault{Ops: []fakestore.Op{shape.op}, Key: "b"})
			err := c.SetManyWith(ctx, map[string]string{"a": "1", "b": "2", "c": "3"}, valcache.SetOptions{Tags: []string{"t"}})
			wantFailedKeys(t, "SetManyWith", err, "b")
			stored, _ := hook.heard()
			slices.Sort(stored)
			if !slices.Equal(stored, []string{"a", "c"}) {
				t.Fatalf("the hook heard of %q, want exactly the written a and c", stored)
			}
			if st.IDs("ns") == nil || !slices.Equal(st.IDs("ns"), []string{"a", "c"}) {
				t.Fatalf("stored %q, want a and c", st.IDs("ns"))
			}
		})
	}
}

func TestBulkWritesFailOnlyTheGroupsTheyCannotStamp(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 4})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	values := map[string]string{}
	groupOf := map[string]int{}
	for i := range 16 {
		k := fmt.Sprintf("k%d", i)
		values[k] = "v"
		groupOf[k] = st.VersionGroup(dkey(k))
	}
	down := groupOf["k0"]
	var lost, kept []string
	for k, g := range groupOf {
		if g == down {
			lost = append(lost, k)
		} else {
			kept = append(kept, k)
		}
	}
	slices.Sort(lost)
	slices.Sort(kept)
	if len(kept) == 0 {
		t.Fatal("every key fell in one group; pick other keys")
	}
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpEnsureVersions}, Groups: []int{down}})
	err := c.SetMany(ctx, values)
	wantFailedKeys(t, "SetMany with one group down", err, lost...)
	if got := st.IDs("ns"); !slices.Equal(got, kept) {
		t.Fatalf("stored %q, want the keys of the groups that were up, %q", got, kept)
	}
	st.Heal()
	got, err := bulkIfPresent(ctx, c, append(append([]string(nil), kept...), lost...))
	if err != nil || len(got) != len(kept) {
		t.Fatalf("bulk read after healing: %d entries, %v; want %d", len(got), err, len(kept))
	}
}

func TestBulkWritesFailWholeWhenNoGroupCanBeStamped(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 2})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpEnsureVersions}, Groups: []int{0, 1}})
	values := map[string]string{}
	for i := range 8 {
		values[fmt.Sprintf("k%d", i)] = "v"
	}
	err := c.SetMany(ctx, values)
	var kb *valcache.KeyedBatchError[string]
	if !errors.As(err, &kb) || len(kb.Failed) != len(values) {
		t.Fatalf("SetMany with every group down: %v, want every key failed", err)
	}
	if ids := st.IDs("ns"); len(ids) != 0 {
		t.Fatalf("stored %q with every group down", ids)
	}
}

func TestBulkReadsReturnWhatTheyCouldRead(t *testing.T) {
	for _, shape := range []struct {
		name string
		cfg  fakestore.Config
		op   fakestore.Op
	}{
		{"Batch", fakestore.Config{Followed: true}, fakestore.OpGetMany},
		{"OneByOne", fakestore.Config{NoBatch: true}, fakestore.OpGet},
		{"Cells", fakestore.Config{Cells: true}, fakestore.OpGetMany},
	} {
		t.Run(shape.name, func(t *testing.T) {
			ctx := t.Context()
			st := newFake(t, shape.cfg)
			c := fakeCache(t, st, valcache.Options[string, string]{})
			if err := c.SetMany(ctx, map[string]string{"a": "1", "b": "2", "c": "3"}); err != nil {
				t.Fatal(err)
			}
			st.Inject(fakestore.Fault{Ops: []fakestore.Op{shape.op}, Key: "b"})
			got, err := bulkIfPresent(ctx, c, []string{"a", "b", "c", "d"})
			wantFailedKeys(t, "bulk read", err, "b")
			if len(got) != 2 || got["a"] != "1" || got["c"] != "3" {
				t.Fatalf("bulk read returned %v, want a and c", got)
			}
			st.Heal()
			st.Unreachable()
			if _, err := bulkIfPresent(ctx, c, []string{"a", "b"}); err == nil {
				t.Fatal("a bulk read of an unreachable store succeeded")
			}
		})
	}
}

// bulkSource is a BulkLoader that records the keys it was asked for and
// leaves out the keys in absent.
type bulkSource struct {
	mu     sync.Mutex
	asked  [][]string
	absent map[string]bool
	err    error
}

func (s *bulkSource) load(_ context.Context, keys []string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, slices.Sorted(slices.Values(keys)))
	if s.err != nil {
		return nil, s.err
	}
	out := map[string]string{}
	for _, k := range keys {
		if !s.absent[k] {
			out[k] = "v:" + k
		}
	}
	return out, nil
}

func (s *bulkSource) calls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

func TestBulkLoadsLoadOnlyWhatIsMissingAndCacheIt(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true, Groups: 3})
	c := fakeCache(t, st, valcache.Options[string, string]{NegativeTTL: time.Minute})
	if err := c.Set(ctx, "a", "stored"); err != nil {
		t.Fatal(err)
	}
	src := &bulkSource{absent: map[string]bool{"d": true}}
	keys := []string{"a", "b", "c", "d"}
	got, err := bulkLoad(ctx, c, keys, src.load, valcache.LoadOptions{Tags: []string{"t"}})
	if err != nil || len(got) != 3 || got["a"] != "stored" || got["b"] != "v:b" || got["c"] != "v:c" {
		t.Fatalf("bulk load: %v %v", got, err)
	}
	if calls := src.calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{"b", "c", "d"}) {
		t.Fatalf("the source was asked %q, want once for b, c and d", calls)
	}
	// Loaded values and the absence are cached: nothing is asked again.
	got, err = bulkLoad(ctx, c, keys, src.load, valcache.LoadOptions{})
	if err != nil || len(got) != 3 {
		t.Fatalf("second bulk load: %v %v", got, err)
	}
	if calls := src.calls(); len(calls) != 1 {
		t.Fatalf("the second bulk load asked the source %q", calls[1:])
	}
	// The loaded entries carry the load's tag.
	if err := c.InvalidateTags(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if got, err := bulkIfPresent(ctx, c, keys); err != nil || len(got) != 1 || got["a"] != "stored" {
		t.Fatalf("after invalidating the load's tag: %v %v, want only a", got, err)
	}
}

func TestBulkLoadsDoNotWriteKeysTheStoreFailedToRead(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpGetMany}, Key: "b", Times: 1})
	src := &bulkSource{}
	got, err := bulkLoad(ctx, c, []string{"a", "b"}, src.load, valcache.LoadOptions{})
	if err != nil || got["a"] != "v:a" || got["b"] != "v:b" {
		t.Fatalf("bulk load with b unread: %v %v, want both loaded", got, err)
	}
	if ids := st.IDs("ns"); !slices.Equal(ids, []string{"a"}) {
		t.Fatalf("stored %q, want only a: b was not read, so its load is not written", ids)
	}
	// A store that cannot be read at all: everything is loaded, nothing written.
	st.Unreachable()
	got, err = bulkLoad(ctx, c, []string{"x", "y"}, src.load, valcache.LoadOptions{})
	if err != nil || len(got) != 2 {
		t.Fatalf("bulk load while unreachable: %v %v", got, err)
	}
	st.Heal()
	if ids := st.IDs("ns"); !slices.Equal(ids, []string{"a"}) {
		t.Fatalf("stored %q after loading while unreachable", ids)
	}
}

func TestBulkLoadsReportTheSourcesFailure(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	src := &bulkSource{err: errors.New("source down")}
	_, err := bulkLoad(ctx, c, []string{"a", "b"}, src.load, valcache.LoadOptions{})
	wantFailedKeys(t, "bulk load of a failing source", err, "a", "b")
	if ids := st.IDs("ns"); len(ids) != 0 {
		t.Fatalf("stored %q after a failed load", ids)
	}
}

func TestBulkLoadsThatCannotStampServeWithoutCaching(t *testing.T) {
	ctx := t.Context()
	st := newFake(t, fakestore.Config{Followed: true})
	c := fakeCache(t, st, valcache.Options[string, string]{})
	st.Inject(fakestore.Fault{Ops: []fakestore.Op{fakestore.OpEnsureVersions}})
	src := &bulkSource{}
	got, err := bulkLoad(ctx, c, []string{"a", "b"}, src.load, valcache.LoadOptions{})
	if err != nil || len(got) != 2 {
		t.Fatalf("bulk load that cannot stamp: %v %v", got, err)
	}
	if ids := st.IDs("ns"); len(ids) != 0 {
		t.Fatalf("stored %q without a stamp", ids)
	}
}

func TestBulkDeletesNameTheKeysTheyCouldNotDelete(t *testing.T) {
	for _, shape := range []struct {
		name string
		cfg  fakestore.Config
		op   fakestore.Op
	}{
		{"Batch", fakestore.Config{Followed: true}, fakestore.OpDeleteMany},
		{"OneByOne", fakestore.Config{NoBatch: true}, fakestore.OpDelete},
	} {
		t.Run(shape.name, func(t *testing.T) {
			ctx := t.Context()
			st := newFake(t, shape.cfg)
			c := fakeCache(t, st, valcache.Options[string, string]{})
			if err := c.SetMany(ctx, map[string]string{"a": "1", "b": "2", "c": "3"}); err != nil {
				t.Fatal(err)
			}
			hook := &idHook{}
			c.OnWrite(hook)
			st.Inject(fakestore.Fault{Ops: []fakestore.Op{shape.op}, Key: "b"})
			wantFailedKeys(t, "DeleteMany", c.DeleteMany(ctx, []string{"a", "b", "c"}), "b")
			if ids := st.IDs("ns"); !slices.Equal(ids, []string{"b"}) {
				t.Fatalf("left %q, want only b", ids)
			}
			_, deleted := hook.heard()
			slices.Sort(deleted)
			if !slices.Equal(deleted, []string{"a", "c"}) {
				t.Fatalf("the hook heard of deleting %q, want a and c", deleted)
			}
		})
	}
}
