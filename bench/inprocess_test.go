package bench

import (
	"context"
	"testing"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

// user is a typical cached struct.
type user struct {
	ID    int64
	Name  string
	Email string
	Roles []string
}

func sampleUser(i int) user {
	return user{ID: int64(i), Name: "Ada Lovelace", Email: "ada@example.com", Roles: []string{"admin", "ops"}}
}

func newOtter(b *testing.B) *otter.Cache[string, user] {
	c, err := otter.New(&otter.Options[string, user]{MaximumSize: 2 * keyCount})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.StopAllGoroutines() })
	return c
}

func newInProcess(b *testing.B) *valcache.Cache[string, user] {
	p, err := memory.New(memory.Config{MaxEntries: 2 * keyCount})
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

func BenchmarkInProcessHit(b *testing.B) {
	ctx := context.Background()
	keys := benchKeys("user:")
	raw := newOtter(b)
	vc := newInProcess(b)
	for i, k := range keys {
		raw.Set(k, sampleUser(i))
		if err := vc.Set(ctx, k, sampleUser(i)); err != nil {
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

func BenchmarkInProcessSet(b *testing.B) {
	ctx := context.Background()
	keys := benchKeys("user:")
	raw := newOtter(b)
	vc := newInProcess(b)
	u := sampleUser(1)
	sideBySide(b, map[string]func(int){
		"otter": func(i int) { raw.Set(keys[i%keyCount], u) },
		"valcache": func(i int) {
			if err := vc.Set(ctx, keys[i%keyCount], u); err != nil {
				b.Fatal(err)
			}
		},
	})
}

// BenchmarkInProcessGetHit is the hit path of get-or-load (Get with a
// loader that never runs), next to GetIfPresent's.
func BenchmarkInProcessGetHit(b *testing.B) {
	ctx := context.Background()
	keys := benchKeys("user:")
	vc := newInProcess(b)
	for i, k := range keys {
		if err := vc.Set(ctx, k, sampleUser(i)); err != nil {
			b.Fatal(err)
		}
	}
	never := func(context.Context, string) (user, error) { b.Fatal("loader ran on a hit"); return user{}, nil }
	sideBySide(b, map[string]func(int){
		"getifpresent": func(i int) {
			if _, ok, err := vc.GetIfPresent(ctx, keys[i%keyCount]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		},
		"get": func(i int) {
			if _, err := vc.Get(ctx, keys[i%keyCount], never); err != nil {
				b.Fatal(err)
			}
		},
	})
}
