package twolevel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// A copy past its fresh time is not an answer: Get reloads it, through the
// fleet's load election, which compares against the stored bytes.
func TestStaleCopyIsReloaded(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "stale:"}, twolevel.Config{})
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "stale", TTL: 200 * time.Millisecond, StaleIfError: time.Minute, LoadTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := c.Set(ctx, "k", "old"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != "old" {
		t.Fatalf("read %q, %v, %v", v, ok, err)
	}
	time.Sleep(300 * time.Millisecond)
	v, err := c.Get(ctx, "k", func(context.Context, string) (string, error) { return "new", nil })
	if err != nil || v != "new" {
		t.Fatalf("Get of a stale copy = %q, %v; want the reloaded value", v, err)
	}
}

// With the store lost, stale-if-error serves every copy that was current
// when it was lost, tagged or not, and none whose tag or entry changed
// before, whether the change was made here or pushed from another instance.
func TestStaleIfErrorServesTaggedCopies(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	vcfg := valkeystore.Config{
		Addrs: []string{srv.Addr()}, KeyPrefix: "sie:",
		OperationTimeout: 300 * time.Millisecond, DialTimeout: 300 * time.Millisecond,
	}
	p := newProvider(t, vcfg, twolevel.Config{StaleIfError: time.Minute})
	other := newProvider(t, vcfg, twolevel.Config{})
	c := newCache[string](t, p, "sie")
	oc := newCache[string](t, other, "sie")
	ctx := t.Context()

	const n = 10
	kinds := []string{"plain", "kept", "gone-here", "gone-there", "changed-there"}
	key := func(kind string, i int) string { return fmt.Sprintf("%s-%d", kind, i) }
	for i := range n {
		for _, kind := range kinds {
			o := valcache.SetOptions{}
			if kind != "plain" {
				o.Tags = []string{"tag-" + kind, "own-" + key(kind, i)}
			}
			if err := c.SetWith(ctx, key(kind, i), "v", o); err != nil {
				t.Fatal(err)
			}
		}
	}
	readAll := func(what string) {
		t.Helper()
		for i := range n {
			for _, kind := range kinds {
				if v, ok, err := c.GetIfPresent(ctx, key(kind, i)); err != nil || !ok || v != "v" {
					t.Fatalf("%s: %s: %q, %v, %v", what, key(kind, i), v, ok, err)
				}
			}
		}
	}
	readAll("before")
	readAll("from the copies")

	if err := c.InvalidateTags(ctx, "tag-gone-here"); err != nil {
		t.Fatal(err)
	}
	// The cells this instance follows the other's invalidation by, one per
	// group, as they read before it.
	type followed struct {
		cell   *driver.VersionCell
		before driver.Version
	}
	var tagCells []followed
	for g := range p.VersionGroups() {
		if cells, ok := p.NearCells([]driver.VersionKey{{Namespace: "sie", Tag: "tag-gone-there", Group: g}}); ok {
			tagCells = append(tagCells, followed{cells[0], cells[0].Load()})
		}
	}
	if err := oc.InvalidateTags(ctx, "tag-gone-there"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := oc.Set(ctx, key("changed-there", i), "w"); err != nil {
			t.Fatal(err)
		}
	}
	// The pushes reach this instance about a round trip later, or much
	// later on a busy machine; wait until they have, without reading
	// through the cache (a read would fetch the store's answer).
	eventually(t, 20*time.Second, "the other instance's changes are pushed here", func() bool {
		for i := range n {
			if _, kept := p.NearGet(driver.Key{Namespace: "sie", ID: key("changed-there", i)}); kept {
				return false
			}
		}
		for _, f := range tagCells {
			if f.cell.Load() == f.before {
				return false
			}
		}
		return true
	})

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		for i := range n {
			for _, kind := range kinds {
				k := key(kind, i)
				v, ok, err := c.GetIfPresent(ctx, k)
				switch kind {
				case "plain", "kept":
					if err != nil || !ok || v != "v" {
						t.Errorf("round %d: %s, current when the store was lost: %q, %v, %v; want it served", round, k, v, ok, err)
					}
				default:
					if ok {
						t.Errorf("round %d: %s served %q, changed before the store was lost", round, k, v)
					}
				}
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		time.Sleep(50 * time.Millisecond)
	}
}
