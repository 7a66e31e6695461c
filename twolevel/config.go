package twolevel

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Coherence says how the in-process copies of other instances learn of a
// change.
type Coherence int

const (
	// Tracking uses server-assisted client-side caching: the server pushes
	// an invalidation for every key this process has read when any other
	// client changes it, and the copy is dropped when the push arrives,
	// about one round trip after the change. When the connection is lost
	// (and pushes with it), every copy stops being served until read anew.
	// The Valkey provider must be built with TrackAllReads.
	Tracking Coherence = iota

	// Expiry is for servers that refuse CLIENT TRACKING (some managed
	// services): copies simply live no longer than Config.L1TTL, so another
	// instance's change is seen at most L1TTL after it. A process still
	// reads its own writes at once.
	Expiry
)

func (c Coherence) String() string {
	switch c {
	case Tracking:
		return "tracking"
	case Expiry:
		return "expiry"
	}
	return fmt.Sprintf("Coherence(%d)", int(c))
}

// Defaults of Config.
const (
	DefaultMaxL1TTL           = 10 * time.Minute
	DefaultExpiryL1TTL        = time.Second
	DefaultBreakerFailures    = 5
	DefaultBreakerCooldown    = time.Second
	DefaultMaxTrackedVersions = 1 << 16
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config.
var ErrInvalidConfig = errors.New("twolevel: invalid config")

// Config tunes a two-level provider.
type Config struct {
	// Coherence is Tracking (the default) or Expiry.
	Coherence Coherence

	// L1TTL bounds how long a copy is kept, whatever its entry's TTL (a copy
	// never outlives its entry). Under Tracking it only bounds memory held
	// by rarely read copies; zero means DefaultMaxL1TTL. Under Expiry it is
	// the staleness bound; zero means DefaultExpiryL1TTL.
	L1TTL time.Duration

	// StaleIfError lets a read be answered from a copy that can no longer
	// be shown current (tracking was lost) while the shared store cannot be
	// reached, for at most this long after the copy was last known current.
	// Zero, the default, never serves such copies.
	StaleIfError time.Duration

	// BreakerFailures consecutive failures of the shared store (errors, not
	// misses) open the circuit: calls then fail at once with ErrCircuitOpen
	// (which matches valcache.ErrUnavailable) instead of waiting for their deadline.
	// After BreakerCooldown one call is let through as a probe; its success
	// closes the circuit. On a cluster each slot has a circuit of its own,
	// so a shard that is down fails fast for its own keys only. Zero means
	// the defaults; a negative BreakerFailures disables the breakers.
	BreakerFailures int
	BreakerCooldown time.Duration

	// MaxTrackedVersions bounds the tag and namespace versions followed in
	// process; past it they are all dropped and read anew. Zero means
	// DefaultMaxTrackedVersions.
	MaxTrackedVersions int

	// Logger receives warnings (circuit opening and closing); nil means
	// slog.Default().
	Logger *slog.Logger
}

func (c *Config) withDefaults() error {
	switch c.Coherence {
	case Tracking:
		if c.L1TTL == 0 {
			c.L1TTL = DefaultMaxL1TTL
		}
	case Expiry:
		if c.L1TTL == 0 {
			c.L1TTL = DefaultExpiryL1TTL
		}
	default:
		return fmt.Errorf("%w: unknown Coherence %d", ErrInvalidConfig, int(c.Coherence))
	}
	if c.L1TTL < 0 {
		return fmt.Errorf("%w: L1TTL %v is negative", ErrInvalidConfig, c.L1TTL)
	}
	if c.StaleIfError < 0 {
		return fmt.Errorf("%w: StaleIfError %v is negative", ErrInvalidConfig, c.StaleIfError)
	}
	if c.BreakerCooldown < 0 {
		return fmt.Errorf("%w: BreakerCooldown %v is negative", ErrInvalidConfig, c.BreakerCooldown)
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerCooldown == 0 {
		c.BreakerCooldown = DefaultBreakerCooldown
	}
	if c.MaxTrackedVersions < 0 {
		return fmt.Errorf("%w: MaxTrackedVersions %d is negative", ErrInvalidConfig, c.MaxTrackedVersions)
	}
	if c.MaxTrackedVersions == 0 {
		c.MaxTrackedVersions = DefaultMaxTrackedVersions
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
