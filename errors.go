package valcache

import (
	"errors"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/flight"
)

// Errors callers can test with errors.Is. The provider-facing ones are the
// driver's own values, so a provider's error and the facade's compare equal.
var (
	ErrInvalidTTL      = driver.ErrInvalidTTL
	ErrValueTooLarge   = driver.ErrValueTooLarge
	ErrClosed          = driver.ErrClosed
	ErrNotSupported    = driver.ErrNotSupported
	ErrFlushNotAllowed = driver.ErrFlushNotAllowed
	ErrUnavailable     = driver.ErrUnavailable

	// ErrNotFound is what a Loader returns when the source has no value for
	// the key, and what Get returns for a key cached as absent (see
	// Options.NegativeTTL).
	ErrNotFound = errors.New("valcache: not found")

	// ErrInvalidOptions is wrapped by every error New returns for bad options.
	ErrInvalidOptions = errors.New("valcache: invalid options")
	// ErrNilProvider is returned by New when given no provider.
	ErrNilProvider = errors.New("valcache: nil provider")
	// ErrNilLoader is returned by Get, Fetch and GetMany when given no
	// loader, before anything is read: a call that may need to load must
	// say how.
	ErrNilLoader = errors.New("valcache: nil loader")
)

// PanicError is what every caller waiting on a load gets when the loader
// panicked: the panic's value and the loader's stack.
type PanicError = flight.PanicError

// ValueTooLargeError gives the size and limit of a rejected value.
type ValueTooLargeError = driver.ValueTooLargeError
