package memory_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
)

const testValueLimit = 1 << 20

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
