package twolevel_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/ratelimit/gcra"
	"github.com/valcache/valcache/search/index"
	"github.com/valcache/valcache/session"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

const testValueLimit = 1 << 20

// The capabilities the kit finds with driver.Find; asserted here so that a
// signature that drifts from its contract fails to compile rather than
// making the kit skip the cases.
var (
	_ lock.Backend       = (*twolevel.Provider)(nil)
	_ gcra.Backend       = (*twolevel.Provider)(nil)
	_ session.FieldStore = (*twolevel.Provider)(nil)
)

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
						if _, ok := driver.Find[index.Backend](p); !ok {
							t.Fatal("the search index of L2 is not found through twolevel's Unwrap")
						}
						return p
					},
					MaxValueBytes: testValueLimit,
				})
			})
		})
	}
}
