package bench

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/valkeystore"
)

// searchDocs is how many entries the search benchmarks index.
const searchDocs = 100_000

// listing is the indexed value: 1000 categories of 100 entries each, prices
// spread evenly over 0..999, and titles of four words from 200.
type listing struct {
	Category string `valcache:"category,tag"`
	Price    int    `valcache:"price,numeric"`
	Title    string `valcache:"title,text"`
}

func listingFor(i int) listing {
	w := func(n int) string { return fmt.Sprintf("w%d", n%200) }
	title := strings.Join([]string{w(i), w(i / 3), w(i / 7), w(i / 11)}, " ")
	if i%50 == 0 {
		title += " valkey cluster"
	} else if i%20 == 0 {
		title += " valkey"
	}
	return listing{Category: fmt.Sprintf("c%d", i%1000), Price: (i * 7919) % 1000, Title: title}
}

// searchCase is one query, as the index runs it and as a scan filters it.
type searchCase struct {
	name  string
	run   func(ctx context.Context, x *search.Index[string, listing]) (int, error)
	match func(listing) (bool, float64)
}

var searchCases = []searchCase{
	{ // 100 matches: one category, cheapest first
		"selective",
		func(ctx context.Context, x *search.Index[string, listing]) (int, error) {
			r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("category", "c42")}, SortBy: "price", Limit: 10})
			return len(r.Hits), err
		},
		func(v listing) (bool, float64) { return v.Category == "c42", float64(v.Price) },
	},
	{ // 50 000 matches: half the price range, most expensive first
		"broad",
		func(ctx context.Context, x *search.Index[string, listing]) (int, error) {
			r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Range("price", 0, 499)}, SortBy: "price", Desc: true, Limit: 10})
			return len(r.Hits), err
		},
		func(v listing) (bool, float64) { return v.Price <= 499, -float64(v.Price) },
	},
	{ // 6 000 documents hold "valkey", 2 000 of them "cluster" too
		"fulltext",
		func(ctx context.Context, x *search.Index[string, listing]) (int, error) {
			r, err := x.Search(ctx, "valkey cluster", search.Query{Limit: 10})
			return len(r.Hits), err
		},
		func(v listing) (bool, float64) {
			n := strings.Count(v.Title, "valkey") + strings.Count(v.Title, "cluster")
			return n > 0, -float64(n)
		},
	},
}

// scanQuery answers a case without the index: every key of the namespace
// listed a page at a time, read with GetMany, filtered and ordered in Go.
func scanQuery(ctx context.Context, c *valcache.Cache[string, listing], sc driver.Scanner, page int, m func(listing) (bool, float64)) (int, error) {
	type hit struct {
		k string
		s float64
	}
	var hits []hit
	cursor := ""
	for {
		keys, next, err := sc.ScanNamespace(ctx, c.Namespace(), cursor, page)
		if err != nil {
			return 0, err
		}
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		values, err := c.GetManyIfPresent(ctx, ids)
		if err != nil {
			return 0, err
		}
		for k, v := range values {
			if ok, s := m(v); ok {
				hits = append(hits, hit{k, s})
			}
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(a.s, b.s), cmp.Compare(a.k, b.k)) })
	return min(len(hits), 10), nil
}

func loadListings(b *testing.B, p driver.Provider) *search.Index[string, listing] {
	c, err := valcache.New(p, valcache.Options[string, listing]{Namespace: "search-bench"})
	if err != nil {
		b.Fatal(err)
	}
	x, err := search.New(c, search.Schema[listing]{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for start := 0; start < searchDocs; start += 1000 {
		m := make(map[string]listing, 1000)
		for i := start; i < start+1000; i++ {
			m[fmt.Sprintf("l%d", i)] = listingFor(i)
		}
		if err := x.SetManyWith(ctx, m, valcache.SetOptions{TTL: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	return x
}

// runLatency runs op b.N times and reports its p50 and p99.
func runLatency(b *testing.B, op func() (int, error)) {
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		n, err := op()
		lat = append(lat, time.Since(start))
		if err != nil || n != 10 {
			b.Fatalf("%d results, %v; want 10", n, err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[min(len(lat)*99/100, len(lat)-1)].Nanoseconds()), "p99-ns")
}

// benchSearch runs every case both ways. page is the scan's page size: the
// in-process store walks all its entries for each page, so its scan reads
// everything in one; on Valkey a page is one SCAN and one MGET per slot
// group of 1000 keys, as Cache.Purge reads.
func benchSearch(b *testing.B, p driver.Provider, page int) {
	x := loadListings(b, p)
	sc := p.(driver.Scanner)
	ctx := context.Background()
	for _, c := range searchCases {
		b.Run("query="+c.name+"/impl=index", func(b *testing.B) {
			runLatency(b, func() (int, error) { return c.run(ctx, x) })
		})
		b.Run("query="+c.name+"/impl=scan", func(b *testing.B) {
			runLatency(b, func() (int, error) { return scanQuery(ctx, x.Cache(), sc, page, c.match) })
		})
	}
}

func BenchmarkSearchInProcess(b *testing.B) {
	p, err := memory.New(memory.Config{MaxEntries: 2 * searchDocs})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	benchSearch(b, p, 2*searchDocs)
}

func BenchmarkSearchValkey(b *testing.B) {
	p, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{servers.Valkey(b).Addr()}, BulkTimeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	benchSearch(b, p, 1000)
}
