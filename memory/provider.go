package memory

import (
	"cmp"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache/driver"
)

// Provider is the in-process store. Create it with New; it is safe for
// concurrent use.
type Provider struct {
	cache      *otter.Cache[string, *bucket]
	versions   *otter.Cache[driver.VersionKey, *versionItem]
	clock      *otter.CoarseClock // nil with a precise clock
	maxWeight  uint64
	maxValue   int
	defaultTTL time.Duration
	closed     atomic.Bool
	rates      rateTable
	locks      lockTable
	index      indexTable
}

// Capability checks: the facade discovers these by type assertion.
var (
	_ driver.Provider     = (*Provider)(nil)
	_ driver.ValueStore   = (*Provider)(nil)
	_ driver.DefaultTTLer = (*Provider)(nil)
)

// New returns an empty store.
func New(cfg Config) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Provider{maxWeight: cfg.MaxWeight, maxValue: cfg.MaxValueBytes, defaultTTL: cfg.DefaultTTL}
	if p.maxValue == 0 {
		p.maxValue = DefaultMaxValueBytes
	}
	if cfg.ClockResolution >= 0 {
		p.clock = otter.NewCoarseClock(cmp.Or(cfg.ClockResolution, DefaultClockResolution))
	}
	opts := &otter.Options[string, *bucket]{ExpiryCalculator: p.bucketLifetime(), Clock: p.otterClock()}
	if cfg.MaxWeight > 0 {
		opts.MaximumWeight = cfg.MaxWeight
		opts.Weigher = func(_ string, b *bucket) uint32 { return b.weight() }
	} else {
		opts.MaximumSize = cfg.MaxEntries
		if opts.MaximumSize == 0 {
			opts.MaximumSize = DefaultMaxEntries
		}
	}
	cache, err := otter.New(opts)
	if err == nil {
		p.cache = cache
		p.versions, err = p.newVersionStore(cmp.Or(cfg.MaxEntries, DefaultMaxEntries))
		if err != nil {
			cache.StopAllGoroutines()
		}
	}
	if err != nil {
		if p.clock != nil {
			p.clock.Stop()
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return p, nil
}

// DefaultTTL implements driver.DefaultTTLer.
func (p *Provider) DefaultTTL() time.Duration { return p.defaultTTL }

// Len returns about how many distinct key IDs are stored (entries of
// several namespaces under one ID count once), including expired ones not
// yet swept.
func (p *Provider) Len() int { return p.cache.EstimatedSize() }

// Close drops every entry and stops the store's goroutines (otter's
// clean-up and the clock's).
func (p *Provider) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.cache.InvalidateAll()
	p.cache.StopAllGoroutines()
	p.versions.InvalidateAll()
	p.versions.StopAllGoroutines()
	if p.clock != nil {
		p.clock.Stop()
	}
	p.locks.wakeAll()
	p.index.mu.Lock()
	p.index.spaces = nil
	p.index.mu.Unlock()
	return nil
}

// check is the entry gate of every call: a closed store or a finished
// context fails the call before it touches anything.
func (p *Provider) check(ctx context.Context) error {
	if p.closed.Load() {
		return driver.ErrClosed
	}
	return ctx.Err()
}
