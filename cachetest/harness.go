package cachetest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/ratelimit/gcra"
	"github.com/valcache/valcache/search/index"
	"github.com/valcache/valcache/session"
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

// group is a family of cases sharing a name prefix and, for optional
// capabilities, a check that the provider has what the cases need.
type group struct {
	prefix string
	cases  []testCase
	// ready, when set, says whether the provider can run the group; when it
	// cannot, ready skips (or checks the documented fallback) and returns
	// false.
	ready func(t *testing.T, p driver.Provider) bool
}

// groups lists the kit, in the order Run runs it.
func groups() []group {
	return []group{
		{prefix: "Driver/", cases: driverCases},
		{prefix: "Cache/", cases: concat(cacheCases, ruleCases)},
		{prefix: "Load/", cases: concat(loadCases, freshCases, loadRuleCases)},
		{prefix: "Compute/", cases: concat(computeCases, ttlRuleCases), ready: func(t *testing.T, p driver.Provider) bool {
			_, bytes := p.(driver.Swapper)
			_, values := p.(driver.ValueSwapper)
			return skipUnless(t, bytes || values, "provider cannot compare and swap; Compute reports ErrNotSupported")
		}},
		{prefix: "Transform/", cases: transformRuleCases},
		{prefix: "Transform/", cases: transformCases, ready: func(t *testing.T, p driver.Provider) bool {
			return skipUnless(t, !keepsValues(p), "provider keeps Go values; valcache.New refuses transformers (Transform/AppliedOrRefused)")
		}},
		{prefix: "Fields/", cases: fieldCases, ready: func(t *testing.T, p driver.Provider) bool {
			_, ok := driver.Find[session.FieldStore](p)
			return skipUnless(t, ok, "provider keeps no field entries")
		}},
		{prefix: "Tags/", cases: concat(tagCases, loadTagCases, computeTagCases, transformTagCases, ttlRuleTagCases, loadRuleTagCases), ready: func(t *testing.T, p driver.Provider) bool {
			_, ok := p.(driver.Versioner)
			return skipUnless(t, ok, "provider keeps no versions; tag operations report ErrNotSupported")
		}},
		{prefix: "RateLimit/", cases: rateCases, ready: func(t *testing.T, p driver.Provider) bool {
			_, ok := driver.Find[gcra.Backend](p)
			return skipUnless(t, ok, "provider cannot limit rates; package ratelimit reports ErrNotSupported")
		}},
		{prefix: "Search/", cases: searchCases, ready: func(t *testing.T, p driver.Provider) bool {
			_, ok := driver.Find[index.Backend](p)
			if !ok {
				wantSearchNotSupported(t, p)
			}
			return skipUnless(t, ok, "provider keeps no search index; package search reports ErrNotSupported")
		}},
		{prefix: "Lock/", cases: lockCases, ready: func(t *testing.T, p driver.Provider) bool {
			_, ok := driver.Find[lock.Backend](p)
			return skipUnless(t, ok, "provider keeps no locks; package lock reports ErrNotSupported")
		}},
	}
}

// Run runs every case of the kit as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("cachetest: Harness.New is nil")
	}
	for _, g := range groups() {
		for _, c := range g.cases {
			t.Run(g.prefix+c.name, func(t *testing.T) {
				p := h.provider(t)
				if g.ready == nil || g.ready(t, p) {
					c.run(t, p, h)
				}
			})
		}
	}
}

// backend returns the capability T that p has along its unwrap chain; the
// group's ready check has made sure there is one.
func backend[T any](t *testing.T, p driver.Provider) T {
	t.Helper()
	b, ok := driver.Find[T](p)
	if !ok {
		var zero *T
		t.Fatalf("cachetest: provider %T has no %T", p, zero)
	}
	return b
}

func skipUnless(t *testing.T, ok bool, why string) bool {
	t.Helper()
	if !ok {
		t.Skip(why)
	}
	return ok
}

func concat(lists ...[]testCase) []testCase {
	var out []testCase
	for _, l := range lists {
		out = append(out, l...)
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
