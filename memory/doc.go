// Package memory is the in-process provider, built on otter v2.
//
// It implements driver.ValueStore, so caches over it keep their typed values
// as they are: a hit decodes nothing and allocates nothing, and a write
// encodes nothing. Through a valcache.Cache, a byte slice value ([]byte, or
// a named type such as json.RawMessage) is copied when written and when
// read, and a value type with a method Clone() V is cloned
// both ways; other values (a pointer, a map, a struct holding a slice) are
// shared between the writer and every reader, so a caller that mutates one
// mutates the cache (see valcache.Cache.Set). Byte values (the
// driver.Provider methods, used by byte storages) are copied in and out, as
// the contract requires.
//
// The store is bounded by entry count or by total weight, and evicts with
// otter's adaptive W-TinyLFU policy. Expiry is per entry and exact: an
// expired entry is never returned, even before it is swept.
package memory
