package fakestore_test

import (
	"testing"

	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/fakestore"
)

const valueLimit = 1 << 20

// TestConformance runs the kit over the shapes of the fake, so the tests
// that stand on it stand on a provider that keeps the contract. Four
// shapes cover every capability: each shape takes the kit about 8s, mostly
// waiting on TTLs, and they run two at a time.
func TestConformance(t *testing.T) {
	shapes := []struct {
		name string
		cfg  fakestore.Config
	}{
		{"Remote", fakestore.Config{Followed: true, Groups: 4}},
		{"UnfollowedOneByOne", fakestore.Config{NoBatch: true, Groups: 3}},
		{"Cells", fakestore.Config{Cells: true}},
		{"Near", fakestore.Config{Near: true, Groups: 2}},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel() // the kit mostly waits on TTLs: the shapes wait together
			cfg := s.cfg
			cfg.MaxValueBytes = valueLimit
			cachetest.Run(t, cachetest.Harness{
				New:           func(t *testing.T) driver.Provider { return fakestore.New(cfg).Provider() },
				MaxValueBytes: valueLimit,
			})
		})
	}
}
