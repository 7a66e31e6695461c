// Package driver is the contract between the typed valcache facade and the
// stores underneath it, in the way database/sql/driver sits under database/sql.
//
// The contract is deliberately small: a provider stores opaque byte values
// under a (namespace, key) pair with an expiry, and can clear a namespace.
// Everything a user thinks of as cache behaviour (typed values, codecs, TTL
// defaults and jitter, envelopes, tags, loading) lives once in the facade, so
// every provider behaves the same by construction.
//
// A provider may do more than the contract asks by implementing optional
// interfaces, which the facade discovers by type assertion (as database/sql
// discovers driver.QueryerContext). Each optional interface documents what the
// facade does when a provider lacks it, so implementing one is always an
// optimisation or an extra capability, never a change of meaning.
//
// driver is about caching. What other packages need of a store is declared
// by those packages (lock.Backend, gcra.Backend in ratelimit/gcra,
// index.Backend in search/index, session.FieldStore), which find it on a
// provider, or on the provider it wraps, with Find.
//
// Providers must be safe for concurrent use. The package cachetest states
// every rule of this contract as a named test case; run it against any
// provider, including your own.
package driver
