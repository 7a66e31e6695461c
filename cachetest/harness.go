package cachetest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/valcache/valcache/driver"
)

// Harness describes the provider under test.
type Harness struct {
	// New returns a ready provider. Run closes it when the case ends.
	New func(t *testing.T) driver.Provider

	// MaxValueBytes is the largest byte value the provider built by New
	// accepts; values above it must fail with valcache.ErrValueTooLarge.
	// Zero skips that case (for providers with no limit).
	MaxValueBytes int
}

// Run runs every case of the kit as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("cachetest: Harness.New is nil")
	}
	for _, c := range driverCases {
		t.Run("Driver/"+c.name, func(t *testing.T) { c.run(t, h.provider(t), h) })
	}
	for _, c := range cacheCases {
		t.Run("Cache/"+c.name, func(t *testing.T) { c.run(t, h.provider(t), h) })
	}
	for _, c := range loadCases {
		t.Run("Load/"+c.name, func(t *testing.T) { c.run(t, h.provider(t), h) })
	}
	for _, c := range freshCases {
		t.Run("Load/"+c.name, func(t *testing.T) { c.run(t, h.provider(t), h) })
	}
	for _, c := range computeCases {
		t.Run("Compute/"+c.name, func(t *testing.T) {
			p := h.provider(t)
			_, bytes := p.(driver.Swapper)
			_, values := p.(driver.ValueSwapper)
			if !bytes && !values {
				t.Skip("provider cannot compare and swap; Compute reports ErrNotSupported")
			}
			c.run(t, p, h)
		})
	}
	for _, c := range transformCases {
		t.Run("Transform/"+c.name, func(t *testing.T) { c.run(t, h.provider(t), h) })
	}
	for _, c := range fieldCases {
		t.Run("Fields/"+c.name, func(t *testing.T) {
			p := h.provider(t)
			if _, ok := p.(driver.FieldStore); !ok {
				t.Skip("provider keeps no field entries")
			}
			c.run(t, p, h)
		})
	}
	for _, c := range append(append(append(tagCases, loadTagCases...), computeTagCases...), transformTagCases...) {
		t.Run("Tags/"+c.name, func(t *testing.T) {
			p := h.provider(t)
			if _, ok := p.(driver.Versioner); !ok {
				t.Skip("provider keeps no versions; tag operations report ErrNotSupported")
			}
			c.run(t, p, h)
		})
	}
	for _, c := range rateCases {
		t.Run("RateLimit/"+c.name, func(t *testing.T) {
			p := h.provider(t)
			if _, ok := p.(driver.RateLimiter); !ok {
				t.Skip("provider cannot limit rates; package ratelimit reports ErrNotSupported")
			}
			c.run(t, p, h)
		})
	}
	for _, c := range searchCases {
		t.Run("Search/"+c.name, func(t *testing.T) {
			p := h.provider(t)
			if _, ok := p.(driver.Indexer); !ok {
				wantSearchNotSupported(t, p)
				return
			}
			c.run(t, p, h)
		})
	}
	for _, c := range lockCases {
		t.Run("Lock/"+c.name, func(t *testing.T) {
			p := h.provider(t)
			if _, ok := p.(driver.Locker); !ok {
				t.Skip("provider keeps no locks; package lock reports ErrNotSupported")
			}
			c.run(t, p, h)
		})
	}
}

// Names lists every case, as Run names its subtests, so that a provider's
// documentation or a test can say which rules exist.
func Names() []string {
	var out []string
	for _, c := range driverCases {
		out = append(out, "Driver/"+c.name)
	}
	for _, c := range cacheCases {
		out = append(out, "Cache/"+c.name)
	}
	for _, c := range append(loadCases, freshCases...) {
		out = append(out, "Load/"+c.name)
	}
	for _, c := range computeCases {
		out = append(out, "Compute/"+c.name)
	}
	for _, c := range transformCases {
		out = append(out, "Transform/"+c.name)
	}
	for _, c := range fieldCases {
		out = append(out, "Fields/"+c.name)
	}
	for _, c := range append(append(append(tagCases, loadTagCases...), computeTagCases...), transformTagCases...) {
		out = append(out, "Tags/"+c.name)
	}
	for _, c := range rateCases {
		out = append(out, "RateLimit/"+c.name)
	}
	for _, c := range searchCases {
		out = append(out, "Search/"+c.name)
	}
	for _, c := range lockCases {
		out = append(out, "Lock/"+c.name)
	}
	return out
}

type testCase struct {
	name string
	run  func(t *testing.T, p driver.Provider, h Harness)
}

func (h Harness) provider(t *testing.T) driver.Provider {
	t.Helper()
	p := h.New(t)
	if p == nil {
		t.Fatal("cachetest: Harness.New returned nil")
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// namespace returns a fresh random namespace name, so that cases sharing a
// server never see each other's entries.
func namespace(t *testing.T) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "ct-" + hex.EncodeToString(b[:])
}
