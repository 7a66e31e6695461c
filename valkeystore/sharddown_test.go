package valkeystore_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/valkeystore"
)

// shardDownNamespace is the namespace of the shard-down test's cache.
const shardDownNamespace = "shard-down"

// A cluster that keeps serving the slots it can, with one shard (primary
// and replica) killed: through a plain Valkey cache, untagged and tagged
// keys of the other shards keep reading as hits, keys of the lost shard
// fail with ErrUnavailable, and bulk calls answer for the healthy shards
// and name exactly the lost shard's keys.
func TestShardDownHealthyShardsKeepServing(t *testing.T) {
	c, err := testserver.StartClusterWith(testserver.Options{Args: []string{"--cluster-require-full-coverage", "no"}})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	// Calls of the dead shard fail within their budget; the healthy shards'
	// bulk reads and queries get budgets a loaded machine can meet, since
	// after the fault they read every followed version again.
	cfg := outageConfig(c.Addrs())
	cfg.BulkTimeout, cfg.SearchTimeout = 5*time.Second, 5*time.Second
	p := newProvider(t, cfg)
	cache, err := valcache.New(p, valcache.Options[string, string]{Namespace: shardDownNamespace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	ctx := t.Context()

	// 40 untagged and 40 tagged keys, spread over every slot group; the
	// tagged ones share a tag, which has a copy in every group, and each
	// has one of its own.
	var keys []string
	tagged := map[string]bool{}
	for i := range 40 {
		u, tk := fmt.Sprintf("u%d", i), fmt.Sprintf("t%d", i)
		if err := cache.Set(ctx, u, "v-"+u); err != nil {
			t.Fatal(err)
		}
		if err := cache.SetWith(ctx, tk, "v-"+tk, valcache.SetOptions{Tags: []string{"all", "own:" + tk}}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, u, tk)
		tagged[tk] = true
	}
	for _, k := range keys {
		if v, ok, err := cache.GetIfPresent(ctx, k); err != nil || !ok || v != "v-"+k {
			t.Fatalf("read %s before the fault: %q, %v, %v", k, v, ok, err)
		}
	}

	primaries := c.Primaries()
	docs := newShardDownSearch(t, p, primaries)
	lost := map[string]bool{}
	for _, k := range keys {
		lost[k] = ownerOf(t, primaries[1], p.EntryKeyName(driver.Key{Namespace: shardDownNamespace, ID: k})) == primaries[0]
	}
	counts := map[[2]bool]int{}
	for _, k := range keys {
		counts[[2]bool{lost[k], tagged[k]}]++
	}
	for _, kind := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		if counts[kind] == 0 {
			t.Fatalf("no key that is lost=%v tagged=%v: %v", kind[0], kind[1], counts)
		}
	}

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

	// Two rounds: right after the fault, and once the client has met the
	// dead nodes and read the topology again.
	for round := range 2 {
		errs := make([]error, len(keys))
		values := make([]string, len(keys))
		hits := make([]bool, len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				values[i], hits[i], errs[i] = cache.GetIfPresent(ctx, k)
			}()
		}
		wg.Wait()
		for i, k := range keys {
			switch {
			case lost[k] && !errors.Is(errs[i], valcache.ErrUnavailable):
				t.Errorf("round %d: %s (lost shard, tagged %v): %q, %v, %v; want ErrUnavailable", round, k, tagged[k], values[i], hits[i], errs[i])
			case !lost[k] && (errs[i] != nil || !hits[i] || values[i] != "v-"+k):
				t.Errorf("round %d: %s (healthy shard, tagged %v): %q, %v, %v; want a hit", round, k, tagged[k], values[i], hits[i], errs[i])
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		time.Sleep(300 * time.Millisecond)
	}

	docs.check(t, primaries[0])

	var healthy, dead []string
	for _, k := range keys {
		if lost[k] {
			dead = append(dead, k)
		} else {
			healthy = append(healthy, k)
		}
	}
	got, err := cache.GetManyIfPresent(ctx, keys)
	wantFailed(t, "GetMany", err, dead)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(healthy))) {
		t.Fatalf("GetMany answered %v, want every key of the healthy shards %v", slices.Sorted(maps.Keys(got)), healthy)
	}
	for k, v := range got {
		if v != "v-"+k {
			t.Fatalf("GetMany: %s = %q", k, v)
		}
	}

	next := map[string]string{}
	for _, k := range keys {
		next[k] = "w-" + k
	}
	wantFailed(t, "SetMany", cache.SetMany(ctx, next), dead)
	if got, err = cache.GetManyIfPresent(ctx, healthy); err != nil || len(got) != len(healthy) {
		t.Fatalf("GetMany of the healthy keys after SetMany: %d of %d, %v", len(got), len(healthy), err)
	}
	for k, v := range got {
		if v != "w-"+k {
			t.Fatalf("after SetMany: %s = %q", k, v)
		}
	}

	wantFailed(t, "DeleteMany", cache.DeleteMany(ctx, keys), dead)
	if got, err = cache.GetManyIfPresent(ctx, healthy); err != nil || len(got) != 0 {
		t.Fatalf("GetMany of the healthy keys after DeleteMany: %v, %v; want none", got, err)
	}
}

// wantFailed fails unless err is a *KeyedBatchError naming exactly keys,
// each failure matching ErrUnavailable.
func wantFailed(t *testing.T, what string, err error, keys []string) {
	t.Helper()
	var be *valcache.KeyedBatchError[string]
	if !errors.As(err, &be) {
		t.Fatalf("%s: %v, want a *KeyedBatchError naming %v", what, err, keys)
	}
	if got := slices.Sorted(maps.Keys(be.Failed)); !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
		t.Fatalf("%s named %v as failed, want exactly the lost shard's %v (%v)", what, got, keys, err)
	}
	for k, e := range be.Failed {
		if !errors.Is(e, valcache.ErrUnavailable) {
			t.Fatalf("%s: %s failed with %v, want ErrUnavailable", what, k, e)
		}
	}
}

// ownerOf returns the primary that the node at addr says serves key.
func ownerOf(t *testing.T, addr, key string) string {
	t.Helper()
	v, err := testserver.Command(addr, "CLUSTER", "KEYSLOT", key)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := v.(int64)
	owner := servingNode(addr, n)
	if owner == "" {
		t.Fatalf("no node serves slot %d of %s", n, key)
	}
	return owner
}

// searchDoc is a value of the shard-down test's searched namespace.
type searchDoc struct {
	Cat   string  `valcache:"cat,tag"`
	N     float64 `valcache:"n,numeric"`
	Title string  `valcache:"title,text"`
}

const shardDownSearchNamespace = "shard-down-search"

// shardDownSearch is an index over documents spread over every shard, with
// where each document's posting and entry live.
type shardDownSearch struct {
	idx *search.Index[string, searchDoc]
	// indexOwner and entryOwner are the primaries serving each document's
	// index shard and entry; shardOwner, each index shard's.
	indexOwner, entryOwner map[string]string
	shardOwner             [16]string
}

// newShardDownSearch indexes 80 documents and checks that a query and a
// full-text search find them all.
func newShardDownSearch(t *testing.T, p *valkeystore.Provider, primaries []string) *shardDownSearch {
	t.Helper()
	ctx := t.Context()
	sc, err := valcache.New(p, valcache.Options[string, searchDoc]{Namespace: shardDownSearchNamespace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	idx, err := search.New(sc, search.Schema[searchDoc]{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	s := &shardDownSearch{idx: idx, indexOwner: map[string]string{}, entryOwner: map[string]string{}}
	for i := range 16 {
		// The index layout (docs/search.md): IndexPrefix, then the shard's tag.
		s.shardOwner[i] = ownerOf(t, primaries[1], fmt.Sprintf("index:{%%idx:%s:%d}:x", shardDownSearchNamespace, i))
	}
	for i := range 80 {
		id := fmt.Sprintf("d%d", i)
		if err := idx.Set(ctx, id, searchDoc{Cat: "c", N: float64(i), Title: "alpha " + id}); err != nil {
			t.Fatal(err)
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		s.indexOwner[id] = s.shardOwner[h.Sum32()%16]
		s.entryOwner[id] = ownerOf(t, primaries[1], p.EntryKeyName(driver.Key{Namespace: shardDownSearchNamespace, ID: id}))
	}
	for _, r := range s.results(t) {
		if len(r.Hits) != 80 || r.Partial() || !r.TotalExact || r.Total != 80 {
			t.Fatalf("before the fault: %d hits, total %d (exact %v), partial %v", len(r.Hits), r.Total, r.TotalExact, r.Partial())
		}
	}
	return s
}

// results runs a query and a full-text search matching every document.
func (s *shardDownSearch) results(t *testing.T) []search.Result[string, searchDoc] {
	t.Helper()
	// The first calls after the fault may still meet the client settling
	// (a topology read, the lost slots' grace): the queries are asked
	// again until they answer, for at most 20 s, and must then answer from
	// the healthy shards.
	var q, f search.Result[string, searchDoc]
	var qerr, ferr error
	for deadline := time.Now().Add(20 * time.Second); ; {
		q, qerr = s.idx.Query(t.Context(), search.Query{Filters: []search.Filter{search.Tag("cat", "c")}, SortBy: "n", Limit: 1000})
		f, ferr = s.idx.Search(t.Context(), "alpha", search.Query{Limit: 1000})
		if (qerr == nil && ferr == nil) || time.Now().After(deadline) {
			break
		}
		t.Logf("a query failed while the client settles, asked again: %v / %v", qerr, ferr)
		time.Sleep(200 * time.Millisecond)
	}
	if qerr != nil {
		t.Fatalf("query: %v", qerr)
	}
	if ferr != nil {
		t.Fatalf("search: %v", ferr)
	}
	return []search.Result[string, searchDoc]{q, f}
}

// check asserts that, with the shard of primary dead down, queries answer
// from the other shards: every document indexed and stored on them, the
// dead index shards named, the documents indexed on a live shard but
// stored on the dead one named as unread.
func (s *shardDownSearch) check(t *testing.T, dead string) {
	t.Helper()
	var wantShards []int
	for i, o := range s.shardOwner {
		if o == dead {
			wantShards = append(wantShards, i)
		}
	}
	var wantHits, wantUnread []string
	for id, o := range s.indexOwner {
		switch {
		case o == dead:
		case s.entryOwner[id] == dead:
			wantUnread = append(wantUnread, id)
		default:
			wantHits = append(wantHits, id)
		}
	}
	slices.Sort(wantHits)
	slices.Sort(wantUnread)
	if len(wantShards) == 0 || len(wantHits) == 0 || len(wantUnread) == 0 {
		t.Fatalf("the documents do not cover every case: dead shards %v, hits %v, unread %v", wantShards, wantHits, wantUnread)
	}
	for n, r := range s.results(t) {
		var hits []string
		for _, h := range r.Hits {
			hits = append(hits, h.Key)
		}
		slices.Sort(hits)
		unread := slices.Sorted(slices.Values(r.Unread))
		if !slices.Equal(hits, wantHits) || !slices.Equal(r.MissingShards, wantShards) || !slices.Equal(unread, wantUnread) {
			t.Fatalf("result %d with a shard down: hits %v, missing shards %v, unread %v; want %v, %v, %v",
				n, hits, r.MissingShards, unread, wantHits, wantShards, wantUnread)
		}
		if !r.Partial() || r.TotalExact || !errors.Is(r.PartialErr, valcache.ErrUnavailable) {
			t.Fatalf("result %d: partial %v, exact %v, error %v; want partial, inexact, ErrUnavailable", n, r.Partial(), r.TotalExact, r.PartialErr)
		}
	}
}
