package driver

import (
	"context"
	"time"
)

// BatchGetter fetches many keys at once, in as few round trips as the store
// allows.
//
// Fallback: the facade calls Get once per key.
type BatchGetter interface {
	// GetMany returns one slot per key, in order: nil for a miss, a non-nil
	// slice (possibly empty) for a hit. If some keys could not be read, the
	// error is a *BatchError naming them and the other slots are still valid.
	GetMany(ctx context.Context, keys []Key) ([][]byte, error)
}

// Item is one write of a batch.
type Item struct {
	Key   Key
	Value []byte
	TTL   time.Duration
}

// BatchSetter writes many entries at once.
//
// Fallback: the facade calls Set once per item. Either way a failure of some
// items is a *BatchError naming them; the other items are written.
type BatchSetter interface {
	SetMany(ctx context.Context, items []Item) error
}

// BatchDeleter removes many keys at once.
//
// Fallback: the facade calls Delete once per key.
type BatchDeleter interface {
	DeleteMany(ctx context.Context, keys []Key) error
}

// ValueStore is implemented by providers that keep entries in this process's
// memory. The facade then hands them its typed entries as they are, so a hit
// costs no decoding and no allocation, and a write no encoding.
//
// Fallback: the facade encodes values with the cache's codec and uses Get and
// Set. A provider that implements ValueStore must still implement the byte
// methods; Get on an entry written by SetValue reports a miss, and GetValue on
// an entry written by Set returns its []byte.
type ValueStore interface {
	GetValue(ctx context.Context, key Key) (value any, found bool, err error)
	// SetValue stores value under key. weight is the entry's cost against a
	// weight-bounded store's capacity (ignored by stores bounded by count).
	SetValue(ctx context.Context, key Key, value any, weight uint32, ttl time.Duration) error
}

// DefaultTTLer lets a provider's configuration supply the default TTL of the
// caches built over it.
//
// Fallback: one hour.
type DefaultTTLer interface {
	DefaultTTL() time.Duration
}

// Pinger checks that the store is reachable.
//
// Fallback: the store is assumed reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Flusher wipes the entire store, every namespace included. Providers must
// refuse with ErrFlushNotAllowed unless their configuration allows it.
//
// Fallback: none; the operation is reported as ErrNotSupported.
type Flusher interface {
	Flush(ctx context.Context) error
}
