package valcache

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/transform"
)

// DefaultNamespace names the namespace of a cache whose options name none.
const DefaultNamespace = "default"

// Options configure one cache. The zero value is usable: namespace
// "default", the provider's default TTL (or one hour), no jitter, and the
// codec that suits V.
type Options[K comparable, V any] struct {
	// Namespace separates this cache's entries from every other cache's on the
	// same provider. Any non-empty string works; providers escape it.
	Namespace string

	// TTL is the lifetime of entries written without one. Zero means the
	// provider's default, or DefaultTTL; NoExpiry disables expiry for them.
	TTL time.Duration

	// Jitter, between 0 and 1, shortens each TTL by a random fraction up to
	// this much, so that entries written together do not all expire (and get
	// reloaded) together. 0.1 is a good start.
	Jitter float64

	// Codec encodes values for providers that store bytes. Nil means raw
	// bytes for V of kind []byte or string, and msgpack otherwise.
	Codec codec.Codec

	// Transformers are applied in order to every encoded value, after the
	// codec: zstd.New (package transform/zstd) compresses,
	// transform.NewAESGCM encrypts and authenticates (put it last, since
	// ciphertext does not compress). Entries record the steps they went
	// through, and a read finds each among these: a step that leaves the
	// chain stays listed as transform.DecodeOnly(step) while entries
	// written through it live, or they become misses (counted in
	// Stats().DecodeErrors); see docs/transformers.md. Nil means none.
	//
	// They need a provider that stores bytes: New refuses them with
	// ErrTransformersNeedBytes on one that keeps Go values
	// (driver.ValueStore, such as memory), where no step would run. The
	// transformers stay the caller's: close them after the caches using
	// them.
	Transformers []transform.Transformer

	// KeyCodec turns keys into strings. Nil means native handling of string
	// and integer keys, and MarshalText for other keys that implement it.
	KeyCodec KeyCodec[K]

	// Weigher gives an entry's cost against a weight-bounded in-process
	// provider. Nil means the length for V of kind []byte or string, and 1
	// otherwise.
	Weigher func(K, V) uint32

	// LoadTimeout bounds each load run by Get: the loader's context ends
	// after it. Zero means DefaultLoadTimeout.
	LoadTimeout time.Duration

	// NegativeTTL, when positive, caches a loader's ErrNotFound for this
	// long, so that keys missing from the source do not reach it on every
	// read. Zero disables negative caching.
	NegativeTTL time.Duration

	// StaleWhileRevalidate, when positive, keeps entries this long past their
	// TTL: a Get or Fetch in that window returns the stale value at once
	// (Result.Stale) and reloads it in the background.
	StaleWhileRevalidate time.Duration

	// StaleIfError, when positive, keeps entries this long past their TTL
	// for when reloading fails: Fetch then returns the stale value with the
	// load's error in Result.LoadErr.
	StaleIfError time.Duration

	// RefreshAfter, between 0 and 1, reloads an entry in the background
	// once this fraction of its TTL has passed, on the first read after
	// that, which still returns the current value: busy keys never expire
	// in front of their readers. Zero disables it.
	RefreshAfter float64

	// MaxComputeRetries, when positive, bounds how often a compute retries
	// after losing a race to another writer. Zero leaves the retries bounded
	// by time alone: a compute retries until its context's deadline, or,
	// when the context has none, for the provider's single-key budget
	// (driver.Budgets.Single), else DefaultComputeTimeout (see Compute).
	MaxComputeRetries int

	// Observer, when set, reports this cache's counters, load durations
	// and calls to a remote store to a metrics and tracing system (see
	// package otelcache). Nil costs nothing.
	Observer Observer

	// Logger receives reports of entries that could not be decoded and other
	// events worth an operator's attention. Nil means slog.Default().
	Logger *slog.Logger
}

func (o Options[K, V]) validate() error {
	if o.TTL < 0 && o.TTL != NoExpiry {
		return fmt.Errorf("%w: TTL %v: must be positive, zero (default) or NoExpiry", ErrInvalidOptions, o.TTL)
	}
	for name, d := range map[string]time.Duration{"NegativeTTL": o.NegativeTTL, "StaleWhileRevalidate": o.StaleWhileRevalidate, "StaleIfError": o.StaleIfError} {
		if d < 0 {
			return fmt.Errorf("%w: %s %v is negative", ErrInvalidOptions, name, d)
		}
	}
	if o.RefreshAfter < 0 || o.RefreshAfter >= 1 || o.RefreshAfter != o.RefreshAfter {
		return fmt.Errorf("%w: RefreshAfter %v: must be in [0, 1)", ErrInvalidOptions, o.RefreshAfter)
	}
	if o.MaxComputeRetries < 0 {
		return fmt.Errorf("%w: MaxComputeRetries %d is negative", ErrInvalidOptions, o.MaxComputeRetries)
	}
	if o.LoadTimeout < 0 {
		return fmt.Errorf("%w: LoadTimeout %v is negative", ErrInvalidOptions, o.LoadTimeout)
	}
	if o.Jitter < 0 || o.Jitter >= 1 || o.Jitter != o.Jitter {
		return fmt.Errorf("%w: Jitter %v: must be in [0, 1)", ErrInvalidOptions, o.Jitter)
	}
	return nil
}
