// Package storage is a byte key-value store for middlewares: sessions, rate
// limiters, CSRF tokens, anything that needs get, set with expiry, delete
// and reset, and nothing of a typed cache.
//
// A Storage is built over any driver.Provider, so the same code runs in
// process (memory) and on Valkey, single node or cluster, without importing
// a client library. Each Storage has a prefix, which is its provider
// namespace: storages with different prefixes share a provider without
// seeing each other's keys, and Reset clears its own prefix only.
//
// Adapters let existing middleware ecosystems use a Storage: package
// storage/scsstore implements the session store interfaces of
// github.com/alexedwards/scs/v2, and Fiber returns the method set of
// gofiber's storage interface.
package storage
