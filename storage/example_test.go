package storage_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/storage"
)

// Two storages on one provider, each under its own prefix: Reset clears one
// and leaves the other.
func Example() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{}) // or a valkeystore.Provider
	if err != nil {
		panic(err)
	}
	defer p.Close()

	csrf, err := storage.New(p, storage.Options{Prefix: "csrf"})
	if err != nil {
		panic(err)
	}
	tokens, err := storage.New(p, storage.Options{Prefix: "tokens"})
	if err != nil {
		panic(err)
	}

	_ = csrf.Set(ctx, "form:1", []byte("a1b2"), 30*time.Minute)
	_ = tokens.Set(ctx, "api:7", []byte("secret"), storage.NoExpiry)

	v, found, err := csrf.Get(ctx, "form:1")
	fmt.Println(string(v), found, err)

	if err := csrf.Reset(ctx); err != nil {
		panic(err)
	}
	_, found, _ = csrf.Get(ctx, "form:1")
	fmt.Println(found)
	_, found, _ = tokens.Get(ctx, "api:7")
	fmt.Println(found)
	// Output:
	// a1b2 true <nil>
	// false
	// true
}

// Fiber adapts a Storage to the storage interface of gofiber's middlewares
// (limiter, session, cache, csrf), whose calls carry no context.
func ExampleFiber() {
	p, _ := memory.New(memory.Config{})
	defer p.Close()

	s, err := storage.New(p, storage.Options{Prefix: "fiber"})
	if err != nil {
		panic(err)
	}
	fs := storage.Fiber(s, 2*time.Second)
	_ = fs.Set("visits", []byte("1"), time.Hour)
	v, err := fs.Get("visits")
	fmt.Println(string(v), err)
	v, err = fs.Get("missing") // nil, nil, as Fiber expects
	fmt.Println(v == nil, err)
	// Output:
	// 1 <nil>
	// true <nil>
}
