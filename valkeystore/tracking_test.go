package valkeystore_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/sibling"
	"github.com/valcache/valcache/valkeystore"
	"github.com/valkey-io/valkey-go"
)

// Options under which pushes would be read only when a connection is next
// used cannot be combined with TrackAllReads.
func TestTrackAllReadsRefusesOptionsThatDelayPushes(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	for name, hook := range map[string]func(*valkey.ClientOption){
		"DisableAutoPipelining": func(o *valkey.ClientOption) { o.DisableAutoPipelining = true },
		"DisableCache":          func(o *valkey.ClientOption) { o.DisableCache = true },
	} {
		p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: []string{addr}, TrackAllReads: true, ClientOption: hook})
		if err == nil {
			p.Close()
			t.Fatalf("%s with TrackAllReads was accepted", name)
		}
		if !errors.Is(err, valkeystore.ErrInvalidConfig) {
			t.Fatalf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
}

// Listen reports another client's changes of keys this client read, parsed
// back into entry and version keys (names with braces and colons
// included), and reports a lost connection as All.
func TestListenReportsChangesOfKeysRead(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	var mu sync.Mutex
	var got []sibling.Invalidation
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "listen:", TrackAllReads: true, ClientName: "listener"})
	remove := storeView(t, p).Listen(func(inv sibling.Invalidation) {
		mu.Lock()
		got = append(got, inv)
		mu.Unlock()
	})
	defer remove()
	other := newProvider(t, valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "listen:"})
	ctx := t.Context()
	entry := driver.Key{Namespace: "n{s}:1", ID: "id:{x}"}
	tag := driver.VersionKey{Namespace: "n{s}:1", Tag: "t:{y}"}
	if _, _, _, _, _, err := storeView(t, p).GetVersionedTTL(ctx, entry, []driver.VersionKey{tag}); err != nil {
		t.Fatal(err)
	}
	if err := other.Set(ctx, entry, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := other.EnsureVersions(ctx, []driver.VersionKey{tag}, time.Minute); err != nil {
		t.Fatal(err)
	}
	seen := func(match func(sibling.Invalidation) bool) bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(got, match)
	}
	waitFor(t, "the entry's change", func() bool {
		return seen(func(i sibling.Invalidation) bool { return slices.Contains(i.Entries, entry) })
	})
	waitFor(t, "the tag version's change", func() bool {
		return seen(func(i sibling.Invalidation) bool { return slices.Contains(i.Versions, tag) })
	})
	if !storeView(t, p).TracksAllReads() {
		t.Fatal("TracksAllReads is false")
	}
	cl := other.Client()
	if err := cl.Do(ctx, cl.B().Arbitrary("CLIENT", "KILL").Args("SKIPME", "yes").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "All after the connection was killed", func() bool {
		return seen(func(i sibling.Invalidation) bool { return i.All })
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // generous: pushes are late on a busy machine
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
