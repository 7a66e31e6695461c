package driver

import (
	"context"
	"sync/atomic"
	"time"
)

// VersionKey names one version: of a tag of a namespace, or, with an empty
// Tag, of the namespace itself (which Clear bumps).
//
// Group is which copy of the version is meant, for stores that keep one
// copy per group of entries (see VersionGroups); it is 0 elsewhere. An
// entry's stamp is checked against the copies of its own group, so two
// groups' copies of one version are different keys with independent values.
type VersionKey struct {
	Namespace string
	Tag       string
	Group     int
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
// safe: entries stamped with its old version stop being valid. A call over
// the keys of several groups (see VersionGroups) that could reach some
// groups only may fail with a *GroupsError naming the others.
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

	// GetVersioned reads key together with the current version of vkey (a
	// version of key's own group: the namespace's, in practice), in one
	// round trip where the store has round trips.
	GetVersioned(ctx context.Context, key Key, vkey VersionKey) (value []byte, found bool, version Version, err error)

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

// VersionGroups is implemented by Versioners that keep every version as
// several copies, one per group of entries, each stored beside the entries
// of its group. On a cluster that puts a group's copies in the slot of its
// entries, so an entry and the versions that guard it are read from one
// node in one command, and a namespace's version reads spread over the
// cluster with its entries instead of falling on one hot key.
//
// The facade checks an entry against the copies of the entry's group,
// stamps a load with the copies of the key's group, and bumps every
// group's copy when it invalidates. The number of groups and the grouping
// of keys are part of the store's key layout: every process sharing the
// store must agree on them.
//
// Fallback: one group (0) per namespace.
type VersionGroups interface {
	// VersionGroups is how many groups each namespace has, at least 1.
	VersionGroups() int
	// VersionGroup is the group of key's entry, in [0, VersionGroups()).
	VersionGroup(key Key) int
}

// FollowedVersions is implemented by Versioners that follow versions in
// process, kept current by the server's invalidation pushes, so that a hit
// needs no version read.
//
// What Followed returns for a version it follows is current as of the last
// reply this process read from the store node that holds the version's
// group: a change made before that reply was requested has been seen. So
// it is exact for checking an entry that was just read from the same group
// (the entry's reply came on the connection that carries the pushes about
// its group), and only for that: a caller that has read nothing from the
// group must use Versions.
//
// Fallback: Versioner.Versions.
type FollowedVersions interface {
	// Followed returns the versions of keys: those followed now from
	// memory, the others read from the store and followed from then on.
	Followed(ctx context.Context, keys []VersionKey) ([]Version, error)
}
