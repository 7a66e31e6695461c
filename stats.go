package valcache

import (
	"sync/atomic"
	"unsafe"
)

// Stats are counters of one cache since it was created. Each is read
// atomically, but not all at one instant: under load, one may include an
// event that another does not yet.
type Stats struct {
	// Hits counts reads answered from the cache without a loader: values,
	// and absences cached by Options.NegativeTTL. L1Hits and L2Hits are the
	// parts of it a two-level provider answered from its in-process copies
	// and from the shared store; on other providers they stay zero.
	Hits, L1Hits, L2Hits uint64

	// Misses counts reads the cache could not answer: GetIfPresent and
	// GetManyIfPresent keys found absent, and Get, Fetch and GetMany keys that
	// went to a loader (or joined a load under way).
	Misses uint64

	// StaleServes counts values served past their TTL: within
	// Options.StaleWhileRevalidate, or, for StaleIfError of them, because
	// the reload failed (Options.StaleIfError, or a two-level provider's
	// copy served while the shared store is unreachable).
	StaleServes, StaleIfError uint64

	// Loads counts loader runs (a BulkLoader call is one), refreshes
	// included; LoadErrors those that failed with anything but ErrNotFound.
	Loads, LoadErrors uint64

	// Waiters counts Get and Fetch calls that joined a load another caller
	// of this cache had started, rather than starting one: the stampede
	// the cache absorbed. FleetWaits counts waits for a load another
	// process was elected to run.
	Waiters, FleetWaits uint64

	// Refreshes counts background reloads started (Options.RefreshAfter and
	// StaleWhileRevalidate).
	Refreshes uint64

	// Invalidations counts InvalidateTags calls that succeeded, and
	// InvalidatedTags the tags they named. Clears counts Clear calls that
	// succeeded.
	Invalidations, InvalidatedTags, Clears uint64

	// StoreErrors counts cache calls that a remote store failed: one for a
	// call, however many of its steps failed (a get-or-load's lookup, its
	// election, its write). A caller's own cancellation or deadline is not
	// the store's failure and is not counted.
	StoreErrors uint64

	// DecodeErrors counts stored values that could not be read back (corrupt,
	// truncated, written by an unknown codec or format, or of another type)
	// and were therefore treated as misses.
	DecodeErrors uint64

	// TagLookups counts reads of tag versions from the provider made to
	// check entries with tags: one per GetIfPresent of a tagged entry on a
	// remote provider, one per bulk read. Untagged entries never add to it.
	TagLookups uint64

	// AuthFailures counts entries refused because they failed to open
	// (tampered, truncated, copied under another key, sealed with another
	// secret) or, on a cache whose chain seals, were not sealed at all.
	// Each is also counted in DecodeErrors.
	AuthFailures uint64
}

// counters are a cache's Stats as it counts them. Hits are counted where
// they happen, by level, and summed when read. The padding keeps them off
// the cache lines of the fields every read loads.
type counters struct {
	_                   [64]byte
	hits, l1Hits        striped // the in-process hits, from every reading goroutine
	l2Hits              atomic.Uint64
	misses              atomic.Uint64
	staleSWR, staleSIE  atomic.Uint64
	loads, loadErrors   atomic.Uint64
	waiters, fleetWaits atomic.Uint64
	refreshes           atomic.Uint64
	invalidations       atomic.Uint64
	invalidatedTags     atomic.Uint64
	clears              atomic.Uint64
	storeErrors         atomic.Uint64
	decodeErrors        atomic.Uint64
	tagLookups          atomic.Uint64
	authFailures        atomic.Uint64
	_                   [64]byte
}

// striped is a counter spread over cache lines, so that goroutines
// counting at once on different cores rarely write the same line: one
// shared atomic made the in-process hit about twice as slow at 16
// goroutines on two cores, and so did cells picked at random, since a
// line still moved between cores on most writes. A goroutine keeps to one
// cell, picked by where its stack is: that costs no state and no call,
// and two goroutines running at once have different stacks.
type striped struct {
	cells [8]struct {
		n atomic.Uint64
		_ [56]byte
	}
}

// Add adds n to the calling goroutine's cell.
func (s *striped) Add(n uint64) {
	var here byte
	// Stacks start at least 2 KiB apart; Fibonacci hashing spreads the
	// bits above that over the cells.
	i := (uint64(uintptr(unsafe.Pointer(&here))>>11) * 0x9E3779B97F4A7C15) >> 61
	s.cells[i].n.Add(n)
}

// Load sums the cells.
func (s *striped) Load() uint64 {
	var sum uint64
	for i := range s.cells {
		sum += s.cells[i].n.Load()
	}
	return sum
}

// level is where a read was answered from.
type level uint8

const (
	levelStore level = iota // the provider (in process, or a one-level remote store)
	levelL1                 // a two-level provider's in-process copy
	levelL2                 // a two-level provider's shared store
)

// hit counts a read answered at l.
func (s *counters) hit(l level) { s.hitN(l, 1) }

// hitN counts n hits at once, for bulk reads.
func (s *counters) hitN(l level, n uint64) {
	switch l {
	case levelL1:
		s.l1Hits.Add(n)
	case levelL2:
		s.l2Hits.Add(n)
	default:
		s.hits.Add(n)
	}
}

// Stats returns the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	s := &c.stats
	l1, l2 := s.l1Hits.Load(), s.l2Hits.Load()
	swr, sie := s.staleSWR.Load(), s.staleSIE.Load()
	return Stats{
		Hits: s.hits.Load() + l1 + l2, L1Hits: l1, L2Hits: l2,
		Misses:      s.misses.Load(),
		StaleServes: swr + sie, StaleIfError: sie,
		Loads: s.loads.Load(), LoadErrors: s.loadErrors.Load(),
		Waiters: s.waiters.Load(), FleetWaits: s.fleetWaits.Load(),
		Refreshes:     s.refreshes.Load(),
		Invalidations: s.invalidations.Load(), InvalidatedTags: s.invalidatedTags.Load(), Clears: s.clears.Load(),
		StoreErrors:  s.storeErrors.Load(),
		DecodeErrors: s.decodeErrors.Load(),
		TagLookups:   s.tagLookups.Load(),
		AuthFailures: s.authFailures.Load(),
	}
}
