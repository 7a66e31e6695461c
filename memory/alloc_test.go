package memory_test

import (
	"context"
	"testing"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
)

type profile struct {
	Name  string
	Email string
	Score float64
	Roles []string
}

// A hit through the facade on the in-process provider must not allocate:
// no encoding, no boxing, no key building.
func TestHitDoesNotAllocate(t *testing.T) {
	p, err := memory.New(memory.Config{MaxEntries: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	byString, err := valcache.New(p, valcache.Options[string, profile]{Namespace: "profiles"})
	if err != nil {
		t.Fatal(err)
	}
	byInt, err := valcache.New(p, valcache.Options[int, profile]{Namespace: "by-int"})
	if err != nil {
		t.Fatal(err)
	}
	want := profile{Name: "Ada", Email: "ada@example.com", Score: 1, Roles: []string{"admin"}}
	if err := byString.Set(ctx, "ada", want); err != nil {
		t.Fatal(err)
	}
	if err := byInt.Set(ctx, 7, want); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		v, ok, err := byString.GetIfPresent(ctx, "ada")
		if err != nil || !ok || v.Name != "Ada" {
			t.Fatalf("hit failed: %v %v %v", v, ok, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("a string-keyed hit allocates %v times", allocs)
	}
	// Small integers format without allocating (strconv caches 0-99).
	allocs = testing.AllocsPerRun(1000, func() {
		if _, ok, _ := byInt.GetIfPresent(ctx, 7); !ok {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("an int-keyed hit allocates %v times", allocs)
	}
}
