package valcache

import "sync/atomic"

// Stats are counters of one cache since it was created.
type Stats struct {
	// DecodeErrors counts stored values that could not be read back (corrupt,
	// truncated, written by an unknown codec or format, or of another type)
	// and were therefore treated as misses.
	DecodeErrors uint64
}

type counters struct {
	decodeErrors atomic.Uint64
}

// Stats returns the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	return Stats{DecodeErrors: c.stats.decodeErrors.Load()}
}
