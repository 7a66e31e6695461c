package memory

import (
	"context"
	"sync"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit/gcra"
)

var _ gcra.Backend = (*Provider)(nil)

// rateTable holds the theoretical arrival time of every limited key, in
// nanoseconds of the monotonic clock. It is a plain map rather than an
// otter cache: an evicted state would hand its key a whole quota, which a
// limiter may never do. Keys whose quota is whole again are swept when the
// map has doubled since the last sweep, so its size follows the number of
// keys limited at once.
type rateTable struct {
	mu        sync.Mutex
	tat       map[driver.Key]int64
	sweepSize int
}

// RateLimit implements gcra.Backend under one mutex: the step is a few
// arithmetic operations, far shorter than any wait for a finer lock.
func (p *Provider) RateLimit(ctx context.Context, key driver.Key, interval time.Duration, burst, cost int64) (gcra.Decision, error) {
	if err := p.check(ctx); err != nil {
		return gcra.Decision{}, err
	}
	t := &p.rates
	now := monoNow()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tat == nil {
		t.tat = map[driver.Key]int64{}
	}
	tat, allowed, d := gcraStep(t.tat[key], now, int64(interval), burst, cost)
	if allowed && cost > 0 {
		t.tat[key] = tat
		if len(t.tat) > 2*t.sweepSize+64 {
			t.sweep(now)
		}
	}
	return d, nil
}

// ResetRate implements gcra.Backend.
func (p *Provider) ResetRate(ctx context.Context, key driver.Key) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	t := &p.rates
	t.mu.Lock()
	delete(t.tat, key)
	t.mu.Unlock()
	return nil
}

func (t *rateTable) sweep(now int64) {
	for k, tat := range t.tat {
		if tat <= now {
			delete(t.tat, k)
		}
	}
	t.sweepSize = len(t.tat)
}

// gcraStep is one GCRA step in integer nanoseconds; the Valkey provider's
// script does the same in microseconds. It returns the new arrival time and
// whether to store it.
func gcraStep(tat, now, interval, burst, cost int64) (int64, bool, gcra.Decision) {
	tat = max(tat, now)
	tolerance := interval * burst
	next := tat + interval*cost
	allowAt := next - tolerance
	if allowAt > now {
		return tat, false, gcra.Decision{
			Remaining:  max(0, (now-(tat-tolerance))/interval),
			ResetAfter: time.Duration(tat - now),
			RetryAfter: time.Duration(allowAt - now),
		}
	}
	return next, true, gcra.Decision{
		Allowed:    true,
		Remaining:  max(0, (now-allowAt)/interval),
		ResetAfter: time.Duration(next - now),
	}
}

// epoch anchors monoNow; it is set once at start-up and never changes.
var epoch = time.Now()

// monoNow is nanoseconds on the monotonic clock, which wall-clock jumps do
// not move: a step back in wall time must not refill or drain quotas.
func monoNow() int64 { return int64(time.Since(epoch)) }
