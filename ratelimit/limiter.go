package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit/gcra"
)

// DefaultNamespace keeps rate-limit states apart from other users of the
// provider when Config names no namespace.
const DefaultNamespace = "ratelimit"

// maxWindow bounds Burst·Period/Rate, the time a whole quota takes to
// refill, so that the store's arithmetic stays exact.
const maxWindow = 10 * 365 * 24 * time.Hour

var (
	// ErrInvalidLimit is wrapped by the errors New returns for a bad Limit.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	// ErrInvalidCost is returned by AllowN for a cost below one or above
	// the burst, which no quota could ever allow.
	ErrInvalidCost = errors.New("ratelimit: invalid cost")
)

// Limit is a rate: Rate units per Period, of which up to Burst may be spent
// at once.
type Limit struct {
	Rate   int
	Period time.Duration
	// Burst is the size of the quota. Zero means Rate: a full period's worth
	// may be spent at once, then one unit every Period/Rate.
	Burst int
}

// PerSecond, PerMinute and PerHour are Limits of n per period with a burst
// of n.
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second} }
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute} }
func PerHour(n int) Limit   { return Limit{Rate: n, Period: time.Hour} }

// Config configures a Limiter.
type Config struct {
	// Namespace separates these quotas from others on the same provider, so
	// that two limiters with different limits do not share a key's state.
	// Empty means DefaultNamespace.
	Namespace string
	Limit     Limit
}

// Result is the outcome of one check.
type Result struct {
	// Allowed says whether the request may go ahead; its cost was spent.
	// For Peek it says whether a request of cost one could be spent now,
	// and nothing is spent.
	Allowed bool
	// Limit is the size of the quota (the burst).
	Limit int
	// Remaining is how many units could be spent at once now.
	Remaining int
	// ResetAfter is how long until the quota is whole again.
	ResetAfter time.Duration
	// RetryAfter is how long until the same request would be allowed; zero
	// when it was.
	RetryAfter time.Duration
}

// Limiter checks requests against one Limit per key. It is safe for
// concurrent use.
type Limiter struct {
	store    gcra.Backend
	ns       string
	limit    Limit
	interval time.Duration
	burst    int64
}

// New returns a Limiter over p's gcra.Backend (found along p's unwrap
// chain), or an error matching driver.ErrNotSupported when p cannot limit
// rates.
func New(p driver.Provider, cfg Config) (*Limiter, error) {
	store, ok := driver.Find[gcra.Backend](p)
	if !ok {
		return nil, fmt.Errorf("ratelimit: provider %T cannot limit rates: %w", p, driver.ErrNotSupported)
	}
	lim := cfg.Limit
	if lim.Burst == 0 {
		lim.Burst = lim.Rate
	}
	switch {
	case lim.Rate <= 0:
		return nil, fmt.Errorf("%w: Rate %d must be positive", ErrInvalidLimit, lim.Rate)
	case lim.Period <= 0:
		return nil, fmt.Errorf("%w: Period %v must be positive", ErrInvalidLimit, lim.Period)
	case lim.Burst < 0:
		return nil, fmt.Errorf("%w: Burst %d is negative", ErrInvalidLimit, lim.Burst)
	}
	interval := lim.Period / time.Duration(lim.Rate)
	if interval < time.Microsecond {
		return nil, fmt.Errorf("%w: %d per %v is more than one per microsecond", ErrInvalidLimit, lim.Rate, lim.Period)
	}
	if time.Duration(lim.Burst) > maxWindow/interval {
		return nil, fmt.Errorf("%w: a burst of %d takes longer than %v to refill", ErrInvalidLimit, lim.Burst, maxWindow)
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return &Limiter{store: store, ns: ns, limit: lim, interval: interval, burst: int64(lim.Burst)}, nil
}

// Limit returns the limiter's Limit, with Burst filled in.
func (l *Limiter) Limit() Limit { return l.limit }

// Allow spends one unit of key's quota if it has one.
func (l *Limiter) Allow(ctx context.Context, key string) (Result, error) {
	return l.AllowN(ctx, key, 1)
}

// AllowN spends n units of key's quota if it has them, and nothing
// otherwise.
func (l *Limiter) AllowN(ctx context.Context, key string, n int) (Result, error) {
	if n < 1 || int64(n) > l.burst {
		return Result{}, fmt.Errorf("%w: %d, want 1 to %d", ErrInvalidCost, n, l.burst)
	}
	d, err := l.store.RateLimit(ctx, l.key(key), l.interval, l.burst, int64(n))
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: %w", err)
	}
	return l.result(d), nil
}

// Peek reports key's quota without spending any of it, as a request of
// cost one would see it: Allowed says whether one unit could be spent now,
// and RetryAfter how long until one could (zero when it can).
func (l *Limiter) Peek(ctx context.Context, key string) (Result, error) {
	d, err := l.store.RateLimit(ctx, l.key(key), l.interval, l.burst, 0)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: %w", err)
	}
	res := l.result(d)
	res.Allowed = res.Remaining >= 1
	// One unit comes back when TAT has moved within burst-1 intervals.
	res.RetryAfter = max(0, d.ResetAfter-time.Duration(l.burst-1)*l.interval)
	return res, nil
}

// Reset makes key's quota whole again, as if it had never been used.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.store.ResetRate(ctx, l.key(key)); err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	return nil
}

func (l *Limiter) key(id string) driver.Key { return driver.Key{Namespace: l.ns, ID: id} }

func (l *Limiter) result(d gcra.Decision) Result {
	return Result{
		Allowed:    d.Allowed,
		Limit:      int(l.burst),
		Remaining:  int(min(d.Remaining, l.burst)),
		ResetAfter: d.ResetAfter,
		RetryAfter: d.RetryAfter,
	}
}
