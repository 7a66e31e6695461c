package valkeystore_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
)

// shardDownNamespace is the namespace of the shard-down test's cache.
const shardDownNamespace = "shard-down"

// A cluster that keeps serving the slots it can, with one shard (primary
// and replica) killed: through a plain Valkey cache, untagged and tagged
// keys of the other shards keep reading as hits, keys of the lost shard
// fail with ErrUnavailable, and bulk calls answer for the healthy shards
// and name exactly the lost shard's keys.
func TestShardDownHealthyShardsKeepServing(t *testing.T) {
	c, err := testserver.StartClusterWith(testserver.Options{Args: []string{"--cluster-require-full-coverage", "no"}})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = c.Stop() })
	p := newProvider(t, outageConfig(c.Addrs()))
	cache, err := valcache.New(p, valcache.Options[string, string]{Namespace: shardDownNamespace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cache.Close() })
	ctx := t.Context()

	// 40 untagged and 40 tagged keys, spread over every slot group; the
	// tagged ones share a tag, which has a copy in every group, and each
	// has one of its own.
	var keys []string
	tagged := map[string]bool{}
	for i := range 40 {
		u, tk := fmt.Sprintf("u%d", i), fmt.Sprintf("t%d", i)
		if err := cache.Set(ctx, u, "v-"+u); err != nil {
			t.Fatal(err)
		}
		if err := cache.SetWith(ctx, tk, "v-"+tk, valcache.SetOptions{Tags: []string{"all", "own:" + tk}}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, u, tk)
		tagged[tk] = true
	}
	for _, k := range keys {
		if v, ok, err := cache.GetIfPresent(ctx, k); err != nil || !ok || v != "v-"+k {
			t.Fatalf("read %s before the fault: %q, %v, %v", k, v, ok, err)
		}
	}

	primaries := c.Primaries()
	lost := map[string]bool{}
	for _, k := range keys {
		lost[k] = ownerOf(t, primaries[1], p.EntryKeyName(driver.Key{Namespace: shardDownNamespace, ID: k})) == primaries[0]
	}
	counts := map[[2]bool]int{}
	for _, k := range keys {
		counts[[2]bool{lost[k], tagged[k]}]++
	}
	for _, kind := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		if counts[kind] == 0 {
			t.Fatalf("no key that is lost=%v tagged=%v: %v", kind[0], kind[1], counts)
		}
	}

	shard, err := c.Shard(primaries[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range shard {
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	waitShardFailed(t, primaries[1], shard)

	// Two rounds: right after the fault, and once the client has met the
	// dead nodes and read the topology again.
	for round := range 2 {
		errs := make([]error, len(keys))
		values := make([]string, len(keys))
		hits := make([]bool, len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				values[i], hits[i], errs[i] = cache.GetIfPresent(ctx, k)
			}()
		}
		wg.Wait()
		for i, k := range keys {
			switch {
			case lost[k] && !errors.Is(errs[i], valcache.ErrUnavailable):
				t.Errorf("round %d: %s (lost shard, tagged %v): %q, %v, %v; want ErrUnavailable", round, k, tagged[k], values[i], hits[i], errs[i])
			case !lost[k] && (errs[i] != nil || !hits[i] || values[i] != "v-"+k):
				t.Errorf("round %d: %s (healthy shard, tagged %v): %q, %v, %v; want a hit", round, k, tagged[k], values[i], hits[i], errs[i])
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		time.Sleep(300 * time.Millisecond)
	}

	var healthy, dead []string
	for _, k := range keys {
		if lost[k] {
			dead = append(dead, k)
		} else {
			healthy = append(healthy, k)
		}
	}
	got, err := cache.GetMany(ctx, keys)
	wantFailed(t, "GetMany", err, dead)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(healthy))) {
		t.Fatalf("GetMany answered %v, want every key of the healthy shards %v", slices.Sorted(maps.Keys(got)), healthy)
	}
	for k, v := range got {
		if v != "v-"+k {
			t.Fatalf("GetMany: %s = %q", k, v)
		}
	}

	next := map[string]string{}
	for _, k := range keys {
		next[k] = "w-" + k
	}
	wantFailed(t, "SetMany", cache.SetMany(ctx, next), dead)
	if got, err = cache.GetMany(ctx, healthy); err != nil || len(got) != len(healthy) {
		t.Fatalf("GetMany of the healthy keys after SetMany: %d of %d, %v", len(got), len(healthy), err)
	}
	for k, v := range got {
		if v != "w-"+k {
			t.Fatalf("after SetMany: %s = %q", k, v)
		}
	}

	wantFailed(t, "DeleteMany", cache.DeleteMany(ctx, keys), dead)
	if got, err = cache.GetMany(ctx, healthy); err != nil || len(got) != 0 {
		t.Fatalf("GetMany of the healthy keys after DeleteMany: %v, %v; want none", got, err)
	}
}

// wantFailed fails unless err is a *KeyedBatchError naming exactly keys,
// each failure matching ErrUnavailable.
func wantFailed(t *testing.T, what string, err error, keys []string) {
	t.Helper()
	var be *valcache.KeyedBatchError[string]
	if !errors.As(err, &be) {
		t.Fatalf("%s: %v, want a *KeyedBatchError naming %v", what, err, keys)
	}
	if got := slices.Sorted(maps.Keys(be.Failed)); !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
		t.Fatalf("%s named %v as failed, want exactly the lost shard's %v (%v)", what, got, keys, err)
	}
	for k, e := range be.Failed {
		if !errors.Is(e, valcache.ErrUnavailable) {
			t.Fatalf("%s: %s failed with %v, want ErrUnavailable", what, k, e)
		}
	}
}

// ownerOf returns the primary that the node at addr says serves key.
func ownerOf(t *testing.T, addr, key string) string {
	t.Helper()
	v, err := testserver.Command(addr, "CLUSTER", "KEYSLOT", key)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := v.(int64)
	owner := servingNode(addr, n)
	if owner == "" {
		t.Fatalf("no node serves slot %d of %s", n, key)
	}
	return owner
}
