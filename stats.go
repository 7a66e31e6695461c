package valcache

import "sync/atomic"

// Stats are counters of one cache since it was created.
type Stats struct {
	// DecodeErrors counts stored values that could not be read back (corrupt,
	// truncated, written by an unknown codec or format, or of another type)
	// and were therefore treated as misses.
	DecodeErrors uint64

	// TagLookups counts reads of tag versions from the provider made to
	// check entries with tags: one per GetIfPresent of a tagged entry on a
	// remote provider, one per GetMany. Untagged entries never add to it.
	TagLookups uint64

	// AuthFailures counts entries refused because they failed to open
	// (tampered, truncated, copied under another key, sealed with another
	// secret) or, on a cache whose chain seals, were not sealed at all.
	// Each is also counted in DecodeErrors.
	AuthFailures uint64
}

type counters struct {
	decodeErrors atomic.Uint64
	tagLookups   atomic.Uint64
	authFailures atomic.Uint64
}

// Stats returns the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	return Stats{DecodeErrors: c.stats.decodeErrors.Load(), TagLookups: c.stats.tagLookups.Load(), AuthFailures: c.stats.authFailures.Load()}
}
