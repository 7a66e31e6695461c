package sibling

import (
	"time"

	"github.com/valcache/valcache/driver"
)

// Invalidation is what the server reported as changed: entries, versions,
// or, with All, anything (the connection was lost, so pushes may have been
// missed, or the server was flushed).
type Invalidation struct {
	All      bool
	Entries  []driver.Key
	Versions []driver.VersionKey
}

// NamespaceInfo is what a namespace holds in the store, by kind of key.
type NamespaceInfo struct {
	Name string
	// Entries counts entries stored as values (strings: envelopes, and
	// markers of loads in progress), and ValueBytes their length.
	Entries    int
	ValueBytes int64
	// FieldEntries counts entries stored as fields (hashes, written through
	// session.FieldStore: package session's sessions), and Fields their
	// fields.
	FieldEntries int
	Fields       int64
	// Tags counts the namespace's tag version keys; Versioned says whether
	// its own version key exists (it has been read with versions, or
	// cleared).
	Tags      int
	Versioned bool
	// Locks counts the locks of package lock under this namespace, and
	// RateLimits the keys of package ratelimit; IndexKeys counts the keys
	// of the namespace's search index (package search).
	Locks      int
	RateLimits int
	IndexKeys  int
	// Other counts the rest under the namespace: refresh elections, and
	// keys holding a type valcache does not write there.
	Other int
	// MemoryBytes is what the server reports all these keys use (MEMORY
	// USAGE, which samples large hashes); -1 when the server would not say.
	MemoryBytes int64
}

// StoredEntry is one entry key as the store holds it.
type StoredEntry struct {
	// Key is the entry's name in Valkey.
	Key string
	// Found is false when the key does not exist.
	Found bool
	// Type is the key's Valkey type: "string" for an entry stored as a
	// value, "hash" for a field entry (session.FieldStore),
	// anything else for a key valcache does not write.
	Type string
	// Value is the stored bytes of a string entry (an envelope), nil when
	// the key holds a marker instead.
	Value []byte
	// Fields are the fields of a field entry.
	Fields map[string][]byte
	// Marker describes a marker held in place of a value: a load in
	// progress, or a load that just failed.
	Marker string
	// TTL is the remaining life; driver.NoExpiry when the key has none.
	TTL time.Duration
}

// NodeInfo is what one server says about itself that matters to a cache.
type NodeInfo struct {
	Addr    string
	Role    string // "master" or "slave", as INFO names them
	Server  string // "valkey" or "redis"
	Version string

	MaxmemoryPolicy string
	Maxmemory       int64 // bytes; 0 is no limit
	UsedMemory      int64

	Keys             int64 // in the provider's database
	ConnectedClients int64
	// TrackingClients are connections with client-side caching on (the
	// two-level provider's, among others), and TrackedKeys the keys the
	// server remembers for them.
	TrackingClients int64
	TrackedKeys     int64

	EvictedKeys    int64
	ExpiredKeys    int64
	KeyspaceHits   int64
	KeyspaceMisses int64
}
