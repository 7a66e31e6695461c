package cachetest

import (
	"testing"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
)

// A provider with no optional capability skips every group that needs one,
// saying why, rather than passing it.
func TestGroupsSkipWithoutTheirCapability(t *testing.T) {
	for _, g := range groups() {
		if g.ready == nil || g.prefix == "Transform/" {
			// Transform/ needs no capability: it runs on every provider
			// that stores bytes, which a bare provider does.
			continue
		}
		var skipped bool
		t.Run(g.prefix, func(t *testing.T) {
			mp, err := memory.New(memory.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = mp.Close() })
			bare := struct{ driver.Provider }{mp}
			defer func() { skipped = t.Skipped() }()
			if g.ready(t, bare) {
				t.Errorf("group %s is ready over a provider with no optional capability", g.prefix)
			}
		})
		if !skipped {
			t.Errorf("group %s did not skip over a provider with no optional capability", g.prefix)
		}
	}
}

// wrapping is a provider built over another that implements nothing but
// the byte contract itself.
type wrapping struct {
	driver.Provider
	inner driver.Provider
}

func (w wrapping) Unwrap() driver.Provider { return w.inner }

// The contracts declared beside the driver are found along the unwrap
// chain, so a wrapper passes them through without implementing them.
func TestContractsAreFoundThroughUnwrap(t *testing.T) {
	for _, g := range groups() {
		switch g.prefix {
		case "Fields/", "RateLimit/", "Search/", "Lock/":
		default:
			continue
		}
		t.Run(g.prefix, func(t *testing.T) {
			mp, err := memory.New(memory.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = mp.Close() })
			if !g.ready(t, wrapping{Provider: struct{ driver.Provider }{mp}, inner: mp}) {
				t.Errorf("group %s is not ready over a wrapper of the memory provider", g.prefix)
			}
		})
	}
}
