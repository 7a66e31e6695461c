// Package cachetest is the conformance kit of the valcache provider
// contract, in the manner of testing/slogtest and testing/fstest: every rule
// a provider must keep is a named case, and any provider, ours or a third
// party's, proves itself by running them all:
//
//	func TestConformance(t *testing.T) {
//		cachetest.Run(t, cachetest.Harness{
//			New: func(t *testing.T) driver.Provider { return newMyProvider(t) },
//		})
//	}
//
// Run's cases come in groups, by the prefix of their names. "Driver/…"
// cases call the provider directly and check the byte-level contract of
// package driver, including the optional capabilities the provider
// implements. "Cache/…" cases go through the typed facade, and check that
// the semantics users see (types, codecs, TTL rules, namespaces, decoding
// failures) hold over this provider. "Load/…" cases check loading: one load
// for concurrent callers, loader errors and panics, absent keys, stale
// reads and refresh ahead. "Compute/…" cases check
// Compute and its TTL rules, and skip for a provider that cannot compare
// and swap (neither driver.Swapper nor driver.ValueSwapper). "Transform/…"
// cases check Options.Transformers: that they are applied or refused on
// every provider, and, with compression and encryption configured on a
// provider that stores bytes, that values come back intact.
// "Tags/…" cases check tags and stamps, and skip for a provider that is no
// driver.Versioner. "Lock/…", "RateLimit/…", "Search/…" and "Fields/…"
// cases check the contracts declared beside the driver (lock.Backend,
// gcra.Backend, index.Backend, session.FieldStore), found on the provider
// or along its unwrap chain (driver.Find), and the packages built on them;
// they skip, saying why, for a provider without the contract.
//
// RunStorage runs the "Storage/…" cases against a storage.Storage (see
// StorageHarness), including its Fiber adapter.
//
// Every case works in namespaces of its own with random names, so providers
// backed by one shared server can run the kit without interference.
package cachetest
