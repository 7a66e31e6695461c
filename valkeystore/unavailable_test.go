package valkeystore_test

import (
	"context"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/internal/valkeyerr"
	"github.com/valcache/valcache/valkeystore"
)

// Unavailable tells a server that cannot serve from a reply about the call.
func TestUnavailableTellsStoreFailuresFromReplies(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, KeyPrefix: "unav:"})
	cl := p.Client()
	ctx := t.Context()
	// An entry key holding a hash: GET replies WRONGTYPE.
	if err := cl.Do(ctx, cl.B().Hset().Key(p.EntryKeyName(driver.Key{Namespace: "ns", ID: "h"})).FieldValue().FieldValue("f", "v").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	_, _, err := p.Get(ctx, driver.Key{Namespace: "ns", ID: "h"})
	if err == nil {
		t.Fatal("GET of a hash succeeded")
	}
	if valkeyerr.Unavailable(err) {
		t.Fatalf("a WRONGTYPE reply counted as the server being unavailable: %v", err)
	}
	if valkeyerr.Unavailable(nil) {
		t.Fatal("nil is not a failure")
	}

	// A server of this test's own, stopped until the Get has failed: a
	// pause of a fixed length could end before a slow Get is sent.
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	down := newProvider(t, valkeystore.Config{Addrs: []string{srv.Addr()}, KeyPrefix: "unav2:", OperationTimeout: 200 * time.Millisecond})
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second) // far past the provider's own 200ms
	defer cancel()
	// A paused server answers nothing: the provider's own deadline fires.
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	_, _, err = down.Get(cctx, driver.Key{Namespace: "ns", ID: "k"})
	if rerr := srv.Resume(); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || !valkeyerr.Unavailable(err) {
		t.Fatalf("a timeout against a paused server: %v, want it counted", err)
	}
}
