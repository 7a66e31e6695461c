package driver

import (
	"context"
	"time"
)

// Provider is the contract every store implements.
//
// Values are opaque bytes: the facade has already wrapped them in its
// envelope. A provider must not retain a value slice passed to Set after Set
// returns (copy it if you keep it), so callers may reuse their buffers; a
// slice returned by Get belongs to the caller.
//
// Every method honours ctx: when it is cancelled or its deadline passes, the
// call returns promptly with an error wrapping ctx.Err() or the transport's
// timeout error.
type Provider interface {
	// Get returns the value stored under key. A missing or expired entry is
	// found == false with a nil error; an error means the store could not
	// answer, which callers must not confuse with a miss.
	Get(ctx context.Context, key Key) (value []byte, found bool, err error)

	// Set stores value under key for ttl, replacing any previous entry and its
	// expiry. ttl must satisfy ValidTTL; otherwise Set returns ErrInvalidTTL
	// and writes nothing.
	Set(ctx context.Context, key Key, value []byte, ttl time.Duration) error

	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key Key) error

	// Clear removes every entry of namespace and nothing else.
	Clear(ctx context.Context, namespace string) error

	// Close releases the provider's resources; after it returns no goroutine
	// of the provider is left running and calls fail with ErrClosed.
	Close() error
}
