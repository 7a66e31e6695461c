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
// "Driver/…" cases call the provider directly and check the byte-level
// contract of package driver, including the optional capabilities the
// provider implements. "Cache/…" cases go through the typed facade, and
// check that the semantics users see (types, codecs, TTL rules, namespaces,
// decoding failures) hold over this provider. "Lock/…", "RateLimit/…",
// "Search/…" and "Fields/…" cases check the contracts declared beside the
// driver (lock.Backend, gcra.Backend, index.Backend, session.FieldStore),
// found on the provider or along its unwrap chain (driver.Find), and the
// packages built on them; they skip, saying why, for a provider without
// the contract.
//
// Every case works in namespaces of its own with random names, so providers
// backed by one shared server can run the kit without interference.
package cachetest
