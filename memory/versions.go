package memory

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/valcache/valcache/driver"
)

// Capability checks for versions.
var (
	_ driver.Versioner    = (*Provider)(nil)
	_ driver.VersionCells = (*Provider)(nil)
)

// versionItem is one version key: its cell, shared with every entry stamped
// from it, and when the key expires.
type versionItem struct {
	cell      *driver.VersionCell
	expiresAt int64
}

func randomVersion() driver.Version {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

// newVersionStore keeps version keys apart from entries. Removing a key for
// any reason but replacement zeroes its cell under otter's bucket lock,
// before anyone can create the key again, so entries stamped from the old
// cell can never pass for current.
func (p *Provider) newVersionStore(maxKeys int) (*otter.Cache[driver.VersionKey, *versionItem], error) {
	return otter.New(&otter.Options[driver.VersionKey, *versionItem]{
		MaximumSize: maxKeys,
		Clock:       p.otterClock(),
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[driver.VersionKey, *versionItem]) time.Duration {
			if e.Value.expiresAt == never {
				return forever
			}
			return max(time.Duration(e.Value.expiresAt-p.now()), 1)
		}),
		OnAtomicDeletion: func(e otter.DeletionEvent[driver.VersionKey, *versionItem]) {
			if e.Cause != otter.CauseReplacement {
				e.Value.cell.Store(0)
			}
		},
	})
}

// EnsureCells implements driver.VersionCells.
func (p *Provider) EnsureCells(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]*driver.VersionCell, []driver.Version, error) {
	if err := p.check(ctx); err != nil {
		return nil, nil, err
	}
	if !driver.ValidTTL(ttl) {
		return nil, nil, driver.ErrInvalidTTL
	}
	until := expiryAt(p.now(), ttl)
	cells := make([]*driver.VersionCell, len(keys))
	versions := make([]driver.Version, len(keys))
	for i, k := range keys {
		cells[i], versions[i] = p.ensureCell(k, until)
	}
	return cells, versions, nil
}

// ensureCell returns k's live cell and the version it holds, creating it or
// extending its life to until. The version is read once, and inside otter's
// lock when the key is touched: reading it again later could see the zero a
// removal stores, and a stamp of zero would match the dead cell for ever.
// An entry usually finds the key alive and long-lived, without a lock.
func (p *Provider) ensureCell(k driver.VersionKey, until int64) (*driver.VersionCell, driver.Version) {
	if it, ok := p.versions.GetIfPresent(k); ok && it.expiresAt >= until {
		if v := it.cell.Load(); v != 0 {
			return it.cell, v
		}
	}
	var cell *driver.VersionCell
	var version driver.Version
	p.versions.Compute(k, func(old *versionItem, found bool) (*versionItem, otter.ComputeOp) {
		if found {
			if v := old.cell.Load(); v != 0 {
				cell, version = old.cell, v
				if old.expiresAt >= until {
					return old, otter.CancelOp
				}
				return &versionItem{cell: old.cell, expiresAt: until}, otter.WriteOp
			}
		}
		cell, version = new(driver.VersionCell), randomVersion()
		cell.Store(version)
		return &versionItem{cell: cell, expiresAt: until}, otter.WriteOp
	})
	return cell, version
}

// EnsureVersions implements driver.Versioner.
func (p *Provider) EnsureVersions(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, error) {
	_, versions, err := p.EnsureCells(ctx, keys, ttl)
	return versions, err
}

// Versions implements driver.Versioner.
func (p *Provider) Versions(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	if err := p.check(ctx); err != nil {
		return nil, err
	}
	versions := make([]driver.Version, len(keys))
	for i, k := range keys {
		if it, ok := p.versions.GetIfPresent(k); ok {
			versions[i] = it.cell.Load()
		}
	}
	return versions, nil
}

// BumpVersions implements driver.Versioner. The new version is stored under
// the key's lock, so it cannot land in a cell that is being removed.
func (p *Provider) BumpVersions(ctx context.Context, keys []driver.VersionKey) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	for _, k := range keys {
		p.versions.Compute(k, func(old *versionItem, found bool) (*versionItem, otter.ComputeOp) {
			if found {
				old.cell.Store(randomVersion())
			}
			return old, otter.CancelOp
		})
	}
	return nil
}

// GetVersioned implements driver.Versioner.
func (p *Provider) GetVersioned(ctx context.Context, key driver.Key, vkey driver.VersionKey) ([]byte, bool, driver.Version, error) {
	value, found, err := p.Get(ctx, key)
	if err != nil || !found {
		return nil, false, 0, err
	}
	versions, err := p.Versions(ctx, []driver.VersionKey{vkey})
	if err != nil {
		return nil, false, 0, err
	}
	return value, true, versions[0], nil
}

// SetVersioned implements driver.Versioner.
func (p *Provider) SetVersioned(ctx context.Context, key driver.Key, value []byte, ttl time.Duration, vkeys []driver.VersionKey) ([]driver.Version, error) {
	if err := p.Set(ctx, key, value, ttl); err != nil {
		return nil, err
	}
	return p.Versions(ctx, vkeys)
}
