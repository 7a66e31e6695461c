package valkeystore_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/valkeystore"
)

const testValueLimit = 1 << 20

func TestConformance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t)
		cachetest.Run(t, cachetest.Harness{
			New: func(t *testing.T) driver.Provider {
				p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: addrs, MaxValueBytes: testValueLimit})
				if err != nil {
					t.Fatalf("valkeystore.New: %v", err)
				}
				return p
			},
			MaxValueBytes: testValueLimit,
		})
	})
}
