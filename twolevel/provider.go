package twolevel

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/sibling"
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
	l1x      sibling.Memory // what twolevel uses of l1 beyond the driver contract
	l2x      sibling.Valkey // and of l2
	cfg      Config
	track    *tracker
	vers     *versionTable
	breakers *breakers
	unlisten func()
}

// Capability checks: the facade discovers these by type assertion. The
// Provider is deliberately not a driver.ValueStore: the facade writes bytes
// to it, for L2, and reads through driver.NearCache.
var (
	_ driver.Provider      = (*Provider)(nil)
	_ driver.NearCache     = (*Provider)(nil)
	_ driver.BatchGetter   = (*Provider)(nil)
	_ driver.BatchSetter   = (*Provider)(nil)
	_ driver.BatchDeleter  = (*Provider)(nil)
	_ driver.DefaultTTLer  = (*Provider)(nil)
	_ driver.Pinger        = (*Provider)(nil)
	_ driver.Flusher       = (*Provider)(nil)
	_ driver.Versioner     = (*Provider)(nil)
	_ driver.LoadLocker    = (*Provider)(nil)
	_ driver.Swapper       = (*Provider)(nil)
	_ driver.RefreshLocker = (*Provider)(nil)
	_ driver.Scanner       = (*Provider)(nil)
	_ driver.Unwrapper     = (*Provider)(nil)
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
	l1x, _ := sibling.MemoryOf(l1)
	l2x, _ := sibling.ValkeyOf(l2)
	if cfg.Coherence == Tracking && !l2x.TracksAllReads() {
		return nil, fmt.Errorf("%w: Tracking coherence needs the Valkey provider built with TrackAllReads (or choose Expiry coherence)", ErrInvalidConfig)
	}
	p := &Provider{
		l1:    l1,
		l2:    l2,
		l1x:   l1x,
		l2x:   l2x,
		cfg:   cfg,
		track: newTracker(),
	}
	p.breakers = newBreakers(l2x.Slots(), cfg.BreakerFailures, cfg.BreakerCooldown, cfg.Logger)
	p.vers = &versionTable{track: p.track, max: cfg.MaxTrackedVersions, recs: map[driver.VersionKey]*versionRec{}}
	if cfg.Coherence == Expiry {
		p.vers.hold = cfg.L1TTL / 2
	} else {
		p.unlisten = l2x.Listen(p.onInvalidation)
	}
	return p, nil
}

// CircuitState reports the circuit breakers' state, as driver.CircuitReporter
// names it (driver.CircuitClosed, CircuitOpen or CircuitHalfOpen), which is
// what observers such as otelcache read. On a single node there is one
// breaker. On a cluster there is one per slot, and this is the worst of
// them: open while the circuit of some slot is open (the keys of other
// slots are still served), half-open while some slot is being probed, and
// closed when every circuit is.
func (p *Provider) CircuitState() string { return p.breakers.state().String() }

var _ driver.CircuitReporter = (*Provider)(nil)

// onInvalidation runs on a connection's reader goroutine: it only bumps
// counters and drops copies, and never calls L2.
func (p *Provider) onInvalidation(inv sibling.Invalidation) {
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

// call runs an L2 call on one slot through that slot's breaker.
func (p *Provider) call(ctx context.Context, slot int, fn func() error) error {
	b := p.breakers.of(slot)
	probe, err := b.allow()
	if err != nil {
		return err
	}
	err = fn()
	p.settle(b, probe, err, telling(ctx, err))
	return err
}

// settle gives a breaker the outcome of a call it let through, and records
// an answer for stale-if-error.
func (p *Provider) settle(b *breaker, probe bool, err error, telling bool) {
	b.done(probe, err, telling)
	if err == nil {
		raise(&b.answered, p.track.lossCount.Load())
	}
}

// write runs an L2 call that changes key, then drops the writer's own
// copy, whether or not the call reports success (it may have been applied).
func (p *Provider) write(ctx context.Context, key driver.Key, fn func() error) error {
	err := p.call(ctx, p.l2x.EntrySlot(key), fn)
	if err == nil || !isUnavailable(err) {
		p.dropCopy(key)
	}
	return err
}

// isUnavailable reports whether the call was refused by the open circuit,
// and so never reached the store.
func isUnavailable(err error) bool { return errorsIs(err, ErrCircuitOpen) }

// callAll runs an L2 call that is not about some keys: a namespace's
// Clear, a scan, an index query. On a single node it goes through the one
// breaker. On a cluster it goes through none: no one slot's circuit says
// whether it can be served, nor can its failure be placed on one slot.
// reachesEvery says that its success shows that every node answered.
func (p *Provider) callAll(ctx context.Context, reachesEvery bool, fn func() error) error {
	if p.l2x.Slots() == 1 {
		return p.call(ctx, 0, fn)
	}
	err := fn()
	if err == nil && reachesEvery {
		raise(&p.breakers.everyAnswered, p.track.lossCount.Load())
	}
	return err
}

// callSlots runs an L2 call that touches several slots. It is refused at
// once when the circuit of any of them is open, since it could not
// complete without that slot: refused maps each such slot to its refusal.
// Its outcome counts for each slot: a success for all, or a failure for
// the slots that blame names from the error (the others answered); a
// failure that cannot be placed counts for none, unless there is only one
// slot.
func (p *Provider) callSlots(ctx context.Context, slots []int, fn func() error, blame func(error) map[int]error) (refused map[int]error, err error) {
	if len(slots) == 1 {
		return nil, p.call(ctx, slots[0], fn)
	}
	bs := make([]*breaker, len(slots))
	probes := make([]bool, len(slots))
	for i, s := range slots {
		bs[i] = p.breakers.of(s)
		var rerr error
		if probes[i], rerr = bs[i].allow(); rerr != nil {
			if refused == nil {
				refused = map[int]error{}
			}
			refused[s] = rerr
		}
	}
	if refused != nil {
		for i, b := range bs {
			if _, ok := refused[slots[i]]; !ok {
				b.done(probes[i], nil, false) // not sent: a probe is left to the next call
			}
		}
		for _, rerr := range refused {
			return refused, rerr
		}
	}
	err = fn()
	var placed map[int]error
	if err != nil && blame != nil {
		placed = blame(err)
	}
	for i, b := range bs {
		switch e, failed := placed[slots[i]]; {
		case err == nil:
			p.settle(b, probes[i], nil, true)
		case placed != nil && failed:
			p.settle(b, probes[i], e, telling(ctx, e))
		case placed != nil:
			p.settle(b, probes[i], nil, true)
		default:
			b.done(probes[i], err, false)
		}
	}
	return nil, err
}

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
