package memory

import (
	"errors"
	"fmt"
	"time"
)

// DefaultMaxEntries bounds a provider whose Config sets no bound.
const DefaultMaxEntries = 100_000

// DefaultMaxValueBytes is the largest byte value accepted unless configured.
const DefaultMaxValueBytes = 64 << 20

// DefaultClockResolution is how often the store reads the time unless
// configured; see Config.ClockResolution.
const DefaultClockResolution = time.Millisecond

// ErrInvalidConfig is wrapped by every error New returns for a bad Config.
var ErrInvalidConfig = errors.New("memory: invalid config")

// Config bounds the store. Set at most one of MaxEntries and MaxWeight.
type Config struct {
	// MaxEntries bounds the number of entries. Zero, with MaxWeight also zero,
	// means DefaultMaxEntries.
	MaxEntries int

	// MaxWeight bounds the total weight of entries instead: byte values and
	// caches of []byte or string weigh their length, other caches what their
	// Options.Weigher says. An entry heavier than the whole bound is refused
	// with valcache.ErrValueTooLarge.
	MaxWeight uint64

	// MaxValueBytes is the largest byte value accepted; zero means
	// DefaultMaxValueBytes.
	MaxValueBytes int

	// ClockResolution is how often a goroutine reads the time for expiry
	// checks. Reading the clock on every hit instead costs more than the rest
	// of the hit on some machines; the price is that entries expire up to this
	// much early or late. Zero means DefaultClockResolution; a negative value
	// reads the precise time on every operation and starts no goroutine.
	ClockResolution time.Duration

	// DefaultTTL is the TTL of caches over this provider that set none.
	// Zero leaves the facade's default (one hour).
	DefaultTTL time.Duration
}

func (c Config) validate() error {
	switch {
	case c.MaxEntries < 0:
		return fmt.Errorf("%w: MaxEntries %d is negative", ErrInvalidConfig, c.MaxEntries)
	case c.MaxEntries > 0 && c.MaxWeight > 0:
		return fmt.Errorf("%w: set MaxEntries or MaxWeight, not both", ErrInvalidConfig)
	case c.MaxValueBytes < 0:
		return fmt.Errorf("%w: MaxValueBytes %d is negative", ErrInvalidConfig, c.MaxValueBytes)
	case c.DefaultTTL < 0 && c.DefaultTTL != -1:
		return fmt.Errorf("%w: DefaultTTL %v: must be positive, zero or NoExpiry", ErrInvalidConfig, c.DefaultTTL)
	}
	return nil
}
