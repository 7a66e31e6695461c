package driver

import (
	"context"
	"time"
)

// RateLimiter takes one step of the generic cell rate algorithm (GCRA) for
// a key, atomically in the store, so that every process sharing the store
// draws on one quota and no interleaving of steps lets more through than
// the quota holds.
//
// The state of a key is one instant, its theoretical arrival time (TAT):
// when the quota would be whole again. A step of cost n at time now is
// allowed when max(TAT, now) + n·interval − burst·interval <= now, and then
// moves TAT to max(TAT, now) + n·interval. A rejected step changes nothing,
// so a client that keeps being refused does not push its own recovery
// further away.
//
// Time is the store's clock, not the caller's, so processes with skewed
// clocks agree. The state lives until the quota is whole again and is then
// forgotten, which is the same as a whole quota.
//
// Fallback: none; package ratelimit reports ErrNotSupported.
type RateLimiter interface {
	// RateLimit takes a step of cost for key. interval is the time one unit
	// of quota takes to come back; burst is how many units may be spent at
	// once. Callers ensure interval > 0 and 0 < cost <= burst.
	RateLimit(ctx context.Context, key Key, interval time.Duration, burst, cost int64) (RateDecision, error)
}

// RateDecision is the outcome of one step.
type RateDecision struct {
	// Allowed says whether the step was taken.
	Allowed bool
	// Remaining is how many units could be spent at once right after the
	// step (before it, for a refused step).
	Remaining int64
	// ResetAfter is how long until the quota is whole again.
	ResetAfter time.Duration
	// RetryAfter is how long until a step of the same cost would be
	// allowed; zero when this one was.
	RetryAfter time.Duration
}
