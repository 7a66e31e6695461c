// Package ratelimit limits how often a key (a user, an IP address, an API
// token) may do something, with one quota per key shared by every process
// on the same store.
//
//	limits, _ := ratelimit.New(provider, ratelimit.Config{Limit: ratelimit.PerMinute(100)})
//	res, err := limits.Allow(ctx, userID)
//	if err == nil && !res.Allowed { /* refuse; retry after res.RetryAfter */ }
//
// The algorithm is GCRA (the generic cell rate algorithm): a quota of Burst
// units refills one unit every Period/Rate, continuously, and each request
// spends units. Each check is one atomic step in the store, on the store's
// clock, so concurrent requests from any number of processes are never let
// through beyond the quota, and a refused request spends nothing.
//
// Peek reports a key's quota without spending any, and Reset makes it
// whole again. The store's side is gcra.Backend (package ratelimit/gcra).
//
// Middleware applies a Limiter to HTTP requests and sets the RateLimit-*
// fields of draft-ietf-httpapi-ratelimit-headers-06 and Retry-After.
// docs/ratelimit.md describes the guarantees and their limits.
package ratelimit
