package storage_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/storage"
	"github.com/valcache/valcache/valkeystore"
	"go.uber.org/goleak"
)

// shared opens one provider per test and hands every storage of the test a
// view of it, so prefixes are tested against one backend.
func shared(t *testing.T, open func(t *testing.T) driver.Provider) func(t *testing.T, prefix string) storage.Storage {
	var p driver.Provider
	var owner *testing.T
	return func(t *testing.T, prefix string) storage.Storage {
		if owner != t {
			owner, p = t, open(t)
			pp := p
			t.Cleanup(func() { _ = pp.Close() })
		}
		return newStorage(t, p, storage.Options{Prefix: prefix})
	}
}

func TestStorageConformance(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		// Server-backed runs leave the shared servers' and valkey-go's
		// goroutines behind by design; valkeystore's own tests cover those.
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		cachetest.RunStorage(t, cachetest.StorageHarness{New: shared(t, func(t *testing.T) driver.Provider {
			p, err := memory.New(memory.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return p
		})})
	})
	for _, b := range []struct {
		name  string
		addrs func(t *testing.T) []string
	}{
		{"ValkeySingle", func(t *testing.T) []string { return []string{servers.Valkey(t).Addr()} }},
		{"ValkeyCluster", func(t *testing.T) []string { return servers.Cluster(t).Addrs() }},
	} {
		t.Run(b.name, func(t *testing.T) {
			addrs := b.addrs(t)
			cachetest.RunStorage(t, cachetest.StorageHarness{New: shared(t, func(t *testing.T) driver.Provider {
				p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: addrs})
				if err != nil {
					t.Fatal(err)
				}
				return p
			})})
		})
	}
}
