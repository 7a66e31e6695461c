package twolevel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

type User struct {
	Name string
}

// In-process copies over a shared Valkey. Under the default Tracking
// coherence, the Valkey provider must track every read (TrackAllReads), so
// that the server tells each process when another one changes an entry it
// holds a copy of.
func Example() {
	ctx := context.Background()
	l2, err := valkeystore.New(ctx, valkeystore.Config{
		Addrs:         []string{valkeyAddr()}, // "127.0.0.1:6379", say
		TrackAllReads: true,
	})
	if err != nil {
		panic(err)
	}
	l1, err := memory.New(memory.Config{MaxEntries: 100_000})
	if err != nil {
		panic(err)
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{StaleIfError: 30 * time.Second})
	if err != nil {
		panic(err)
	}
	defer p.Close() // closes both levels

	users, _ := valcache.New(p, valcache.Options[int, User]{Namespace: "users"})
	_ = users.Set(ctx, 42, User{Name: "Ada"})

	u, _, _ := users.GetIfPresent(ctx, 42) // from Valkey, kept as a copy
	fmt.Println(u.Name)
	u, _, _ = users.GetIfPresent(ctx, 42) // from the copy: no round trip
	fmt.Println(u.Name)

	s := users.Stats()
	fmt.Println("L2 hits:", s.L2Hits, "L1 hits:", s.L1Hits)
	// Output:
	// Ada
	// Ada
	// L2 hits: 1 L1 hits: 1
}
