package valkeystore_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/ratelimit/gcra"
	"github.com/valcache/valcache/search/index"
	"github.com/valcache/valcache/session"
	"github.com/valcache/valcache/valkeystore"
)

const testValueLimit = 1 << 20

// The capabilities the kit finds with driver.Find; asserted here so that a
// signature that drifts from its contract fails to compile rather than
// making the kit skip the cases.
var (
	_ lock.Backend       = (*valkeystore.Provider)(nil)
	_ gcra.Backend       = (*valkeystore.Provider)(nil)
	_ index.Backend      = (*valkeystore.Provider)(nil)
	_ session.FieldStore = (*valkeystore.Provider)(nil)
)

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

// TestConformanceReadingVersionsEachTime runs the kit with versions read
// with every entry instead of followed: the path every provider takes
// where following is off (ReplicaReads, no client tracking).
func TestConformanceReadingVersionsEachTime(t *testing.T) {
	for _, b := range backends {
		if b.Name != "ValkeyCluster" && b.Name != "ValkeySingle" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			addrs := b.Addrs(t)
			cachetest.Run(t, cachetest.Harness{
				New: func(t *testing.T) driver.Provider {
					p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: addrs, MaxValueBytes: testValueLimit, ReadVersionsEachTime: true})
					if err != nil {
						t.Fatalf("valkeystore.New: %v", err)
					}
					return p
				},
				MaxValueBytes: testValueLimit,
			})
		})
	}
}
