package cachetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// tagCases run only against providers that keep versions; the others must
// refuse tags with ErrNotSupported, which "TagsNeedVersions" checks.
var tagCases = []testCase{
	{"InvalidatedEntriesAreNeverReturned", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		writes := map[string][]string{"a": {"red"}, "b": {"blue"}, "ab": {"red", "blue"}, "none": nil}
		for k, tags := range writes {
			if err := c.SetWith(ctx, k, "v-"+k, valcache.SetOptions{Tags: tags}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.InvalidateTags(ctx, "red"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "a")
		wantNoGet(t, c, "ab")
		wantGet(t, c, "b", "v-b")
		wantGet(t, c, "none", "v-none")
		got, err := c.GetManyIfPresent(ctx, []string{"a", "b", "ab", "none"})
		if err != nil || len(got) != 2 || got["b"] != "v-b" || got["none"] != "v-none" {
			t.Fatalf("GetMany after invalidating red = %v, %v; want only b and none", got, err)
		}
		// A write after the invalidation is served again.
		if err := c.SetWith(ctx, "a", "v-a2", valcache.SetOptions{Tags: []string{"red"}}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "a", "v-a2")
		if err := c.InvalidateTags(ctx, "blue", "green"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "b")
		wantGet(t, c, "a", "v-a2")
	}},
	{"StampTakenBeforeAnInvalidationLosesIt", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		st, err := c.Stamp(ctx, "user:1")
		if err != nil {
			t.Fatal(err)
		}
		// The value was read from its source here, then the source changed
		// and the tag was invalidated, before the write.
		if err := c.InvalidateTags(ctx, "user:1"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(ctx, "k", "stale", valcache.SetOptions{Stamp: st}); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k")
		// The same stamp with a longer TTL is re-checked, and dropped too.
		if err := c.SetWith(ctx, "k2", "stale", valcache.SetOptions{Stamp: st, TTL: 48 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k2")
		fresh, err := c.Stamp(ctx, "user:1")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(ctx, "k", "fresh", valcache.SetOptions{Stamp: fresh}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", "fresh")
		if tags := fresh.Tags(); len(tags) != 1 || tags[0] != "user:1" {
			t.Fatalf("Stamp.Tags() = %v", tags)
		}
	}},
	{"ClearIsAVersionBumpAndSparesOtherNamespaces", func(t *testing.T, p driver.Provider, _ Harness) {
		a := newCache(t, p, valcache.Options[int, int]{})
		b := newCache(t, p, valcache.Options[int, int]{})
		ctx := ctxFor(t)
		items := map[int]int{}
		for i := range 500 {
			items[i] = i
		}
		if err := a.SetMany(ctx, items); err != nil {
			t.Fatal(err)
		}
		if err := b.SetMany(ctx, items); err != nil {
			t.Fatal(err)
		}
		if err := a.SetWith(ctx, 1000, 1, valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		if err := a.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		keys := make([]int, 0, 501)
		for i := range 500 {
			keys = append(keys, i)
		}
		keys = append(keys, 1000)
		if got, err := a.GetManyIfPresent(ctx, keys); err != nil || len(got) != 0 {
			t.Fatalf("after Clear, %d of a's entries are still served (%v)", len(got), err)
		}
		wantNoGet(t, a, 7)
		if got, err := b.GetManyIfPresent(ctx, keys); err != nil || len(got) != 500 {
			t.Fatalf("clearing a took entries of b: %d left (%v)", len(got), err)
		}
		if err := a.Set(ctx, 7, 70); err != nil {
			t.Fatal(err)
		}
		wantGet(t, a, 7, 70)
	}},
	{"WriteAfterAClearElsewhereIsServed", func(t *testing.T, p driver.Provider, _ Harness) {
		// Two caches over one namespace stand for two processes: one keeps
		// writing with the namespace version it remembers, the other clears.
		ns := namespace(t)
		writer := newCache(t, p, valcache.Options[string, string]{Namespace: ns})
		other := newCache(t, p, valcache.Options[string, string]{Namespace: ns})
		ctx := ctxFor(t)
		if err := writer.Set(ctx, "before", "v"); err != nil {
			t.Fatal(err)
		}
		if err := other.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, writer, "before")
		if err := writer.Set(ctx, "after", "v"); err != nil {
			t.Fatal(err)
		}
		wantGet(t, writer, "after", "v")
		wantGet(t, other, "after", "v")
	}},
	{"PurgeDeletesOnlyEntriesThatCanNoLongerBeServed", func(t *testing.T, p driver.Provider, _ Harness) {
		if _, ok := p.(driver.Scanner); !ok {
			t.Skip("provider cannot scan; Purge reports ErrNotSupported")
		}
		c := newCache(t, p, valcache.Options[int, string]{})
		ctx := ctxFor(t)
		groups := map[string][]string{"old": {"old"}, "keep": {"keep"}, "plain": nil}
		next := 0
		ids := map[string][]int{}
		for name, tags := range groups {
			values := map[int]string{}
			for range 120 {
				values[next] = name
				ids[name] = append(ids[name], next)
				next++
			}
			if err := c.SetManyWith(ctx, values, valcache.SetOptions{Tags: tags}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.InvalidateTags(ctx, "old"); err != nil {
			t.Fatal(err)
		}
		purge := func() int {
			total, cursor := 0, ""
			for range 10_000 {
				var n int
				var err error
				cursor, n, err = c.Purge(ctx, cursor, 50)
				if err != nil {
					t.Fatalf("Purge: %v", err)
				}
				total += n
				if cursor == "" {
					return total
				}
			}
			t.Fatal("Purge never finished its walk")
			return 0
		}
		if n := purge(); n != 120 {
			t.Fatalf("Purge deleted %d entries, want the 120 invalidated ones", n)
		}
		for _, id := range ids["old"] {
			wantMiss(t, p, driver.Key{Namespace: c.Namespace(), ID: fmt.Sprint(id)})
		}
		for _, id := range append(ids["keep"], ids["plain"]...) {
			_, found, err := c.GetIfPresent(ctx, id)
			if err != nil || !found {
				t.Fatalf("entry %d was purged though it is still valid (err %v)", id, err)
			}
		}
		if err := c.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		if n := purge(); n != 240 {
			t.Fatalf("Purge after Clear deleted %d entries, want 240", n)
		}
	}},
	{"BulkWritesAfterAClearAreServed", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		c := newCache(t, p, valcache.Options[int, int]{Namespace: ns})
		other := newCache(t, p, valcache.Options[int, int]{Namespace: ns})
		ctx := ctxFor(t)
		batch := func(from int) map[int]int {
			m := map[int]int{}
			for i := from; i < from+50; i++ {
				m[i] = i
			}
			return m
		}
		for round, clear := range []*valcache.Cache[int, int]{c, other} {
			if err := c.Set(ctx, -1, -1); err != nil { // remembers the namespace's version
				t.Fatal(err)
			}
			if err := clear.Clear(ctx); err != nil {
				t.Fatal(err)
			}
			values := batch(round * 100)
			if err := c.SetMany(ctx, values); err != nil {
				t.Fatal(err)
			}
			keys := make([]int, 0, len(values))
			for k := range values {
				keys = append(keys, k)
			}
			if got, err := c.GetManyIfPresent(ctx, keys); err != nil || len(got) != len(values) {
				t.Fatalf("round %d: %d of %d entries written after a Clear are served (%v)", round, len(got), len(values), err)
			}
		}
	}},
	{"StampFromAnotherNamespaceIsRefused", func(t *testing.T, p driver.Provider, _ Harness) {
		users := newCache(t, p, valcache.Options[string, string]{})
		orders := newCache(t, p, valcache.Options[string, string]{})
		st, err := users.Stamp(ctxFor(t), "t")
		if err != nil {
			t.Fatal(err)
		}
		if err := orders.SetWith(ctxFor(t), "k", "v", valcache.SetOptions{Stamp: st}); err == nil {
			t.Fatal("a stamp of another namespace was accepted")
		}
		wantNoGet(t, orders, "k")
	}},
	{"UntaggedEntriesPayNoTagLookups", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		if err := c.Set(ctx, "plain", "v"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetMany(ctx, map[string]string{"p1": "1", "p2": "2"}); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			wantGet(t, c, "plain", "v")
		}
		if got, err := c.GetManyIfPresent(ctx, []string{"plain", "p1", "p2"}); err != nil || len(got) != 3 {
			t.Fatalf("GetMany = %v, %v", got, err)
		}
		if n := c.Stats().TagLookups; n != 0 {
			t.Fatalf("reading untagged entries made %d tag lookups", n)
		}
		if err := c.SetWith(ctx, "tagged", "v", valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "tagged", "v")
	}},
	{"BadTagsAreRefused", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		if err := c.SetWith(ctx, "k", "v", valcache.SetOptions{Tags: []string{""}}); !errors.Is(err, valcache.ErrEmptyTag) {
			t.Fatalf("empty tag on write: %v, want ErrEmptyTag", err)
		}
		if err := c.InvalidateTags(ctx, ""); !errors.Is(err, valcache.ErrEmptyTag) {
			t.Fatalf("empty tag on invalidation: %v, want ErrEmptyTag", err)
		}
		st, err := c.Stamp(ctx, "x")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(ctx, "k", "v", valcache.SetOptions{Stamp: st, Tags: []string{""}}); !errors.Is(err, valcache.ErrEmptyTag) {
			t.Fatalf("empty tag beside a stamp: %v, want ErrEmptyTag", err)
		}
		wantNoGet(t, c, "k")
		// Tags with the characters that matter to key layouts.
		odd := []string{"a:b", "{x}", "}", "%", "*", "ns:" + c.Namespace()}
		for i, tag := range odd {
			if err := c.SetWith(ctx, fmt.Sprint(i), "v", valcache.SetOptions{Tags: []string{tag}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.InvalidateTags(ctx, "{x}"); err != nil {
			t.Fatal(err)
		}
		for i, tag := range odd {
			_, found, err := c.GetIfPresent(ctx, fmt.Sprint(i))
			if err != nil || found != (tag != "{x}") {
				t.Fatalf("tag %q: found=%v err=%v after invalidating only {x}", tag, found, err)
			}
		}
	}},
	{"InvalidationRacingLoadsLeavesNoStaleEntry", func(t *testing.T, p driver.Provider, _ Harness) {
		raceInvalidationAgainstLoads(t, p)
	}},
}

// raceInvalidationAgainstLoads runs loaders (stamp, read the source, write
// with the stamp), an updater (change the source, then invalidate) and
// readers at once. Once an invalidation for source version n has returned,
// no read may return a value older than n.
func raceInvalidationAgainstLoads(t *testing.T, p driver.Provider) {
	c := newCache(t, p, valcache.Options[int, int64]{})
	const tag = "row"
	var source atomic.Int64      // the "database"
	var invalidated atomic.Int64 // the newest source version whose invalidation returned
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	const keys = 4
	updates := 150
	wg.Add(1)
	go func() { // updater
		defer wg.Done()
		for range updates {
			n := source.Add(1)
			if err := c.InvalidateTags(ctx, tag); err != nil {
				fail(err)
				return
			}
			invalidated.Store(n)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	stop := make(chan struct{})
	for w := range 3 { // loaders
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				st, err := c.Stamp(ctx, tag)
				if err != nil {
					fail(err)
					return
				}
				v := source.Load()
				if err := c.SetWith(ctx, (w+i)%keys, v, valcache.SetOptions{Stamp: st}); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for r := range 3 { // readers
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				floor := invalidated.Load()
				v, found, err := c.GetIfPresent(ctx, (r+i)%keys)
				if err != nil {
					fail(err)
					return
				}
				if found && v < floor {
					fail(fmt.Errorf("read source version %d after the invalidation for version %d had returned", v, floor))
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		for invalidated.Load() < int64(updates) && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		close(stop)
		close(done)
	}()
	<-done
	wg.Wait()
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if invalidated.Load() < int64(updates) {
		t.Fatalf("only %d of %d invalidations ran in time", invalidated.Load(), updates)
	}
}
