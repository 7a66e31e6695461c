package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

// BenchmarkInProcessBytesHit is the price of value ownership: a
// Cache[string, []byte] over memory copies the value on the way out (so a
// caller that changes the returned bytes never changes the cached entry),
// where raw otter hands out the stored slice. 100-byte values.
func BenchmarkInProcessBytesHit(b *testing.B) {
	ctx := context.Background()
	keys := benchKeys("blob:")
	value := bytes.Repeat([]byte("v"), 100)
	raw, err := otter.New(&otter.Options[string, []byte]{MaximumSize: 2 * keyCount})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.StopAllGoroutines() })
	p, err := memory.New(memory.Config{MaxEntries: 2 * keyCount})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	vc, err := valcache.New(p, valcache.Options[string, []byte]{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range keys {
		raw.Set(k, value)
		if err := vc.Set(ctx, k, value); err != nil {
			b.Fatal(err)
		}
	}
	sideBySide(b, map[string]func(int){
		"otter": func(i int) {
			if _, ok := raw.GetIfPresent(keys[i%keyCount]); !ok {
				b.Fatal("miss")
			}
		},
		"valcache": func(i int) {
			if _, ok, err := vc.GetIfPresent(ctx, keys[i%keyCount]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		},
	})
}
