package twolevel

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// L1 holds the facade's typed entries, each tagged with the low 32 bits of
// the tracking epoch it was kept in (a copy lives minutes at most, far less
// than 2^32 losses of tracking).

func epochTag(e uint64) uint32 { return uint32(e) }

// NearGet implements driver.NearCache.
func (p *Provider) NearGet(key driver.Key) (any, bool) {
	v, tag, ok := p.l1x.GetValueTagged(key)
	if !ok || tag != epochTag(p.track.epoch.Load()) {
		return nil, false
	}
	return v, true
}

// NearStale implements driver.NearCache: a copy of the current epoch, or
// of one that ended by a loss of tracking less than StaleIfError ago.
func (p *Provider) NearStale(key driver.Key) (any, bool) {
	if p.cfg.StaleIfError <= 0 {
		return nil, false
	}
	v, tag, ok := p.l1x.GetValueTagged(key)
	if !ok {
		return nil, false
	}
	if cur := p.track.epoch.Load(); tag != epochTag(cur) {
		lost, seq, ok := p.track.lostAt(p.track.fullEpoch(tag, cur))
		if !ok || time.Since(lost) > p.cfg.StaleIfError || p.breakers.healed(p.l2x.EntrySlot(key), seq) {
			return nil, false
		}
	}
	return v, true
}

// GetForNear implements driver.NearCache: one pipeline reads the entry, its
// remaining lifetime and the versions; the versions read are followed.
func (p *Provider) GetForNear(ctx context.Context, key driver.Key, vkeys []driver.VersionKey) ([]byte, bool, []driver.Version, driver.NearLease, error) {
	lease := p.track.lease(key)
	vleases := p.vers.leases(vkeys)
	var (
		b        []byte
		found    bool
		versions []driver.Version
		ttl      time.Duration
		vttls    []time.Duration
	)
	err := p.call(ctx, p.l2x.EntrySlot(key), func() (err error) {
		b, found, versions, ttl, vttls, err = p.l2x.GetVersionedTTL(ctx, key, vkeys)
		return err
	})
	if err != nil || !found {
		return nil, false, nil, lease, err
	}
	for i, k := range vkeys {
		p.vers.install(k, vleases[i], versions[i], vttls[i])
	}
	lease.TTL = ttl
	return b, true, versions, lease, nil
}

// NearKeep implements driver.NearCache.
func (p *Provider) NearKeep(lease driver.NearLease, value any, weight uint32) {
	ttl := lease.TTL
	if ttl != driver.NoExpiry {
		ttl -= time.Since(lease.Sent) // the entry's clock ran from the read
	}
	if !p.track.valid(lease) || (ttl <= 0 && ttl != driver.NoExpiry) {
		return
	}
	if err := p.l1x.SetValueTagged(context.Background(), lease.Key, value, weight, p.l1TTL(ttl), epochTag(lease.Epoch)); err != nil {
		return
	}
	if !p.track.valid(lease) {
		_ = p.l1.Delete(context.Background(), lease.Key)
	}
}

// NearCells implements driver.NearCache.
func (p *Provider) NearCells(keys []driver.VersionKey) ([]*driver.VersionCell, bool) {
	return p.vers.cells(keys)
}
