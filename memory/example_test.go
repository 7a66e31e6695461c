package memory_test

import (
	"context"
	"fmt"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

type Product struct {
	Name  string
	Price float64
}

// A memory provider holds the caches of one process. Many caches share one
// provider and its bound.
func Example() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{MaxEntries: 10_000})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	products, _ := valcache.New(p, valcache.Options[int, Product]{Namespace: "products"})
	names, _ := valcache.New(p, valcache.Options[string, string]{Namespace: "names"})

	_ = products.Set(ctx, 7, Product{Name: "Keyboard", Price: 49})
	_ = names.Set(ctx, "7", "Keyboard")

	pr, found, _ := products.GetIfPresent(ctx, 7)
	fmt.Println(pr.Name, pr.Price, found)

	if err := names.Clear(ctx); err != nil { // this namespace only
		panic(err)
	}
	_, found, _ = names.GetIfPresent(ctx, "7")
	fmt.Println(found)
	_, found, _ = products.GetIfPresent(ctx, 7)
	fmt.Println(found)
	// Output:
	// Keyboard 49 true
	// false
	// true
}

// A provider bounded by weight: caches of []byte or string values weigh the
// length of each value; others weigh what their Options.Weigher returns.
func Example_maxWeight() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{MaxWeight: 64 << 20}) // 64 MiB of values
	if err != nil {
		panic(err)
	}
	defer p.Close()

	pages, _ := valcache.New(p, valcache.Options[string, []byte]{Namespace: "pages"})
	_ = pages.Set(ctx, "/", []byte("<h1>Home</h1>"))
	b, found, _ := pages.GetIfPresent(ctx, "/")
	fmt.Println(string(b), found)
	// Output:
	// <h1>Home</h1> true
}
