package valkeystore_test

import (
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/valkeystore"
	"go.uber.org/goleak"
)

func TestCloseLeavesNoGoroutine(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t) // starts the shared server first, outside the snapshot
		before := goleak.IgnoreCurrent()
		p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: addrs})
		if err != nil {
			t.Fatal(err)
		}
		c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "leak"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(t.Context(), "k", "v", valcache.SetOptions{Tags: []string{"t"}, TTL: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.GetIfPresent(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		// valkey-go closes cluster connections it replaced during a topology
		// refresh five seconds later, in a goroutine of its own that does not
		// watch Close; it ends by itself, so wait for it rather than ignore it.
		deadline := time.Now().Add(8 * time.Second)
		for {
			err := goleak.Find(before)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("goroutines left 8s after Close: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
