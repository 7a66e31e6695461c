package valcache

import (
	"log/slog"
	"time"

	"github.com/valcache/valcache/driver"
)

// The accessors below let packages built beside the facade (search) work
// with the same store, key strings and defaults as the cache they extend,
// without a second configuration that could disagree with it.

// Provider returns the provider the cache was built over.
func (c *Cache[K, V]) Provider() driver.Provider { return c.provider }

// KeyID returns the string key is stored under (its KeyCodec encoding).
func (c *Cache[K, V]) KeyID(key K) (string, error) {
	dk, err := c.driverKey(key)
	return dk.ID, err
}

// ParseKeyID reverses KeyID. Key types other than strings and integers
// need a KeyCodec with a decoder or an encoding.TextUnmarshaler.
func (c *Cache[K, V]) ParseKeyID(id string) (K, error) { return c.keyDec(id) }

// DefaultTTL returns the lifetime of entries written without a TTL
// (NoExpiry when they have none), before jitter.
func (c *Cache[K, V]) DefaultTTL() time.Duration { return c.ttl.def }

// Logger returns the logger the cache reports to (Options.Logger, or
// slog.Default), for what its companions cannot return to a caller.
func (c *Cache[K, V]) Logger() *slog.Logger { return c.log }
