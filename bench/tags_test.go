package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/valkeystore"
)

var invalidationSizes = []int{1_000, 10_000, 100_000, 1_000_000}

// fillTagged writes n entries tagged "t" in batches.
func fillTagged(b *testing.B, c *valcache.Cache[int, []byte], n int) {
	const batch = 2000
	value := make([]byte, 16)
	for start := 0; start < n; start += batch {
		values := make(map[int][]byte, batch)
		for i := start; i < min(start+batch, n); i++ {
			values[i] = value
		}
		if err := c.SetManyWith(context.Background(), values, valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchInvalidate measures InvalidateTags of a tag carried by n entries:
// the cost must not grow with n.
func benchInvalidate(b *testing.B, p driver.Provider) {
	for _, n := range invalidationSizes {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			c, err := valcache.New(p, valcache.Options[int, []byte]{Namespace: fmt.Sprintf("inv%d", n)})
			if err != nil {
				b.Fatal(err)
			}
			fillTagged(b, c, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.InvalidateTags(ctx, "t"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if _, found, _ := c.GetIfPresent(ctx, n/2); found {
				b.Fatal("an entry survived the invalidation")
			}
			_ = c.Clear(ctx)
		})
	}
}

func BenchmarkInvalidateTagInProcess(b *testing.B) {
	p, err := memory.New(memory.Config{MaxEntries: 2_000_000})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchInvalidate(b, p)
}

func BenchmarkInvalidateTagValkey(b *testing.B) {
	p, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{servers.Valkey(b).Addr()}, KeyPrefix: "binv:"})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchInvalidate(b, p)
}

// benchTaggedRead compares hits on entries with 0, 1 and 3 tags.
func benchTaggedRead(b *testing.B, p driver.Provider) {
	ctx := context.Background()
	for _, tags := range [][]string{nil, {"a"}, {"a", "b", "c"}} {
		c, err := valcache.New(p, valcache.Options[string, []byte]{Namespace: fmt.Sprintf("read%d", len(tags))})
		if err != nil {
			b.Fatal(err)
		}
		keys := benchKeys("k")
		value := make([]byte, valueSize)
		for _, k := range keys {
			if err := c.SetWith(ctx, k, value, valcache.SetOptions{Tags: tags}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("tags=%d/goroutines=128", len(tags)), func(b *testing.B) {
			runAt(b, 128, func(i int) {
				if _, ok, err := c.GetIfPresent(ctx, keys[i%keyCount]); !ok || err != nil {
					b.Fatal("miss", err)
				}
			})
		})
	}
}

func BenchmarkTaggedReadInProcess(b *testing.B) {
	p, err := memory.New(memory.Config{MaxEntries: 4 * keyCount})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchTaggedRead(b, p)
}

func BenchmarkTaggedReadValkey(b *testing.B) {
	p, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{servers.Valkey(b).Addr()}, KeyPrefix: "bread:"})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	benchTaggedRead(b, p)
}
