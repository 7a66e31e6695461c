package driver

import "time"

// NoExpiry asks a provider to keep an entry until it is deleted or evicted.
//
// A zero TTL is not accepted anywhere in the contract: it is far too easy to
// pass by accident, and a cache entry that silently never expires is the
// kind of bug that fills a server. Callers who want no expiry must say so.
const NoExpiry time.Duration = -1

// ValidTTL reports whether ttl may be passed to a provider: positive, or
// exactly NoExpiry.
func ValidTTL(ttl time.Duration) bool {
	return ttl > 0 || ttl == NoExpiry
}
