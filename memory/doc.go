// Package memory is the in-process provider, built on otter v2.
//
// It implements driver.ValueStore, so caches over it keep their typed values
// as they are: a hit decodes nothing and allocates nothing, and a write
// encodes nothing. Values handed out are the stored ones, not copies: a
// caller that mutates a returned pointer, slice or map mutates the cache.
// Byte values (the driver.Provider methods, used by byte storages) are copied
// in and out, as the contract requires.
//
// The store is bounded by entry count or by total weight, and evicts with
// otter's adaptive W-TinyLFU policy. Expiry is per entry and exact: an
// expired entry is never returned, even before it is swept.
package memory
