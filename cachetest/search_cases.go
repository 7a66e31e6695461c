package cachetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/search/index"
)

// product is the value the search cases index, through struct tags.
type product struct {
	Category string   `valcache:"category,tag"`
	Labels   []string `valcache:"label,tag"`
	Price    float64  `valcache:"price,numeric,sortable"`
	Stock    int      `valcache:"stock,numeric"`
	Title    string   `valcache:"title,text"`
	Body     string   `valcache:"body,text"`
}

func newIndex(t *testing.T, p driver.Provider) (*valcache.Cache[string, product], *search.Index[string, product]) {
	t.Helper()
	c := newCache(t, p, valcache.Options[string, product]{})
	x, err := search.New(c, search.Schema[product]{})
	if err != nil {
		t.Fatalf("search.New: %v", err)
	}
	return c, x
}

func setProducts(t *testing.T, x *search.Index[string, product], ps map[string]product) {
	t.Helper()
	for k, v := range ps {
		if err := x.Set(ctxFor(t), k, v); err != nil {
			t.Fatalf("Set(%q): %v", k, err)
		}
	}
}

func keysOf(r search.Result[string, product]) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.Key
	}
	return out
}

func wantKeys(t *testing.T, what string, r search.Result[string, product], err error, ordered bool, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	got := keysOf(r)
	if !ordered {
		slices.Sort(got)
		want = slices.Clone(want)
		slices.Sort(want)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

var catalogue = map[string]product{
	"p1": {Category: "books", Labels: []string{"new"}, Price: 12, Stock: 3, Title: "Valkey in action"},
	"p2": {Category: "books", Price: 30, Stock: 0, Title: "Go programming"},
	"p3": {Category: "games", Labels: []string{"new", "sale"}, Price: 20, Stock: 7, Title: "Cluster wars"},
	"p4": {Category: "music", Labels: []string{"sale"}, Price: 5, Stock: 1, Title: "Songs"},
	"p5": {Category: "games", Price: 45, Stock: 2, Title: "Space"},
}

// searchCases run only against providers that keep an index; the others
// must refuse search.New with ErrNotSupported, which Run checks.
var searchCases = []testCase{
	{"TagFilterMatchesAnyValueAndEveryFilter", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		setProducts(t, x, catalogue)
		ctx := ctxFor(t)
		r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "books")}})
		wantKeys(t, "category books", r, err, false, "p1", "p2")
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "books", "music")}})
		wantKeys(t, "category books or music", r, err, false, "p1", "p2", "p4")
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "games"), search.Tag("label", "sale")}})
		wantKeys(t, "games on sale", r, err, false, "p3")
		if r.Total != 1 || !r.TotalExact {
			t.Fatalf("games on sale: Total %d exact %v, want 1 exact", r.Total, r.TotalExact)
		}
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "toys")}})
		wantKeys(t, "category toys", r, err, false)
		r, err = x.Query(ctx, search.Query{Limit: 100})
		wantKeys(t, "no filter", r, err, true, "p1", "p2", "p3", "p4", "p5")
	}},
	{"RangeBoundsAreIncludedOrExcludedAsAsked", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		setProducts(t, x, catalogue)
		ctx := ctxFor(t)
		r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Range("price", 12, 30)}})
		wantKeys(t, "price [12,30]", r, err, false, "p1", "p2", "p3")
		f, err := search.ParseRange("price", "(12,30)")
		if err != nil {
			t.Fatal(err)
		}
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{f}})
		wantKeys(t, "price (12,30)", r, err, false, "p3")
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Below("price", 20), search.Tag("label", "sale", "new")}})
		wantKeys(t, "price < 20 and new or sale", r, err, false, "p1", "p4")
		f, _ = search.ParseRange("stock", "[1,+inf]")
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{f, search.Above("price", 19.5)}})
		wantKeys(t, "in stock above 19.5", r, err, false, "p3", "p5")
	}},
	{"SortByNumericFieldBothWays", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		setProducts(t, x, catalogue)
		ctx := ctxFor(t)
		r, err := x.Query(ctx, search.Query{SortBy: "price"})
		wantKeys(t, "by price", r, err, true, "p4", "p1", "p3", "p2", "p5")
		r, err = x.Query(ctx, search.Query{SortBy: "price", Desc: true, Filters: []search.Filter{search.Tag("category", "games", "books")}})
		wantKeys(t, "books and games by price, highest first", r, err, true, "p5", "p2", "p3", "p1")
		if r.Hits[0].Value.Title != "Space" {
			t.Fatalf("first hit's value = %+v, want p5's", r.Hits[0].Value)
		}
	}},
	{"PagesFollowEachOtherWithAnExactTotal", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		ps := map[string]product{}
		for i := range 25 {
			ps[fmt.Sprintf("k%02d", i)] = product{Category: "c", Price: float64(100 - i)}
		}
		ps["other"] = product{Category: "d", Price: 1}
		setProducts(t, x, ps)
		ctx := ctxFor(t)
		var seen []string
		for page := range 3 {
			r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "c")}, SortBy: "price", Offset: page * 10, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != 25 || !r.TotalExact {
				t.Fatalf("page %d: Total %d exact %v, want 25 exact", page, r.Total, r.TotalExact)
			}
			seen = append(seen, keysOf(r)...)
		}
		want := make([]string, 25)
		for i := range want {
			want[i] = fmt.Sprintf("k%02d", 24-i) // cheapest first
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("three pages = %q, want %q", seen, want)
		}
	}},
	{"SortedRangePagesKeepTheirOrderThroughTies", func(t *testing.T, p driver.Provider, _ Harness) {
		// Enough matches that a provider may read only a page's worth of
		// each shard; prices repeat, so pages cut through runs of ties.
		_, x := newIndex(t, p)
		ctx := ctxFor(t)
		ps := map[string]product{}
		for i := range 600 {
			ps[fmt.Sprintf("k%03d", i)] = product{Category: "c", Price: float64(i / 3)}
		}
		if err := x.SetMany(ctx, ps); err != nil {
			t.Fatal(err)
		}
		for _, desc := range []bool{false, true} {
			var want []string
			for i := range 600 {
				if price := i / 3; price >= 20 && price <= 180 {
					want = append(want, fmt.Sprintf("k%03d", i))
				}
			}
			if desc { // price descending, ties by key ascending
				slices.SortStableFunc(want, func(a, b string) int {
					pa, pb := ps[a].Price, ps[b].Price
					if pa != pb {
						if pa > pb {
							return -1
						}
						return 1
					}
					return 0
				})
			}
			for _, off := range []int{0, 7, 14, 100, 476} {
				r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Range("price", 20, 180)}, SortBy: "price", Desc: desc, Offset: off, Limit: 7})
				end := min(off+7, len(want))
				wantKeys(t, fmt.Sprintf("desc %v offset %d", desc, off), r, err, true, want[off:end]...)
				if r.Total < len(want) {
					t.Fatalf("desc %v offset %d: Total %d below the %d matches", desc, off, r.Total, len(want))
				}
			}
		}
	}},
	{"FullTextRanksStrongerMatchesFirst", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		setProducts(t, x, map[string]product{
			"a": {Category: "doc", Title: "Running a Valkey cluster", Body: "A valkey cluster spreads slots; the cluster bus links nodes."},
			"b": {Category: "doc", Title: "Caching with Valkey", Body: "Keys, values and expiry."},
			"c": {Category: "doc", Title: "Gardening", Body: "Soil and water; nothing about databases."},
			"d": {Category: "blog", Title: "Valkey cluster notes", Body: "cluster cluster"},
		})
		ctx := ctxFor(t)
		r, err := x.Search(ctx, "Valkey CLUSTER", search.Query{Filters: []search.Filter{search.Tag("category", "doc")}})
		wantKeys(t, "search valkey cluster in docs", r, err, true, "a", "b")
		if !(r.Hits[0].Score > r.Hits[1].Score && r.Hits[1].Score > 0) {
			t.Fatalf("scores %v, %v: want the first higher, both positive", r.Hits[0].Score, r.Hits[1].Score)
		}
		r, err = x.Search(ctx, "soil", search.Query{})
		wantKeys(t, "search soil", r, err, true, "c")
		r, err = x.Search(ctx, "cluster", search.Query{SortBy: "price"})
		if err != nil || len(r.Hits) != 2 {
			t.Fatalf("search cluster sorted by price = %q, %v; want a and d", keysOf(r), err)
		}
	}},
	{"FullTextFindsTheBestAmongManyMatches", func(t *testing.T, p driver.Provider, _ Harness) {
		// More matches than any provider reads back whole: a provider may
		// keep only each part's best, which must still give the best overall.
		_, x := newIndex(t, p)
		ctx := ctxFor(t)
		ps := map[string]product{
			"best":   {Title: "rare rare rare common"},
			"second": {Title: "rare rare common"},
			"third":  {Title: "rare common"},
		}
		for i := range 400 {
			ps[fmt.Sprintf("k%03d", i)] = product{Title: fmt.Sprintf("common word%d", i)}
		}
		if err := x.SetMany(ctx, ps); err != nil {
			t.Fatal(err)
		}
		r, err := x.Search(ctx, "rare common", search.Query{Limit: 3})
		wantKeys(t, "best three", r, err, true, "best", "second", "third")
		if r.Total < 403 {
			t.Fatalf("Total %d, want at least the 403 matches", r.Total)
		}
		r, err = x.Search(ctx, "rare common", search.Query{Offset: 3, Limit: 5})
		if err != nil || len(r.Hits) != 5 {
			t.Fatalf("second page = %q, %v", keysOf(r), err)
		}
		for _, h := range r.Hits {
			if !strings.HasPrefix(h.Key, "k") {
				t.Fatalf("second page holds %q, want only documents without \"rare\"", h.Key)
			}
		}
	}},
	{"ExpiredDeletedAndInvalidatedEntriesAreNeverReturned", func(t *testing.T, p driver.Provider, _ Harness) {
		c, x := newIndex(t, p)
		ctx := ctxFor(t)
		set := func(k string, v product, o valcache.SetOptions) {
			t.Helper()
			if err := x.SetWith(ctx, k, v, o); err != nil {
				t.Fatal(err)
			}
		}
		v := product{Category: "c", Title: "hidden words", Price: 1}
		set("short", v, valcache.SetOptions{TTL: 150 * time.Millisecond})
		set("deleted", v, valcache.SetOptions{})
		set("deletedInCache", v, valcache.SetOptions{})
		set("tagged", v, valcache.SetOptions{Tags: []string{"t1"}})
		set("changed", v, valcache.SetOptions{})
		set("kept", v, valcache.SetOptions{})
		if err := x.Delete(ctx, "deleted"); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, "deletedInCache"); err != nil {
			t.Fatal(err)
		}
		if err := c.InvalidateTags(ctx, "t1"); err != nil {
			t.Fatal(err)
		}
		// Written past the index: the postings still say category c.
		if err := c.Set(ctx, "changed", product{Category: "other", Title: "other words"}); err != nil {
			t.Fatal(err)
		}
		waitUntilGone(t, c, "short")
		for round := range 2 { // the second round runs after the first pruned
			r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "c")}})
			wantKeys(t, fmt.Sprintf("query, round %d", round), r, err, false, "kept")
			if r.Total != 1 || !r.TotalExact {
				t.Fatalf("round %d: Total %d exact %v, want 1 exact", round, r.Total, r.TotalExact)
			}
			r, err = x.Search(ctx, "hidden", search.Query{})
			wantKeys(t, fmt.Sprintf("search, round %d", round), r, err, false, "kept")
		}
		if err := c.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := x.Search(ctx, "hidden", search.Query{})
		wantKeys(t, "search after Clear", r, err, false)
	}},
	{"ConcurrentWritesNeverYieldWrongResults", func(t *testing.T, p driver.Provider, _ Harness) {
		// Writers move keys between categories and delete them while
		// readers query one category: whatever the interleaving, a hit is
		// always a value of that category.
		_, x := newIndex(t, p)
		ctx := ctxFor(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 3 {
			wg.Go(func() {
				for i := range 150 {
					k := fmt.Sprintf("k%d", (i*7+w)%20)
					var err error
					if i%5 == 4 {
						err = x.Delete(ctx, k)
					} else {
						err = x.Set(ctx, k, product{Category: []string{"a", "b"}[(i+w)%2], Price: float64(i)})
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for range 2 {
			wg.Go(func() {
				for range 60 {
					r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "a")}, SortBy: "price", Limit: 5})
					if err != nil {
						errs <- err
						return
					}
					for _, h := range r.Hits {
						if h.Value.Category != "a" {
							errs <- fmt.Errorf("hit %q has category %q, want a", h.Key, h.Value.Category)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}},
	{"BadQueriesGetClearErrors", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		ctx := ctxFor(t)
		_, badRange := search.ParseRange("price", "[10;20]")
		if !errors.Is(badRange, search.ErrBadRange) {
			t.Fatalf("ParseRange([10;20]) = %v, want ErrBadRange", badRange)
		}
		unparsable, _ := search.ParseRange("price", "[a,2]")
		checks := []struct {
			q    search.Query
			text string
			want error
		}{
			{search.Query{Filters: []search.Filter{search.Tag("colour", "red")}}, "", search.ErrUnknownField},
			{search.Query{SortBy: "weight"}, "", search.ErrUnknownField},
			{search.Query{Filters: []search.Filter{search.Range("category", 1, 2)}}, "", search.ErrWrongType},
			{search.Query{Filters: []search.Filter{search.Tag("price", "1")}}, "", search.ErrWrongType},
			{search.Query{SortBy: "title"}, "", search.ErrWrongType},
			{search.Query{Filters: []search.Filter{search.Range("price", 5, 1)}}, "", search.ErrBadRange},
			{search.Query{Filters: []search.Filter{unparsable}}, "", search.ErrBadRange},
			{search.Query{Filters: []search.Filter{search.Tag("category")}}, "", search.ErrBadQuery},
			{search.Query{Offset: -1}, "", search.ErrBadQuery},
			{search.Query{Limit: search.MaxLimit + 1}, "", search.ErrBadQuery},
			{search.Query{}, " ,;! ", search.ErrBadQuery},
		}
		for _, c := range checks {
			var err error
			if c.text != "" {
				_, err = x.Search(ctx, c.text, c.q)
			} else {
				_, err = x.Query(ctx, c.q)
			}
			if !errors.Is(err, c.want) {
				t.Errorf("query %+v %q: error %v, want %v", c.q, c.text, err, c.want)
			}
		}
	}},
	{"FieldValuesCannotAlterKeysOrQueries", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		odd := []string{"a:b", "a", "b:c", "{x}", "}{", "%7B", "*", "'); return redis.call('FLUSHALL') --", "", "with space", "a\x00b"}
		ps := map[string]product{}
		for i, v := range odd {
			ps[fmt.Sprintf("k%d%s", i, v)] = product{Category: v, Labels: []string{v + ":" + v}, Price: float64(i)}
		}
		setProducts(t, x, ps)
		ctx := ctxFor(t)
		for i, v := range odd {
			r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", v)}})
			wantKeys(t, fmt.Sprintf("category %q", v), r, err, false, fmt.Sprintf("k%d%s", i, v))
			r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("label", v+":"+v)}})
			wantKeys(t, fmt.Sprintf("label %q", v+":"+v), r, err, false, fmt.Sprintf("k%d%s", i, v))
		}
		r, err := x.Query(ctx, search.Query{Limit: 100})
		if err != nil || r.Total != len(odd) {
			t.Fatalf("every document: %d, %v; want %d", r.Total, err, len(odd))
		}
	}},
	{"UpdatesReplaceOldPostings", func(t *testing.T, p driver.Provider, _ Harness) {
		_, x := newIndex(t, p)
		ctx := ctxFor(t)
		setProducts(t, x, map[string]product{"k": {Category: "old", Price: 1, Title: "first words"}})
		setProducts(t, x, map[string]product{"k": {Category: "new", Price: 50, Title: "second"}})
		r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "old")}})
		wantKeys(t, "old category", r, err, false)
		r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Range("price", 40, 60), search.Tag("category", "new")}})
		wantKeys(t, "new price and category", r, err, false, "k")
		r, err = x.Search(ctx, "first", search.Query{})
		wantKeys(t, "old words", r, err, false)
		if r.Total != 0 {
			t.Fatalf("old words: Total %d, want 0 (the old postings are gone)", r.Total)
		}
	}},
	{"WritesThroughTheCacheAreIndexed", func(t *testing.T, p driver.Provider, _ Harness) {
		c, x := newIndex(t, p)
		ctx := ctxFor(t)
		v := func(title string) product { return product{Category: "direct", Price: 1, Title: title} }
		if err := c.Set(ctx, "set", v("plain set")); err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(ctx, "ttl", v("set with ttl"), valcache.SetOptions{TTL: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if err := c.SetMany(ctx, map[string]product{"many1": v("many one"), "many2": v("many two")}); err != nil {
			t.Fatal(err)
		}
		loaded, err := c.Get(ctx, "loaded", func(_ context.Context, k string) (product, error) { return v("from the loader"), nil })
		if err != nil || loaded.Title != "from the loader" {
			t.Fatalf("Get with a loader = %+v, %v", loaded, err)
		}
		bulk, err := c.GetMany(ctx, []string{"bulk"}, func(_ context.Context, ks []string) (map[string]product, error) {
			return map[string]product{"bulk": v("bulk loaded")}, nil
		}, valcache.LoadOptions{})
		if err != nil || len(bulk) != 1 {
			t.Fatalf("GetMany = %v, %v", bulk, err)
		}
		_, _, err = c.Compute(ctx, "computed", func(old product, found bool) (product, valcache.ComputeOp, error) {
			return v("computed value"), valcache.ComputeSet, nil
		}, valcache.ComputeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		all := []string{"set", "ttl", "many1", "many2", "loaded", "bulk", "computed"}
		direct := search.Query{Filters: []search.Filter{search.Tag("category", "direct")}, Limit: 100}
		r, err := x.Query(ctx, direct)
		wantKeys(t, "query after writes through the cache", r, err, false, all...)
		r, err = x.Search(ctx, "loader computed", search.Query{})
		wantKeys(t, "search after writes through the cache", r, err, false, "loaded", "computed")
		wantIndexed(t, p, c, "index after writes", all...)

		if err := c.Delete(ctx, "set"); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteMany(ctx, []string{"many1", "bulk"}); err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Compute(ctx, "computed", func(product, bool) (product, valcache.ComputeOp, error) {
			return product{}, valcache.ComputeDelete, nil
		}, valcache.ComputeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		left := []string{"ttl", "many2", "loaded"}
		// The index itself forgot them, not only the read back.
		wantIndexed(t, p, c, "index after deletes through the cache", left...)
		r, err = x.Query(ctx, direct)
		wantKeys(t, "query after deletes through the cache", r, err, false, left...)
		if x.Failures() != 0 {
			t.Fatalf("Failures() = %d, want 0", x.Failures())
		}
	}},
	{"ChangesThroughTheCacheMoveValuesBetweenQueries", func(t *testing.T, p driver.Provider, _ Harness) {
		c, x := newIndex(t, p)
		ctx := ctxFor(t)
		inCategory := func(cat string) search.Query {
			return search.Query{Filters: []search.Filter{search.Tag("category", cat)}}
		}
		if err := c.Set(ctx, "k", product{Category: "a", Price: 1}); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "k", product{Category: "b", Price: 2}); err != nil {
			t.Fatal(err)
		}
		r, err := x.Query(ctx, inCategory("b"))
		wantKeys(t, "new category after Set", r, err, false, "k")
		wantNoneIndexedIn(t, p, c, "a", "old category after Set")
		_, _, err = c.Compute(ctx, "k", func(old product, found bool) (product, valcache.ComputeOp, error) {
			old.Category = "c"
			return old, valcache.ComputeSet, nil
		}, valcache.ComputeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err = x.Query(ctx, inCategory("c"))
		wantKeys(t, "new category after Compute", r, err, false, "k")
		wantNoneIndexedIn(t, p, c, "b", "old category after Compute")
	}},
	{"UnfitValuesWrittenThroughTheCacheAreCountedNotFound", func(t *testing.T, p driver.Provider, _ Harness) {
		c, x := newIndex(t, p)
		ctx := ctxFor(t)
		if err := x.Set(ctx, "k", product{Category: "a", Price: 1}); err != nil {
			t.Fatal(err)
		}
		unfit := product{Category: "b", Price: math.NaN()}
		if err := x.Set(ctx, "k", unfit); !errors.Is(err, search.ErrBadDocument) {
			t.Fatalf("Index.Set of a NaN price: %v, want ErrBadDocument", err)
		}
		if got, found, err := c.GetIfPresent(ctx, "k"); err != nil || !found || got.Category != "a" {
			t.Fatalf("after a refused Index.Set: %+v %v %v, want the old value kept", got, found, err)
		}
		if err := c.Set(ctx, "k", unfit); err != nil {
			t.Fatalf("Cache.Set of a value the index cannot take: %v, want the write to stand", err)
		}
		if x.Failures() != 1 {
			t.Fatalf("Failures() = %d, want 1", x.Failures())
		}
		wantNoneIndexedIn(t, p, c, "a", "old document of a value replaced by an unfit one")
		if got, found, err := c.GetIfPresent(ctx, "k"); err != nil || !found || got.Category != "b" {
			t.Fatalf("after Cache.Set: %+v %v %v, want the unfit value stored", got, found, err)
		}
	}},
	{"AClosedIndexNoLongerFollowsTheCache", func(t *testing.T, p driver.Provider, _ Harness) {
		c, x := newIndex(t, p)
		ctx := ctxFor(t)
		if err := c.Set(ctx, "before", product{Category: "a"}); err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := c.Set(ctx, "after", product{Category: "a"}); err != nil {
			t.Fatal(err)
		}
		wantIndexed(t, p, c, "index after Close", "before")
		if err := x.Set(ctx, "k", product{Category: "a"}); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("Index.Set after Close: %v, want ErrClosed", err)
		}
		r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "a")}})
		wantKeys(t, "query after Close", r, err, false, "before")
	}},
}

// waitUntilGone polls until k is a miss, so that what follows does not
// depend on how long a sleep really lasted.
func waitUntilGone[V any](t *testing.T, c *valcache.Cache[string, V], k string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok, err := c.GetIfPresent(ctxFor(t), k); err == nil && !ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%q did not expire", k)
}

// wantIndexed checks the IDs of every document the provider's index itself
// lists: what queries start from, before anything is read back.
func wantIndexed(t *testing.T, p driver.Provider, c *valcache.Cache[string, product], what string, want ...string) {
	t.Helper()
	res, err := backend[index.Backend](t, p).QueryIndex(ctxFor(t), c.Namespace(), index.Query{})
	if err != nil {
		t.Fatalf("%s: QueryIndex: %v", what, err)
	}
	got := make([]string, len(res.Candidates))
	for i, cd := range res.Candidates {
		got[i] = cd.ID
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: the index lists %q, want %q", what, got, want)
	}
}

// wantNoneIndexedIn checks that the index lists nothing under category cat.
func wantNoneIndexedIn(t *testing.T, p driver.Provider, c *valcache.Cache[string, product], cat, what string) {
	t.Helper()
	res, err := backend[index.Backend](t, p).QueryIndex(ctxFor(t), c.Namespace(), index.Query{
		Tags: []index.TagFilter{{Field: "category", Values: []string{cat}}},
	})
	if err != nil {
		t.Fatalf("%s: QueryIndex: %v", what, err)
	}
	if res.Total != 0 || len(res.Candidates) != 0 {
		t.Fatalf("%s: the index still lists %d documents under category %q", what, res.Total, cat)
	}
}

func wantSearchNotSupported(t *testing.T, p driver.Provider) {
	t.Helper()
	c := newCache(t, p, valcache.Options[string, product]{})
	if _, err := search.New(c, search.Schema[product]{}); !errors.Is(err, valcache.ErrNotSupported) {
		t.Fatalf("search.New over a provider with no index: %v, want ErrNotSupported", err)
	}
}
