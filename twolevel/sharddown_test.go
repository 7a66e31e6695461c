package twolevel_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// The kinds of keys of the shard-down test.
const (
	kindPlain    = "plain"     // no tag
	kindKept     = "kept"      // tagged; the tag is never invalidated
	kindGoneHere = "gone-here" // tagged; invalidated by this instance before the fault
	kindGoneAway = "gone-away" // tagged; invalidated by another instance before the fault
)

var shardDownKinds = []string{kindPlain, kindKept, kindGoneHere, kindGoneAway}

// A cluster that keeps serving the slots it can (full coverage off), with
// one shard, primary and replica, killed. Through a two-level cache:
//   - keys of the healthy shards keep reading and writing, and never fail
//     with ErrCircuitOpen, while the circuits of the lost slots open;
//   - keys of the lost shard fail with ErrUnavailable, except that
//     stale-if-error serves their copies that were current when the shard
//     was lost, tagged or not, and never one whose tag was invalidated
//     before, here or by another instance;
//   - GetMany, SetMany and DeleteMany answer for the healthy shards and
//     name exactly the lost shard's keys.
func TestShardDown(t *testing.T) {
	c, err := testserver.StartClusterWith(testserver.Options{Args: []string{"--cluster-require-full-coverage", "no"}})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	const d = 700 * time.Millisecond
	vcfg := valkeystore.Config{
		Addrs: c.Addrs(), KeyPrefix: "shard-down:",
		OperationTimeout: d, AtomicTimeout: d, DialTimeout: d,
		// Bulk reads and queries share one budget over every shard they
		// read, the lost one's included: a budget a loaded machine meets.
		BulkTimeout: 5 * time.Second, SearchTimeout: 5 * time.Second,
	}
	p := newProvider(t, vcfg, twolevel.Config{StaleIfError: time.Minute, BreakerFailures: 3, BreakerCooldown: 200 * time.Millisecond})
	other := newProvider(t, vcfg, twolevel.Config{})
	const ns = "shard-down"
	cache := newCache[string](t, p, ns)
	otherCache := newCache[string](t, other, ns)
	ctx := t.Context()

	key := func(kind string, i int) string { return fmt.Sprintf("%s-%d", kind, i) }
	kindOf := func(k string) string { return k[:strings.LastIndexByte(k, '-')] }
	var keys []string
	for i := range 24 {
		for _, kind := range shardDownKinds {
			k := key(kind, i)
			o := valcache.SetOptions{}
			if kind != kindPlain {
				o.Tags = []string{"tag-" + kind, "own-" + k}
			}
			if err := cache.SetWith(ctx, k, "v-"+k, o); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
	}
	for round := range 2 { // the second round is answered from the copies
		for _, k := range keys {
			if v, ok, err := cache.GetIfPresent(ctx, k); err != nil || !ok || v != "v-"+k {
				t.Fatalf("round %d before the fault: %s: %q, %v, %v", round, k, v, ok, err)
			}
		}
	}
	if err := cache.InvalidateTags(ctx, "tag-"+kindGoneHere); err != nil {
		t.Fatal(err)
	}
	// The cells this instance follows the other's invalidation by, one per
	// group, as they read before it.
	type followed struct {
		cell   *driver.VersionCell
		before driver.Version
	}
	var goneAway []followed
	for g := range p.VersionGroups() {
		if cells, ok := p.NearCells([]driver.VersionKey{{Namespace: ns, Tag: "tag-" + kindGoneAway, Group: g}}); ok {
			goneAway = append(goneAway, followed{cells[0], cells[0].Load()})
		}
	}
	if err := otherCache.InvalidateTags(ctx, "tag-"+kindGoneAway); err != nil {
		t.Fatal(err)
	}
	// Let the other instance's invalidation reach this one (about a round
	// trip, far more on a busy machine) without reading the keys, which
	// would ask the store.
	eventually(t, 20*time.Second, "the other instance's invalidation is pushed here", func() bool {
		for _, f := range goneAway {
			if f.cell.Load() == f.before {
				return false
			}
		}
		return true
	})

	primaries := c.Primaries()
	owners := slotOwners(t, primaries[1])
	docs := newShardDownSearch(t, p, owners)
	slotKeyOwner := func(k string) string {
		return owners[storeView(t, p.Unwrap()).EntrySlot(driver.Key{Namespace: ns, ID: k})]
	}
	lost := map[string]bool{}
	counts := map[string]int{}
	for _, k := range keys {
		if lost[k] = slotKeyOwner(k) == primaries[0]; lost[k] {
			counts[kindOf(k)]++
		} else {
			counts["healthy "+kindOf(k)]++
		}
	}
	for _, kind := range shardDownKinds {
		if counts[kind] == 0 || counts["healthy "+kind] == 0 {
			t.Fatalf("the keys do not cover every kind on both kinds of shard: %v", counts)
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

	// Rounds of reads and writes side by side, until the circuits of the
	// lost slots have had the failures to open and a cooldown or two have
	// passed (bounded in time and in count).
	start := time.Now()
	for round := 0; round < 50 && time.Since(start) < 3*time.Second; round++ {
		type outcome struct {
			v   string
			ok  bool
			err error
			set error
		}
		res := make([]outcome, len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i].v, res[i].ok, res[i].err = cache.GetIfPresent(ctx, k)
				res[i].set = cache.Set(ctx, "w-"+k, "x")
			}()
		}
		wg.Wait()
		for i, k := range keys {
			r := res[i]
			kind := kindOf(k)
			current := kind == kindPlain || kind == kindKept
			switch {
			case !lost[k] && current && (r.err != nil || !r.ok || r.v != "v-"+k):
				t.Errorf("round %d: %s, healthy shard: %q, %v, %v; want a hit", round, k, r.v, r.ok, r.err)
			case !lost[k] && !current && (r.err != nil || r.ok):
				t.Errorf("round %d: %s, healthy shard, invalidated: %q, %v, %v; want a miss", round, k, r.v, r.ok, r.err)
			case lost[k] && current && (r.err != nil || !r.ok || r.v != "v-"+k):
				t.Errorf("round %d: %s, lost shard, current when lost: %q, %v, %v; want it served stale", round, k, r.v, r.ok, r.err)
			case lost[k] && !current && (r.ok || !errors.Is(r.err, valcache.ErrUnavailable)):
				t.Errorf("round %d: %s, lost shard, invalidated before: %q, %v, %v; want ErrUnavailable", round, k, r.v, r.ok, r.err)
			}
			wk := "w-" + k
			switch wantLost := slotKeyOwner(wk) == primaries[0]; {
			case !wantLost && r.set != nil:
				t.Errorf("round %d: Set %s, healthy shard: %v", round, wk, r.set)
			case wantLost && !errors.Is(r.set, valcache.ErrUnavailable):
				t.Errorf("round %d: Set %s, lost shard: %v, want ErrUnavailable", round, wk, r.set)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		time.Sleep(20 * time.Millisecond)
	}
	docs.check(t, primaries[0])

	var dead, healthy []string
	for _, k := range keys {
		if lost[k] {
			dead = append(dead, k)
		} else {
			healthy = append(healthy, k)
		}
	}
	if p.CircuitStateOf(driver.Key{Namespace: ns, ID: dead[0]}) == driver.CircuitClosed {
		t.Errorf("the circuit of %s, on the lost shard, is closed after 3 s of failures", dead[0])
	}
	for _, k := range healthy {
		if st := p.CircuitStateOf(driver.Key{Namespace: ns, ID: k}); st != driver.CircuitClosed {
			t.Errorf("the circuit of %s, on a healthy shard, is %v", k, st)
		}
	}

	got, err := cache.GetManyIfPresent(ctx, keys)
	wantFailed(t, "GetMany", err, dead)
	var want []string
	for _, k := range healthy {
		if kind := kindOf(k); kind == kindPlain || kind == kindKept {
			want = append(want, k)
		}
	}
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("GetMany answered %v, want the current keys of the healthy shards %v", slices.Sorted(maps.Keys(got)), want)
	}

	next := map[string]string{}
	for _, k := range keys {
		next[k] = "n-" + k
	}
	wantFailed(t, "SetMany", cache.SetMany(ctx, next), dead)
	got, err = cache.GetManyIfPresent(ctx, healthy)
	if err != nil || len(got) != len(healthy) {
		t.Fatalf("GetMany of the healthy keys after SetMany: %d of %d, %v", len(got), len(healthy), err)
	}
	for k, v := range got {
		if v != "n-"+k {
			t.Fatalf("after SetMany: %s = %q", k, v)
		}
	}
	wantFailed(t, "DeleteMany", cache.DeleteMany(ctx, keys), dead)
	if got, err = cache.GetManyIfPresent(ctx, healthy); err != nil || len(got) != 0 {
		t.Fatalf("GetMany of the healthy keys after DeleteMany: %v, %v; want none", got, err)
	}
}

// searchDoc is a value of the shard-down test's searched namespace.
type searchDoc struct {
	Cat   string `valcache:"cat,tag"`
	Title string `valcache:"title,text"`
}

// shardDownSearch is an index over documents spread over every shard, with
// the primaries serving each document's index shard and entry.
type shardDownSearch struct {
	idx                    *search.Index[string, searchDoc]
	indexOwner, entryOwner map[string]string
	shardOwner             [16]string
}

// newShardDownSearch indexes 64 documents and checks that a query and a
// full-text search find them all.
func newShardDownSearch(t *testing.T, p *twolevel.Provider, owners map[int]string) *shardDownSearch {
	t.Helper()
	const ns = "shard-down-search"
	sc := newCache[searchDoc](t, p, ns)
	idx, err := search.New(sc, search.Schema[searchDoc]{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idx.Close() })
	s := &shardDownSearch{idx: idx, indexOwner: map[string]string{}, entryOwner: map[string]string{}}
	for i := range 16 {
		// The index layout (docs/search.md): IndexPrefix, then the shard's tag.
		v, err := testserver.Command(owners[0], "CLUSTER", "KEYSLOT", fmt.Sprintf("index:{%%idx:%s:%d}:x", ns, i))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := v.(int64)
		s.shardOwner[i] = owners[int(n)]
	}
	for i := range 64 {
		id := fmt.Sprintf("d%d", i)
		if err := idx.Set(t.Context(), id, searchDoc{Cat: "c", Title: "alpha " + id}); err != nil {
			t.Fatal(err)
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		s.indexOwner[id] = s.shardOwner[h.Sum32()%16]
		s.entryOwner[id] = owners[storeView(t, p.Unwrap()).EntrySlot(driver.Key{Namespace: ns, ID: id})]
	}
	for _, r := range s.results(t) {
		if len(r.Hits) != 64 || r.Partial() || !r.TotalExact {
			t.Fatalf("before the fault: %d hits (exact %v), partial %v", len(r.Hits), r.TotalExact, r.Partial())
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
		q, qerr = s.idx.Query(t.Context(), search.Query{Filters: []search.Filter{search.Tag("cat", "c")}, Limit: 1000})
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
// from the other shards and name what they could not reach.
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

// slotOwners maps every slot to the primary that the node at addr says
// serves it.
func slotOwners(t *testing.T, addr string) map[int]string {
	t.Helper()
	v, err := testserver.Command(addr, "CLUSTER", "SLOTS")
	if err != nil {
		t.Fatal(err)
	}
	owners := map[int]string{}
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
		if len(node) < 2 {
			continue
		}
		host, _ := node[0].(string)
		port, _ := node[1].(int64)
		for s := start; s <= end; s++ {
			owners[int(s)] = fmt.Sprintf("%s:%d", host, port)
		}
	}
	if len(owners) != 16384 {
		t.Fatalf("CLUSTER SLOTS on %s covers %d slots", addr, len(owners))
	}
	return owners
}
