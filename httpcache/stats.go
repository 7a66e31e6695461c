package httpcache

import (
	"sync/atomic"

	"github.com/valcache/valcache"
)

// Stats are a Cache's counters since it was created, in this process. Each
// is read atomically, but not all at one instant.
type Stats struct {
	// Requests counts the requests the cache handled.
	Requests uint64
	// Hits counts requests answered from a stored response without asking
	// the origin; StaleHits the part of them answered with a stale one
	// (stale-while-revalidate, or a request's max-stale); StaleIfError the
	// requests answered with a stale response because the origin failed.
	Hits, StaleHits, StaleIfError uint64
	// Misses counts requests that found no response they could use: no
	// response for the URI, none for their Vary selection, a stale one, or
	// one their own directives refused.
	Misses uint64
	// Coalesced counts requests answered with the response of an origin
	// request another request made, in this process or another.
	Coalesced uint64
	// OriginRequests counts requests this process sent to the origin,
	// Validations the conditional ones among them, and Freshened the 304s
	// that refreshed a stored response.
	OriginRequests, Validations, Freshened uint64
	// Stored counts responses stored, NotStored those that could not be
	// (personal, not storable, too large), StoreErrors failed calls to the
	// store.
	Stored, NotStored, StoreErrors uint64
	// Bypassed counts requests the cache passed on untouched: methods it
	// does not serve, upgrades, ranges it does not hold, preconditions only
	// the origin evaluates, and errors of Config.Key.
	Bypassed uint64
	// Invalidations counts URIs invalidated by unsafe requests (RFC 9111
	// §4.4), Purges the calls of Purge, PurgeURL and PurgeRequest.
	Invalidations, Purges uint64
	// OriginErrors counts origin requests that failed or answered a server
	// error; GatewayErrors the 502 and 504 answers the cache made itself
	// (only-if-cached without a stored response included).
	OriginErrors, GatewayErrors uint64

	// Responses and Flights are the counters of the valcache caches
	// beneath: stored responses, and the coordination of origin requests
	// (its Loads are the origin requests made for the fleet, its Waiters
	// and FleetWaits the requests that waited for one).
	Responses, Flights valcache.Stats
}

type counters struct {
	requests, hits, staleHits, staleIfError, misses, coalesced atomic.Uint64
	originRequests, validations, freshened                     atomic.Uint64
	stored, notStored, storeErrors, bypassed, invalidations    atomic.Uint64
	purges, originErrors, gatewayErrors                        atomic.Uint64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	s := &c.stats
	responses, flights := c.store.stats()
	return Stats{
		Requests: s.requests.Load(), Hits: s.hits.Load(), StaleHits: s.staleHits.Load(),
		StaleIfError: s.staleIfError.Load(), Misses: s.misses.Load(), Coalesced: s.coalesced.Load(),
		OriginRequests: s.originRequests.Load(), Validations: s.validations.Load(), Freshened: s.freshened.Load(),
		Stored: s.stored.Load(), NotStored: s.notStored.Load(), StoreErrors: s.storeErrors.Load(),
		Bypassed: s.bypassed.Load(), Invalidations: s.invalidations.Load(), Purges: s.purges.Load(),
		OriginErrors: s.originErrors.Load(), GatewayErrors: s.gatewayErrors.Load(),
		Responses: responses, Flights: flights,
	}
}
