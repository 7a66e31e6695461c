package valcache

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/valcache/valcache/driver"
)

// NoExpiry, passed as a TTL, keeps an entry until it is deleted or evicted.
// It is the only way to write an entry without an expiry.
const NoExpiry = driver.NoExpiry

// DefaultTTL applies when neither the cache's options nor its provider's
// configuration name one.
const DefaultTTL = time.Hour

// ttlPolicy turns a requested TTL into the one sent to the provider.
type ttlPolicy struct {
	def    time.Duration
	jitter float64
}

// resolve maps zero to the default, rejects other non-positive values except
// NoExpiry, and applies jitter. Jitter only ever shortens a TTL, so an entry
// never outlives what the caller asked for.
func (p ttlPolicy) resolve(ttl time.Duration) (time.Duration, error) {
	if ttl == 0 {
		ttl = p.def
	}
	if ttl == NoExpiry {
		return ttl, nil
	}
	if ttl < 0 {
		return 0, fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	if p.jitter > 0 {
		cut := time.Duration(rand.Float64() * p.jitter * float64(ttl))
		if cut >= ttl {
			cut = ttl - 1
		}
		ttl -= cut
	}
	return ttl, nil
}

// askable reports whether a caller may ask for ttl: zero (the default),
// a positive TTL or NoExpiry. Every option that takes a TTL checks it
// here, so that they all refuse the same values.
func askable(ttl time.Duration) bool { return ttl >= 0 || ttl == NoExpiry }

// resolveLongest is the longest TTL resolve may give for ttl, jitter aside:
// what version keys must be kept alive for when entries are written with it.
func (p ttlPolicy) resolveLongest(ttl time.Duration) (time.Duration, error) {
	if ttl == 0 {
		ttl = p.def
	}
	if !askable(ttl) {
		return 0, fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	return ttl, nil
}
