package search_test

import (
	"context"
	"fmt"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/search"
)

type Listing struct {
	Category string  `valcache:"category,tag"`
	Price    float64 `valcache:"price,numeric"`
	Title    string  `valcache:"title,text"`
}

// An index attached to a cache follows every write made through the cache,
// and answers filtered, sorted queries and ranked full-text searches.
func Example() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{}) // or a valkeystore.Provider: the index then lives in Valkey
	if err != nil {
		panic(err)
	}
	defer p.Close()

	listings, _ := valcache.New(p, valcache.Options[string, Listing]{Namespace: "listings"})
	idx, err := search.New(listings, search.Schema[Listing]{}) // fields from the struct tags
	if err != nil {
		panic(err)
	}
	defer idx.Close()

	_ = listings.Set(ctx, "l1", Listing{Category: "books", Price: 32, Title: "Valkey in action"})
	_ = listings.Set(ctx, "l2", Listing{Category: "books", Price: 12.5, Title: "Caching patterns"})
	_ = listings.Set(ctx, "l3", Listing{Category: "games", Price: 20, Title: "Cluster tycoon"})

	r, err := idx.Query(ctx, search.Query{
		Filters: []search.Filter{search.Tag("category", "books"), search.Below("price", 40)},
		SortBy:  "price",
	})
	if err != nil {
		panic(err)
	}
	for _, h := range r.Hits {
		fmt.Println(h.Key, h.Value.Price, h.Value.Title)
	}

	// A deleted entry leaves the index too. Search ranks by BM25, the most
	// relevant first.
	_ = listings.Delete(ctx, "l2")
	r, _ = idx.Search(ctx, "valkey cluster", search.Query{})
	for _, h := range r.Hits {
		fmt.Println(h.Key, h.Value.Title)
	}
	// Output:
	// l2 12.5 Caching patterns
	// l1 32 Valkey in action
	// l3 Cluster tycoon
	// l1 Valkey in action
}
