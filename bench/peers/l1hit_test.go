package peers

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	rediscache "github.com/go-redis/cache/v9"
	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"
	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/benchutil"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
	"github.com/valkey-io/valkey-go"
)

// user is the value of the hit benchmarks: a small struct, as a session or
// profile would be.
type user struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Age   int    `json:"age"`
}

func sampleUser(i int) user {
	return user{ID: i, Name: "Ada Lovelace", Email: "ada@example.com", Age: 36}
}

// BenchmarkL1Hit compares the two-level provider's in-process hit with
// raw otter, valcache's in-process provider, go-redis/cache's local-cache hit, and a remote GET with raw
// valkey-go (and valkey-go's own client-side cache, DoCache), all on the
// same server and keys in one run.
func BenchmarkL1Hit(b *testing.B) {
	ctx := context.Background()
	addr := servers.Valkey(b).Addr()
	keys := benchutil.Keys("u")
	n := benchutil.KeyCount

	oc := otter.Must(&otter.Options[string, user]{MaximumSize: 4 * n})
	for i, k := range keys {
		oc.Set(k, sampleUser(i))
	}
	b.Cleanup(func() { oc.StopAllGoroutines() })

	mp, err := memory.New(memory.Config{MaxEntries: 4 * n})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = mp.Close() })
	mc, err := valcache.New(mp, valcache.Options[string, user]{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	for i, k := range keys {
		if err := mc.Set(ctx, k, sampleUser(i)); err != nil {
			b.Fatal(err)
		}
	}

	tl := newTwoLevel(b, addr)
	for i, k := range keys {
		if err := tl.Set(ctx, k, sampleUser(i)); err != nil {
			b.Fatal(err)
		}
		if _, ok, err := tl.GetIfPresent(ctx, k); !ok || err != nil {
			b.Fatal("two-level warm-up miss", err)
		}
	}

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { _ = rdb.Close() })
	rc := rediscache.New(&rediscache.Options{Redis: rdb, LocalCache: rediscache.NewTinyLFU(4*n, time.Hour)})
	for i, k := range keys {
		if err := rc.Set(&rediscache.Item{Ctx: ctx, Key: "rc:" + k, Value: sampleUser(i), TTL: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}

	raw, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(raw.Close)
	for i, k := range keys {
		j, _ := json.Marshal(sampleUser(i))
		if err := raw.Do(ctx, raw.B().Set().Key("raw:"+k).Value(valkey.BinaryString(j)).Build()).Error(); err != nil {
			b.Fatal(err)
		}
	}

	var sink user
	benchutil.SideBySide(b, map[string]func(int){
		"otter": func(i int) {
			v, ok := oc.GetIfPresent(keys[i%n])
			if !ok {
				b.Fatal("otter miss")
			}
			sink = v
		},
		"valcache-memory": func(i int) {
			v, ok, err := mc.GetIfPresent(ctx, keys[i%n])
			if !ok || err != nil {
				b.Fatal("in-process miss", err)
			}
			sink = v
		},
		"valcache-twolevel": func(i int) {
			v, ok, err := tl.GetIfPresent(ctx, keys[i%n])
			if !ok || err != nil {
				b.Fatal("two-level miss", err)
			}
			sink = v
		},
		"go-redis-cache-local": func(i int) {
			var v user
			if err := rc.Get(ctx, "rc:"+keys[i%n], &v); err != nil {
				b.Fatal(err)
			}
			sink = v
		},
		"valkey-go-GET": func(i int) {
			bs, err := raw.Do(ctx, raw.B().Get().Key("raw:"+keys[i%n]).Build()).AsBytes()
			if err != nil {
				b.Fatal(err)
			}
			var v user
			if err := json.Unmarshal(bs, &v); err != nil {
				b.Fatal(err)
			}
			sink = v
		},
		"valkey-go-DoCache": func(i int) {
			bs, err := raw.DoCache(ctx, raw.B().Get().Key("raw:"+keys[i%n]).Cache(), time.Hour).AsBytes()
			if err != nil {
				b.Fatal(err)
			}
			var v user
			if err := json.Unmarshal(bs, &v); err != nil {
				b.Fatal(err)
			}
			sink = v
		},
	})
	_ = sink
}

func newTwoLevel(b *testing.B, addr string) *valcache.Cache[string, user] {
	l2, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{addr}, TrackAllReads: true, KeyPrefix: "tl:"})
	if err != nil {
		b.Fatal(err)
	}
	l1, err := memory.New(memory.Config{MaxEntries: 4 * benchutil.KeyCount})
	if err != nil {
		b.Fatal(err)
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	c, err := valcache.New(p, valcache.Options[string, user]{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}
