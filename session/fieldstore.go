package session

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// FieldStore is what a provider implements to keep an entry as a set of
// named fields, each written on its own. Two writers changing different
// fields of one entry at the same time then both land, where a read, modify
// and write of the whole value would lose one of them: two requests of one
// session setting different keys must not undo each other. New finds a
// provider's FieldStore along its unwrap chain (driver.Find), so wrappers
// pass it through.
//
// An entry written by UpdateFields is not a byte value: Get reports it as a
// miss (or, on Valkey, fails with the server's wrong-type error), and the
// byte methods must not be used on its key. Delete and Clear remove it like
// any entry. A field entry is one key of the store, so on a cluster all its
// fields live in one slot.
//
// A provider without FieldStore but with driver.Swapper still keeps
// sessions: each is one byte value, merged by compare and swap (read, apply
// the changed fields, swap, retry on conflict), which loses nothing but
// costs a retry under contention. Package cachetest checks every rule
// stated here (its Fields/ cases).
type FieldStore interface {
	// GetFields returns every field of key. found is false when the entry is
	// missing or expired.
	GetFields(ctx context.Context, key driver.Key) (fields map[string][]byte, found bool, err error)

	// UpdateFields sets the fields of set, removes the fields named in del,
	// and makes the entry live ttl from now (ttl must satisfy
	// driver.ValidTTL), in one atomic step. With create false a missing
	// entry stays missing and updated is false, so a writer cannot bring
	// back an entry that another deleted; with create true a missing entry
	// is created. An update that leaves no field deletes the entry.
	UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (updated bool, err error)
}
