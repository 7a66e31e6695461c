package twolevel

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/valkeystore"
)

// Provider is a two-level store: copies of entries, as the typed values of
// the caches over it, in an in-process memory.Provider (L1), in front of a
// valkeystore.Provider (L2) that holds the entries as bytes and is shared
// by every instance. Create it with New; it is safe for concurrent use.
type Provider struct {
	l1       *memory.Provider
	l2       *valkeystore.Provider
	cfg      Config
	track    *tracker
	vers     *versionTable
	breaker  *breaker
	unlisten func()
}

// Capability checks: the facade discovers these by type assertion. The
// Provider is deliberately not a driver.ValueStore: the facade writes bytes
// to it, for L2, and reads through driver.NearCache.
var (
	_ driver.Provider           = (*Provider)(nil)
	_ driver.NearCache          = (*Provider)(nil)
	_ driver.BatchGetter        = (*Provider)(nil)
	_ driver.BatchSetter        = (*Provider)(nil)
	_ driver.BatchDeleter       = (*Provider)(nil)
	_ driver.DefaultTTLer       = (*Provider)(nil)
	_ driver.OperationTimeouter = (*Provider)(nil)
	_ driver.Pinger             = (*Provider)(nil)
	_ driver.Flusher            = (*Provider)(nil)
	_ driver.Versioner          = (*Provider)(nil)
	_ driver.LoadLocker         = (*Provider)(nil)
	_ driver.Swapper            = (*Provider)(nil)
	_ driver.RefreshLocker      = (*Provider)(nil)
	_ driver.Scanner            = (*Provider)(nil)
)

// New composes l1 and l2, which the Provider then owns: closing it closes
// both. Under Tracking coherence, l2 must have been built with
// valkeystore.Config.TrackAllReads.
func New(l1 *memory.Provider, l2 *valkeystore.Provider, cfg Config) (*Provider, error) {
	if l1 == nil || l2 == nil {
		return nil, fmt.Errorf("%w: both levels are required", ErrInvalidConfig)
	}
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	if cfg.Coherence == Tracking && !l2.TracksAllReads() {
		return nil, fmt.Errorf("%w: Tracking coherence needs the Valkey provider built with TrackAllReads (or choose Expiry coherence)", ErrInvalidConfig)
	}
	p := &Provider{
		l1:      l1,
		l2:      l2,
		cfg:     cfg,
		track:   newTracker(),
		breaker: &breaker{threshold: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown, log: cfg.Logger},
	}
	p.vers = &versionTable{track: p.track, max: cfg.MaxTrackedVersions, recs: map[driver.VersionKey]*versionRec{}}
	if cfg.Coherence == Expiry {
		p.vers.hold = cfg.L1TTL / 2
	} else {
		p.unlisten = l2.Listen(p.onInvalidation)
	}
	return p, nil
}

// L2 returns the shared level, for what the provider does not cover.
func (p *Provider) L2() *valkeystore.Provider { return p.l2 }

// Breaker reports the circuit breaker's state.
func (p *Provider) Breaker() State { return State(p.breaker.state.Load()) }

// CircuitState is the breaker's state as driver.CircuitReporter names it,
// for observers that do not know this package.
func (p *Provider) CircuitState() string { return p.Breaker().String() }

var _ driver.CircuitReporter = (*Provider)(nil)

// onInvalidation runs on a connection's reader goroutine: it only bumps
// counters and drops copies, and never calls L2.
func (p *Provider) onInvalidation(inv valkeystore.Invalidation) {
	if inv.All {
		p.track.lost(time.Now())
		return
	}
	for _, k := range inv.Entries {
		p.dropCopy(k)
	}
	for _, k := range inv.Versions {
		p.vers.changed(k)
	}
}

// dropCopy voids the leases on k, then drops k's copy: a read that raced
// with the change either finds its lease void or has its copy dropped here.
func (p *Provider) dropCopy(k driver.Key) {
	p.track.changed(k)
	_ = p.l1.Delete(context.Background(), k)
}

// call runs an L2 call through the breaker.
func (p *Provider) call(ctx context.Context, fn func() error) error {
	probe, err := p.breaker.allow()
	if err != nil {
		return err
	}
	err = fn()
	p.breaker.done(probe, err, telling(ctx, err))
	if err == nil {
		p.track.answered()
	}
	return err
}

// write runs an L2 call that changes key, then drops the writer's own
// copy, whether or not the call reports success (it may have been applied).
func (p *Provider) write(ctx context.Context, key driver.Key, fn func() error) error {
	err := p.call(ctx, fn)
	if err == nil || !isUnavailable(err) {
		p.dropCopy(key)
	}
	return err
}

// isUnavailable reports whether the call was refused by the open circuit,
// and so never reached the store.
func isUnavailable(err error) bool { return errorsIs(err, ErrCircuitOpen) }

// Close stops following invalidations and closes both levels.
func (p *Provider) Close() error {
	if p.unlisten != nil {
		p.unlisten()
	}
	err1 := p.l2.Close()
	err2 := p.l1.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// l1TTL is how long a copy of an entry with ttl left may be kept.
func (p *Provider) l1TTL(ttl time.Duration) time.Duration {
	limit := p.cfg.L1TTL
	if p.cfg.Coherence == Expiry {
		limit = p.vers.hold
	}
	if ttl == driver.NoExpiry || ttl > limit {
		return limit
	}
	return ttl
}
