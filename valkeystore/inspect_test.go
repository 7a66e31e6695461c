package valkeystore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/internal/sibling"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/valkeystore"
)

func TestInspectNamespacesEntriesAndServers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := fmt.Sprintf("insp%d:", time.Now().UnixNano())
		// Index keys of their own too: other tests' search indexes use the default.
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: prefix, IndexPrefix: "idx" + prefix})
		ctx := t.Context()

		users, err := valcache.New(p, valcache.Options[int, string]{Namespace: "users", TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		odd, err := valcache.New(p, valcache.Options[string, string]{Namespace: "a:b{c}", TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			if err := users.Set(ctx, i, "0123456789"); err != nil {
				t.Fatal(err)
			}
		}
		if err := users.SetWith(ctx, 100, "tagged", valcache.SetOptions{Tags: []string{"team:1", "team:2"}}); err != nil {
			t.Fatal(err)
		}
		if err := odd.Set(ctx, "k", "v"); err != nil {
			t.Fatal(err)
		}
		if err := odd.Clear(ctx); err != nil { // creates the namespace version key
			t.Fatal(err)
		}
		locks, err := lock.New(p, lock.Config{Namespace: "users"})
		if err != nil {
			t.Fatal(err)
		}
		l, err := locks.TryAcquire(ctx, "job", lock.Options{TTL: time.Minute})
		if err != nil || l == nil {
			t.Fatalf("lock: %v %v", l, err)
		}
		defer func() { _ = l.Release(ctx) }()

		list, err := storeView(t, p).Namespaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "a:b{c}" || list[1].Name != "users" {
			t.Fatalf("namespaces %+v", list)
		}
		u := list[1]
		if u.Entries != 31 || u.Tags != 2 {
			t.Errorf("users: %+v, want 31 entries and 2 tags", u)
		}
		// 30 untagged values of 10 bytes behind a header of at least 3 bytes,
		// and one tagged value with its stamps.
		if u.ValueBytes < int64(30*13+len("tagged")+3) {
			t.Errorf("users: %d value bytes is too few", u.ValueBytes)
		}
		if o := list[0]; o.Entries != 1 || !o.Versioned {
			t.Errorf("a:b{c}: %+v, want 1 entry and its version key", o)
		}

		e, err := storeView(t, p).Entry(ctx, "users", "100")
		if err != nil {
			t.Fatal(err)
		}
		if !e.Found || e.Key != p.EntryKeyName(driver.Key{Namespace: "users", ID: "100"}) || e.TTL <= 0 || e.TTL > time.Minute || e.Marker != "" {
			t.Fatalf("entry %+v", e)
		}
		info, err := envelope.Describe(e.Value)
		if err != nil || info.Value != `"tagged"` || len(info.Stamps) != 3 || info.Stamps[1].Tag != "team:1" {
			t.Fatalf("described %+v, %v", info, err)
		}
		if e, err = storeView(t, p).Entry(ctx, "users", "nope"); err != nil || e.Found {
			t.Fatalf("absent entry: %+v, %v", e, err)
		}
		if err := users.SetWith(ctx, 7, "forever", valcache.SetOptions{TTL: valcache.NoExpiry}); err != nil {
			t.Fatal(err)
		}
		if e, err = storeView(t, p).Entry(ctx, "users", "7"); err != nil || e.TTL != driver.NoExpiry {
			t.Fatalf("entry without expiry: %+v, %v", e, err)
		}

		nodes, err := storeView(t, p).Servers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantNodes := len(b.Addrs(t))
		if p.Cluster() {
			wantNodes = 3 // the primaries; replicas are connected only for ReplicaReads
		}
		if len(nodes) < wantNodes {
			t.Fatalf("%d nodes, want %d: %+v", len(nodes), wantNodes, nodes)
		}
		var keys int64
		for _, n := range nodes {
			if n.Version == "" || n.Role == "" || n.MaxmemoryPolicy == "" || n.UsedMemory <= 0 || n.ConnectedClients < 1 {
				t.Errorf("node facts missing: %+v", n)
			}
			if n.Role == "master" {
				keys += n.Keys
			}
		}
		if keys < 33 {
			t.Errorf("primaries hold %d keys, want at least the 33 written", keys)
		}
		wantServer := "valkey"
		if strings.HasPrefix(b.Name, "Redis") {
			wantServer = "redis"
		}
		if nodes[0].Server != wantServer {
			t.Errorf("server %q, want %q", nodes[0].Server, wantServer)
		}
	})
}

func TestInspectOnAClosedProvider(t *testing.T) {
	p := newProvider(t, valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}})
	_ = p.Close()
	if _, err := storeView(t, p).Namespaces(t.Context()); err == nil {
		t.Error("Namespaces on a closed provider succeeded")
	}
	if _, err := storeView(t, p).Entry(t.Context(), "n", "k"); err == nil {
		t.Error("Entry on a closed provider succeeded")
	}
	if _, err := storeView(t, p).Servers(t.Context()); err == nil {
		t.Error("Servers on a closed provider succeeded")
	}
}

// storeView returns p's view for the packages of this module
// (internal/sibling), whose methods these tests exercise.
func storeView(t testing.TB, p *valkeystore.Provider) sibling.Valkey {
	t.Helper()
	v, ok := sibling.ValkeyOf(p)
	if !ok {
		t.Fatalf("no sibling view of %T", p)
	}
	return v
}
