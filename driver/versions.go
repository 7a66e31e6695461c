package driver

import (
	"context"
	"sync/atomic"
	"time"
)

// VersionKey names one version: of a tag of a namespace, or, with an empty
// Tag, of the namespace itself (which Clear bumps).
type VersionKey struct {
	Namespace string
	Tag       string
}

// Version is a random, non-zero value identifying one state of a
// VersionKey. Zero means the key does not exist. Versions are random rather
// than counters or timestamps so that a key that was lost and created again
// can never come back with a value an old entry was stamped with.
type Version = uint64

// Versioner keeps versions, which is what tag invalidation and O(1) Clear
// are built on: an entry records the versions of its tags when its value is
// produced, and is valid only while every one of them is unchanged.
//
// Each method touches each VersionKey on its own, so on a cluster no
// command spans slots. Losing a version key (eviction, expiry) is always
// safe: entries stamped with its old version stop being valid.
//
// Fallback: none. Without it the facade's tag operations return
// ErrNotSupported and Clear uses Provider.Clear.
type Versioner interface {
	// Versions returns the current version of each key, 0 for a missing key.
	Versions(ctx context.Context, keys []VersionKey) ([]Version, error)

	// EnsureVersions returns the current version of each key, first creating
	// missing ones with fresh random versions, and makes each key live at
	// least ttl longer (NoExpiry: for ever), so that it outlives the entries
	// about to be stamped with it.
	EnsureVersions(ctx context.Context, keys []VersionKey, ttl time.Duration) ([]Version, error)

	// BumpVersions gives every existing key a fresh random version, keeping
	// its expiry. Missing keys stay missing: no valid entry refers to them.
	BumpVersions(ctx context.Context, keys []VersionKey) error

	// GetVersioned reads key together with the current versions of vkeys, in
	// one round trip where the store has round trips.
	GetVersioned(ctx context.Context, key Key, vkeys []VersionKey) (value []byte, found bool, versions []Version, err error)

	// SetVersioned is Set followed by reading the versions of vkeys, in one
	// round trip where the store has round trips, so that a writer using a
	// remembered version learns whether it was still current.
	SetVersioned(ctx context.Context, key Key, value []byte, ttl time.Duration, vkeys []VersionKey) ([]Version, error)
}

// VersionCell is a live view of one version, for in-process stores: its
// value changes when the version is bumped and drops to zero, for good,
// when the key is lost. Holding a cell lets a reader check a version with
// one atomic load.
type VersionCell = atomic.Uint64

// VersionCells is implemented by in-process Versioners. The facade then
// keeps cells in its typed entries and checks them on a hit without a call.
//
// Fallback: Versioner.Versions.
type VersionCells interface {
	// EnsureCells is EnsureVersions returning the cells along with the
	// versions they held.
	EnsureCells(ctx context.Context, keys []VersionKey, ttl time.Duration) ([]*VersionCell, []Version, error)
}
