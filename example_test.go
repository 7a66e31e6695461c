package valcache_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

type User struct {
	Name string
	Team string
}

// A cache is a namespace over a provider; the same code runs over Valkey by
// building the provider with valkeystore.New instead.
func Example() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{MaxEntries: 100_000})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	users, err := valcache.New(p, valcache.Options[int, User]{
		Namespace: "users",
		TTL:       10 * time.Minute,
		Jitter:    0.1,
	})
	if err != nil {
		panic(err)
	}

	if err := users.Set(ctx, 42, User{Name: "Ada"}); err != nil {
		panic(err)
	}
	u, found, err := users.GetIfPresent(ctx, 42)
	fmt.Println(u.Name, found, err)

	_, found, err = users.GetIfPresent(ctx, 7) // a miss is not an error
	fmt.Println(found, err)
	// Output:
	// Ada true <nil>
	// false <nil>
}

// Get returns the cached value, or runs the loader once for a missing key
// however many callers ask for it at the same time, and caches what it
// returns.
func ExampleCache_Get() {
	ctx := context.Background()
	p, _ := memory.New(memory.Config{})
	defer p.Close()
	users, _ := valcache.New(p, valcache.Options[int, User]{Namespace: "users"})

	loadUser := func(ctx context.Context, id int) (User, error) {
		fmt.Println("loading", id) // a database query, say
		if id != 42 {
			return User{}, valcache.ErrNotFound
		}
		return User{Name: "Ada"}, nil
	}

	u, err := users.Get(ctx, 42, loadUser)
	fmt.Println(u.Name, err)
	u, err = users.Get(ctx, 42, loadUser) // cached: the loader does not run
	fmt.Println(u.Name, err)

	_, err = users.Get(ctx, 7, loadUser)
	fmt.Println(errors.Is(err, valcache.ErrNotFound))
	// Output:
	// loading 42
	// Ada <nil>
	// Ada <nil>
	// loading 7
	// true
}

// Tags group entries so that one call invalidates them all, whatever their
// number.
func ExampleCache_InvalidateTags() {
	ctx := context.Background()
	p, _ := memory.New(memory.Config{})
	defer p.Close()
	users, _ := valcache.New(p, valcache.Options[int, User]{Namespace: "users"})

	_ = users.SetWith(ctx, 1, User{Name: "Ada", Team: "7"}, valcache.SetOptions{Tags: []string{"team:7"}})
	_ = users.SetWith(ctx, 2, User{Name: "Grace", Team: "7"}, valcache.SetOptions{Tags: []string{"team:7"}})
	_ = users.SetWith(ctx, 3, User{Name: "Linus", Team: "9"}, valcache.SetOptions{Tags: []string{"team:9"}})

	if err := users.InvalidateTags(ctx, "team:7"); err != nil {
		panic(err)
	}
	for id := 1; id <= 3; id++ {
		u, found, _ := users.GetIfPresent(ctx, id)
		fmt.Printf("%d found=%v %q\n", id, found, u.Name)
	}
	// Output:
	// 1 found=false ""
	// 2 found=false ""
	// 3 found=true "Linus"
}

// Compute updates an entry atomically: if another writer changes it between
// the read and the write, the function runs again on the new value, so no
// update is lost.
func ExampleCache_Compute() {
	ctx := context.Background()
	p, _ := memory.New(memory.Config{})
	defer p.Close()
	visits, _ := valcache.New(p, valcache.Options[string, int]{Namespace: "visits"})

	for range 3 {
		_, _, err := visits.Compute(ctx, "/home", func(old int, found bool) (int, valcache.ComputeOp, error) {
			return old + 1, valcache.ComputeSet, nil
		}, valcache.ComputeOptions{})
		if err != nil {
			panic(err)
		}
	}
	n, _, _ := visits.GetIfPresent(ctx, "/home")
	fmt.Println(n)
	// Output:
	// 3
}

// Fetch is Get with the details of how the value was obtained, and options
// for the entry the loader produces.
func ExampleCache_Fetch() {
	ctx := context.Background()
	p, _ := memory.New(memory.Config{})
	defer p.Close()
	pages, _ := valcache.New(p, valcache.Options[string, string]{Namespace: "pages"})

	render := func(ctx context.Context, path string) (string, error) {
		return strings.ToUpper(path), nil
	}
	r, err := pages.Fetch(ctx, "/about", render, valcache.LoadOptions{
		TTL:  time.Minute,
		Tags: []string{"site"},
	})
	fmt.Println(r.Value, r.Stale, err)
	// Output:
	// /ABOUT false <nil>
}
