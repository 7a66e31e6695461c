package twolevel_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

const testValueLimit = 1 << 20

func TestConformance(t *testing.T) {
	for _, coherence := range []twolevel.Coherence{twolevel.Tracking, twolevel.Expiry} {
		t.Run(coherence.String(), func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				if coherence == twolevel.Expiry && b.Name != "ValkeySingle" {
					t.Skip("Expiry coherence runs the kit once, on a single node")
				}
				addrs := b.Addrs(t)
				cachetest.Run(t, cachetest.Harness{
					New: func(t *testing.T) driver.Provider {
						p, err := build(t.Context(), valkeystore.Config{Addrs: addrs, MaxValueBytes: testValueLimit}, twolevel.Config{Coherence: coherence})
						if err != nil {
							t.Fatalf("build: %v", err)
						}
						return p
					},
					MaxValueBytes: testValueLimit,
				})
			})
		})
	}
}
