package twolevel_test

import (
	"context"
	"testing"
	"time"

	"github.com/valcache/valcache"
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
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
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
