package driver

import (
	"context"
	"time"
)

// Swapper replaces an entry only if it is still what the caller read, which
// is what atomic compute is built on: read, compute, swap, and retry when
// another writer came first. No update is ever lost.
//
// Fallback: none; Cache.Compute reports ErrNotSupported.
type Swapper interface {
	// CompareAndSwap sets key to value if its stored bytes are still old (nil
	// old: the key must be absent), and reports whether it did. A nil value
	// deletes the key instead. A created entry lives ttl; a replaced one
	// keeps its remaining life when keepTTL is set, and lives ttl otherwise.
	CompareAndSwap(ctx context.Context, key Key, old, value []byte, ttl time.Duration, keepTTL bool) (bool, error)
}

// ValueSwapper is Swapper for stores that keep Go values (ValueStore): old
// is compared by identity with what GetValue returned.
//
// Fallback: Swapper on the byte path.
type ValueSwapper interface {
	CompareAndSwapValue(ctx context.Context, key Key, old, value any, weight uint32, ttl time.Duration, keepTTL bool) (bool, error)
}
