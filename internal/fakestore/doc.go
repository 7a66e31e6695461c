// Package fakestore is an in-process stand-in for a byte-storing provider
// such as valkeystore, for tests that must run without servers.
//
// It keeps entries as bytes, as a remote store does, and offers the
// capabilities the root facade uses on Valkey: versions kept per group of
// entries, fleet load locks, refresh locks, compare-and-swap, batches,
// scans and budgets, and, on request, near copies as twolevel keeps them.
// Several Stores made with Peer share one set of entries, each with its own
// near copies and faults, so a test can play several processes of a fleet.
//
// Faults (Store.Inject) make chosen calls fail, hang until their context
// ends, or lose their reply after taking effect, so tests can drive the
// facade's failure paths deterministically.
//
// The package is internal because it is a test tool tied to what the
// facade needs today: exporting it from cachetest would freeze its shape
// and its fault switches as public API. An outside provider author needs
// the conformance kit, not this fake; the kit runs over it in this
// package's tests, which is what shows the fake keeps the contract.
package fakestore
