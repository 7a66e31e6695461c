// Package gcra is the contract between package ratelimit and the stores
// that keep its quotas: one step of the generic cell rate algorithm, taken
// atomically in the store.
//
// It is a package of its own, beside ratelimit rather than in it, so that
// a provider implementing it (memory, valkeystore) does not link
// ratelimit's HTTP middleware.
package gcra

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// Backend takes GCRA steps for keys, atomically in the store, so that every
// process sharing the store draws on one quota and no interleaving of steps
// lets more through than the quota holds. ratelimit.New finds a provider's
// Backend along its unwrap chain (driver.Find), so wrappers pass it
// through.
//
// The state of a key is one instant, its theoretical arrival time (TAT):
// when the quota would be whole again. A step of cost n at time now is
// allowed when max(TAT, now) + n·interval − burst·interval <= now, and then
// moves TAT to max(TAT, now) + n·interval. A rejected step changes nothing,
// so a client that keeps being refused does not push its own recovery
// further away. A step of cost 0 is a peek: it is always allowed, changes
// nothing, and reports the state as it is.
//
// Time is the store's clock, not the caller's, so processes with skewed
// clocks agree. The state lives until the quota is whole again and is then
// forgotten, which is the same as a whole quota.
//
// Package cachetest checks every rule stated here (its RateLimit/ cases).
type Backend interface {
	// RateLimit takes a step of cost for key. interval is the time one unit
	// of quota takes to come back; burst is how many units may be spent at
	// once. Callers ensure interval > 0 and 0 <= cost <= burst.
	RateLimit(ctx context.Context, key driver.Key, interval time.Duration, burst, cost int64) (Decision, error)

	// ResetRate forgets key's state, so that its quota is whole again.
	// Resetting a key with no state is not an error.
	ResetRate(ctx context.Context, key driver.Key) error
}

// Decision is the outcome of one step.
type Decision struct {
	// Allowed says whether the step was taken (always, for a peek).
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
