package valkeystore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/valkeystore"
)

type Product struct {
	Name  string
	Price float64
}

// Caches over Valkey are shared by every process that connects to it: here
// two providers stand for two processes of one service.
func Example() {
	ctx := context.Background()
	addr := valkeyAddr() // "127.0.0.1:6379", say: one node, or any node of a cluster

	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{addr}})
	if err != nil {
		panic(err) // names the address and the cause: refused, WRONGPASS, ...
	}
	defer p.Close()
	products, _ := valcache.New(p, valcache.Options[int, Product]{Namespace: "products", TTL: 10 * time.Minute})

	other, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{addr}})
	if err != nil {
		panic(err)
	}
	defer other.Close()
	elsewhere, _ := valcache.New(other, valcache.Options[int, Product]{Namespace: "products"})

	_ = products.SetWith(ctx, 7, Product{Name: "Keyboard", Price: 49}, valcache.SetOptions{Tags: []string{"supplier:3"}})
	pr, found, err := elsewhere.GetIfPresent(ctx, 7)
	fmt.Println(pr.Name, found, err)

	// An invalidation by one process holds for all of them.
	_ = elsewhere.InvalidateTags(ctx, "supplier:3")
	_, found, _ = products.GetIfPresent(ctx, 7)
	fmt.Println(found)
	// Output:
	// Keyboard true <nil>
	// false
}

// Get loads a missing key once for the whole fleet: one process is elected
// to run its loader, the others wait for its value.
func Example_getOrLoad() {
	ctx := context.Background()
	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{valkeyAddr()}})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	products, _ := valcache.New(p, valcache.Options[int, Product]{Namespace: "products"})

	load := func(ctx context.Context, id int) (Product, error) {
		fmt.Println("loading", id)
		return Product{Name: "Mouse", Price: 19}, nil
	}
	for range 2 {
		pr, err := products.Get(ctx, 8, load)
		fmt.Println(pr.Name, err)
	}
	// Output:
	// loading 8
	// Mouse <nil>
	// Mouse <nil>
}
