package driver

import (
	"context"
	"time"
)

// NearCache is implemented by providers that keep, in this process, copies
// of entries whose bytes live in a shared store: two-level caches. The
// facade reads a copy first, so a hit costs no round trip and no decoding,
// and hands the provider the values it decodes from the shared store to
// keep as copies.
//
// The provider keeps copies coherent: a copy is dropped when its entry is
// changed anywhere, and every write through the provider (Set, Delete, the
// batch, swap and load capabilities) drops the writer's own copy before it
// returns, so a process reads its own writes.
//
// Fallback: none needed; without it every read goes to the store.
type NearCache interface {
	// NearGet returns key's copy when it is known to be current.
	NearGet(key Key) (value any, ok bool)

	// NearStale returns key's copy even when it can no longer be shown to
	// be current, provided it was within the provider's stale-if-error
	// bound: it is for answering while the shared store is unreachable.
	NearStale(key Key) (value any, ok bool)

	// GetForNear is GetVersioned on the shared store that also returns a
	// lease for keeping what it read as key's copy.
	GetForNear(ctx context.Context, key Key, vkeys []VersionKey) (value []byte, found bool, versions []Version, lease NearLease, err error)

	// NearKeep keeps value as the copy of lease's key, unless the key may
	// have changed since the lease was issued. The copy lives no longer
	// than the entry it copies. weight is as for ValueStore.SetValue.
	NearKeep(lease NearLease, value any, weight uint32)

	// NearCells returns cells that follow the versions of keys as the
	// shared store has them, or ok == false when some are not followed now.
	// Unlike the cells of VersionCells, these read 0 while a version is not
	// known to be current and may show it again once it has been read
	// anew: a copy is served only while its stamped versions show.
	NearCells(keys []VersionKey) (cells []*VersionCell, ok bool)
}

// NearLease is issued by GetForNear for one read. Its fields are the
// provider's; the facade only passes the lease back.
type NearLease struct {
	Key Key
	// TTL is the remaining lifetime of the entry read, counted from Sent.
	TTL time.Duration
	// Sent is when the read was sent.
	Sent time.Time
	// Token and Epoch say when the read started, in the provider's terms.
	Token, Epoch uint64
}
