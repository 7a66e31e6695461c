// Package sibling is what the providers of this module offer the packages
// built on them here (twolevel over memory and valkeystore, the valcache
// command's inspect over valkeystore) beyond the driver contract.
//
// These methods are exported to siblings only: were they methods of
// valkeystore.Provider or memory.Provider, semver would freeze them as
// public API, though no user of a cache needs them. So each provider
// implements the interface below on an unexported type, and registers, when
// it is loaded, the function that returns that view of one of its
// providers. Only packages of this module can import this package, so only
// they can reach the view.
package sibling

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// Valkey is valkeystore's view for twolevel (tracking, remaining lifetimes,
// slots for the per-slot breakers) and for inspect (what the store holds).
type Valkey interface {
	// GetVersionedTTL is GetVersioned that also returns the remaining
	// lifetimes (driver.NoExpiry when there is none) of the entry and of
	// each version key (0 for a missing one).
	GetVersionedTTL(ctx context.Context, key driver.Key, vkeys []driver.VersionKey) (value []byte, found bool, versions []driver.Version, ttl time.Duration, vttls []time.Duration, err error)
	// VersionsTTL is Versions that also returns each key's remaining
	// lifetime (0 for a missing key, driver.NoExpiry for one without).
	VersionsTTL(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, []time.Duration, error)
	// EnsureVersionsTTL is EnsureVersions keeping each key alive for at
	// least keep, and reading back the version and remaining lifetime each
	// key has then.
	EnsureVersionsTTL(ctx context.Context, keys []driver.VersionKey, keep time.Duration) ([]driver.Version, []time.Duration, error)

	// TracksAllReads reports whether valkeystore.Config.TrackAllReads is
	// in effect, so that every key read is reported when it changes.
	TracksAllReads() bool
	// Listen registers fn to be told of every invalidation push, parsed
	// into the provider's keys, and returns a function that removes fn. fn
	// runs on a connection's reader goroutine: it must not call the
	// provider and should return quickly.
	Listen(fn func(Invalidation)) (remove func())

	// Slots is how many slots the numbers below range over: the cluster's
	// 16384, or 1 on a single node. EntrySlot is the slot of an entry (and
	// of its load placeholder, refresh election and version copies),
	// VersionSlot that of a version's copy, LockSlot that of a lock and its
	// fencing counter, RateLimitSlot that of a rate-limit state.
	Slots() int
	EntrySlot(k driver.Key) int
	VersionSlot(k driver.VersionKey) int
	LockSlot(k driver.Key) int
	RateLimitSlot(k driver.Key) int

	// Namespaces lists the namespaces that have keys under the provider's
	// prefixes, by scanning every primary.
	Namespaces(ctx context.Context) ([]NamespaceInfo, error)
	// Servers reads INFO and DBSIZE from every node the provider is
	// connected to.
	Servers(ctx context.Context) ([]NodeInfo, error)
	// Entry reads the entry of namespace under id as stored, whatever its
	// type, without decoding or checking its versions.
	Entry(ctx context.Context, namespace, id string) (StoredEntry, error)
}

// Memory is memory's view for twolevel, whose copies carry the tracking
// epoch they were kept in.
type Memory interface {
	// SetValueTagged is SetValue keeping tag beside the value, so that the
	// store built over it knows something of each value without a wrapper
	// to allocate and follow on every read.
	SetValueTagged(ctx context.Context, key driver.Key, value any, weight uint32, ttl time.Duration, tag uint32) error
	// GetValueTagged is GetValue with the tag the value was stored with (0
	// when it was stored otherwise).
	GetValueTagged(key driver.Key) (value any, tag uint32, found bool)
}

var (
	valkeyOf func(driver.Provider) (Valkey, bool)
	memoryOf func(driver.Provider) (Memory, bool)
)

// RegisterValkey is called by package valkeystore when it is loaded.
func RegisterValkey(of func(driver.Provider) (Valkey, bool)) { valkeyOf = of }

// RegisterMemory is called by package memory when it is loaded.
func RegisterMemory(of func(driver.Provider) (Memory, bool)) { memoryOf = of }

// ValkeyOf returns p's Valkey view when p is a *valkeystore.Provider. A
// caller naming that type imports valkeystore, so the view is registered.
func ValkeyOf(p driver.Provider) (Valkey, bool) {
	if valkeyOf == nil {
		return nil, false
	}
	return valkeyOf(p)
}

// MemoryOf returns p's Memory view when p is a *memory.Provider.
func MemoryOf(p driver.Provider) (Memory, bool) {
	if memoryOf == nil {
		return nil, false
	}
	return memoryOf(p)
}
