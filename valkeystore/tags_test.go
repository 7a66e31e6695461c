package valkeystore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/valkeystore"
)

// scanKeys returns every key under prefix on every primary, with SCAN,
// which also drops keys that have expired.
func scanKeys(t *testing.T, p *valkeystore.Provider, prefix string) []string {
	t.Helper()
	var keys []string
	for _, node := range p.Client().Nodes() {
		role, err := node.Do(t.Context(), node.B().Role().Build()).ToArray()
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := role[0].ToString(); r != "master" {
			continue
		}
		var cursor uint64
		for {
			e, err := node.Do(t.Context(), node.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, e.Elements...)
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
	return keys
}

func TestExpiredTaggedEntriesLeaveOnlyTagKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const prefix = "leak:"
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: prefix})
		c, err := valcache.New(p, valcache.Options[int, string]{Namespace: "n"})
		if err != nil {
			t.Fatal(err)
		}
		const entries, batch, tags = 100_000, 1000, 50
		ttl := 3 * time.Second
		firstWrite := time.Now() // no entry expires before firstWrite+ttl
		for start := 0; start < entries; start += batch {
			values := make(map[int]string, batch)
			for i := start; i < start+batch; i++ {
				values[i] = "v"
			}
			tagged := valcache.SetOptions{TTL: ttl, Tags: []string{fmt.Sprintf("t%d", start/batch%tags), "all"}}
			if err := c.SetManyWith(t.Context(), values, tagged); err != nil {
				t.Fatal(err)
			}
		}
		lastWrite := time.Now() // every entry expires by lastWrite+ttl
		// The count only means something if no entry can have expired
		// before the scan ended, so it is judged from when the scan ended,
		// not from when the writes did: on a busy machine either may take
		// longer than the TTL.
		n := len(scanKeys(t, p, prefix))
		if scanned := time.Now(); scanned.Before(firstWrite.Add(ttl)) {
			if n < entries {
				t.Fatalf("only %d keys after writing %d entries", n, entries)
			}
		} else {
			t.Logf("writing and scanning took %v, longer than the TTL: the count is not checked", scanned.Sub(firstWrite))
		}
		// Every entry expires ttl after it was written; SCAN skips expired
		// keys. Wait out the last write's TTL, then look until only
		// version keys are left, within a bound generous for a loaded
		// machine (expiry is exact on reads, so this normally passes at
		// the first look).
		time.Sleep(time.Until(lastWrite.Add(ttl + 100*time.Millisecond)))
		var left []string
		for deadline := time.Now().Add(30 * time.Second); ; {
			left = slices.Compact(slices.Sorted(slices.Values(scanKeys(t, p, prefix)))) // SCAN may repeat a key
			stray := ""
			for _, k := range left {
				if !valkeystore.IsVersionKeyName(k) {
					stray = k
					break
				}
			}
			if stray == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("key %q outlived its TTL by more than 30s and is not a version key", stray)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Each tag and the namespace have one version copy per group of
		// entries at most.
		if most := (tags + 2) * p.VersionGroups(); len(left) > most {
			t.Fatalf("%d keys left after every entry expired; want at most the %d copies of the tag keys and the namespace key", len(left), most)
		}
		t.Logf("%d entries written, %d keys left after they expired (version keys only)", entries, len(left))
	})
}

func TestTagsSpreadOverSlotsWithoutCrossSlotErrors(t *testing.T) {
	p := newProvider(t, valkeystore.Config{Addrs: servers.Cluster(t).Addrs(), KeyPrefix: "spread:"})
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const entries, tags = 2000, 500
	tagsOf := func(i int) []string {
		return []string{fmt.Sprintf("tag{%d}", i%tags), fmt.Sprintf("t:%d", (i*7)%tags), fmt.Sprintf("%d}", (i*13)%tags)}
	}
	keys := make([]string, entries)
	for i := range entries {
		keys[i] = fmt.Sprintf("k{%d}:%d", i, i)
		if err := c.SetWith(ctx, keys[i], i, valcache.SetOptions{Tags: tagsOf(i)}); err != nil {
			t.Fatalf("SetWith %d: %v", i, err)
		}
	}
	invalid := make([]string, 0, 100)
	for i := range 100 {
		invalid = append(invalid, fmt.Sprintf("tag{%d}", i))
	}
	if err := c.InvalidateTags(ctx, invalid...); err != nil {
		t.Fatalf("InvalidateTags over many slots: %v", err)
	}
	got, err := c.GetManyIfPresent(ctx, keys)
	if err != nil {
		t.Fatalf("GetMany over many slots: %v", err)
	}
	for i, k := range keys {
		_, found := got[k]
		if want := i%tags >= 100; found != want {
			t.Fatalf("entry %d: found=%v, want %v", i, found, want)
		}
	}
	for i := 0; i < entries; i += 97 {
		_, found, err := c.GetIfPresent(ctx, keys[i])
		if err != nil || found != (i%tags >= 100) {
			t.Fatalf("GetIfPresent %d: found=%v err=%v", i, found, err)
		}
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetManyIfPresent(ctx, keys); err != nil || len(got) != 0 {
		t.Fatalf("after Clear: %d entries, %v", len(got), err)
	}
}

func TestALostVersionKeyInvalidatesAndNeverResurrects(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: "lost:"})
		c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "n"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := c.SetWith(ctx, "k", "old", valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		cl := p.Client()
		if err := cl.Do(ctx, cl.B().Del().Key(p.VersionKeyName(driver.VersionKey{Namespace: "n", Tag: "t", Group: p.VersionGroup(driver.Key{Namespace: "n", ID: "k"})})).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		if _, found, err := c.GetIfPresent(ctx, "k"); err != nil || found {
			t.Fatalf("entry served after its tag key was lost: found=%v err=%v", found, err)
		}
		// A new entry with the tag recreates the key with a new version; the
		// old entry must not come back with it.
		if err := c.SetWith(ctx, "k2", "new", valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := c.GetIfPresent(ctx, "k"); found {
			t.Fatal("the old entry came back when its tag key was created again")
		}
		if v, found, err := c.GetIfPresent(ctx, "k2"); err != nil || !found || v != "new" {
			t.Fatalf("new entry: %q %v %v", v, found, err)
		}
		if err := cl.Do(ctx, cl.B().Del().Key(p.VersionKeyName(driver.VersionKey{Namespace: "n", Group: p.VersionGroup(driver.Key{Namespace: "n", ID: "k2"})})).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := c.GetIfPresent(ctx, "k2"); found {
			t.Fatal("entry served after the namespace's version key was lost")
		}
	})
}
