package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/valkeystore"
	"github.com/valkey-io/valkey-go"
)

// valueSize is the size of the values of the Valkey benchmarks: small
// enough that the round trip, not the copy, is what is measured.
const valueSize = 100

func newRawValkey(b *testing.B, addr string) valkey.Client {
	c, err := valkey.NewClient(valkey.ClientOption{InitAddress: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

func newValkeyCache(b *testing.B, addr string) *valcache.Cache[string, []byte] {
	p, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{addr}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	c, err := valcache.New(p, valcache.Options[string, []byte]{Namespace: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// valkeyPair is the common ground of the Valkey benchmarks: a value, key
// names for each side, a raw valkey-go client and a valcache cache, both on
// the shared server.
func valkeyPair(b *testing.B) ([]byte, []string, []string, valkey.Client, *valcache.Cache[string, []byte]) {
	addr := servers.Valkey(b).Addr()
	return bytes.Repeat([]byte("v"), valueSize), benchKeys("raw:"), benchKeys("k"), newRawValkey(b, addr), newValkeyCache(b, addr)
}

func BenchmarkValkeyHit(b *testing.B) {
	ctx := context.Background()
	value, rawKeys, keys, raw, vc := valkeyPair(b)
	for i := range keyCount {
		if err := raw.Do(ctx, raw.B().Set().Key(rawKeys[i]).Value(valkey.BinaryString(value)).Build()).Error(); err != nil {
			b.Fatal(err)
		}
		if err := vc.Set(ctx, keys[i], value); err != nil {
			b.Fatal(err)
		}
	}
	sideBySide(b, map[string]func(int){
		"valkey-go": func(i int) {
			if _, err := raw.Do(ctx, raw.B().Get().Key(rawKeys[i%keyCount]).Build()).AsBytes(); err != nil {
				b.Fatal(err)
			}
		},
		"valcache": func(i int) {
			if _, ok, err := vc.GetIfPresent(ctx, keys[i%keyCount]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		},
	})
}

func BenchmarkValkeySet(b *testing.B) {
	ctx := context.Background()
	value, rawKeys, keys, raw, vc := valkeyPair(b)
	sideBySide(b, map[string]func(int){
		"valkey-go": func(i int) {
			cmd := raw.B().Set().Key(rawKeys[i%keyCount]).Value(valkey.BinaryString(value)).PxMilliseconds(3_600_000).Build()
			if err := raw.Do(ctx, cmd).Error(); err != nil {
				b.Fatal(err)
			}
		},
		"valcache": func(i int) {
			if err := vc.Set(ctx, keys[i%keyCount], value); err != nil {
				b.Fatal(err)
			}
		},
	})
}
