package memory_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/ratelimit/gcra"
	"github.com/valcache/valcache/search/index"
	"github.com/valcache/valcache/session"
)

const testValueLimit = 1 << 20

// The capabilities the kit finds with driver.Find; asserted here so that a
// signature that drifts from its contract fails to compile rather than
// making the kit skip the cases.
var (
	_ lock.Backend       = (*memory.Provider)(nil)
	_ gcra.Backend       = (*memory.Provider)(nil)
	_ index.Backend      = (*memory.Provider)(nil)
	_ session.FieldStore = (*memory.Provider)(nil)
)

func TestConformance(t *testing.T) {
	t.Run("InProcess", func(t *testing.T) {
		cachetest.Run(t, cachetest.Harness{
			New: func(t *testing.T) driver.Provider {
				p, err := memory.New(memory.Config{MaxEntries: 50_000, MaxValueBytes: testValueLimit})
				if err != nil {
					t.Fatal(err)
				}
				return p
			},
			MaxValueBytes: testValueLimit,
		})
	})
	t.Run("InProcessWeighted", func(t *testing.T) {
		cachetest.Run(t, cachetest.Harness{
			New: func(t *testing.T) driver.Provider {
				p, err := memory.New(memory.Config{MaxWeight: 64 << 20, MaxValueBytes: testValueLimit})
				if err != nil {
					t.Fatal(err)
				}
				return p
			},
			MaxValueBytes: testValueLimit,
		})
	})
}
