package twolevel

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// Versions are followed in process (versionTable): a version known current
// is answered without a round trip, and one that may have changed is read
// again from L2, which also follows it anew.

// VersionGroups implements driver.VersionGroups as L2 groups its entries.
func (p *Provider) VersionGroups() int { return p.l2.VersionGroups() }

// VersionGroup implements driver.VersionGroups.
func (p *Provider) VersionGroup(key driver.Key) int { return p.l2.VersionGroup(key) }

// Versions implements driver.Versioner.
func (p *Provider) Versions(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	return p.versions(ctx, keys, 0, p.l2x.VersionsTTL)
}

// EnsureVersions implements driver.Versioner. A version known current that
// lives long enough is answered in process; the others are created or
// extended on L2 for twice ttl, so that the next ttl's worth of writes need
// not extend them again: each extension is a change pushed to every
// instance that follows the version.
func (p *Provider) EnsureVersions(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, error) {
	if !driver.ValidTTL(ttl) {
		return nil, driver.ErrInvalidTTL
	}
	keep := ttl
	if ttl != driver.NoExpiry && ttl < time.Duration(1<<62) {
		keep = 2 * ttl
	}
	return p.versions(ctx, keys, ttl, func(ctx context.Context, read []driver.VersionKey) ([]driver.Version, []time.Duration, error) {
		return p.l2x.EnsureVersionsTTL(ctx, read, keep)
	})
}

// versions answers the keys whose followed versions are current and live
// at least need longer, and reads the others with read, following them.
func (p *Provider) versions(ctx context.Context, keys []driver.VersionKey, need time.Duration,
	read func(context.Context, []driver.VersionKey) ([]driver.Version, []time.Duration, error)) ([]driver.Version, error) {
	out, missing, leases := p.vers.cached(keys, need)
	if len(missing) == 0 {
		return out, nil
	}
	var versions []driver.Version
	var ttls []time.Duration
	sub := pick(keys, missing)
	refused, err := p.callVersions(ctx, sub, func() (err error) {
		versions, ttls, err = read(ctx, sub)
		return err
	})
	if refused != nil && p.l2x.Slots() > 1 && !sameGroup(sub) {
		// The groups of open circuits; the others were not asked, and a
		// batch may ask again without these (see driver.GroupsError).
		return nil, &driver.GroupsError{Failed: refused}
	}
	if err != nil {
		return nil, err
	}
	for j, i := range missing {
		out[i] = versions[j]
		p.vers.install(keys[i], leases[j], versions[j], ttls[j])
	}
	return out, nil
}

// BumpVersions implements driver.Versioner. This process's cells drop at
// once; other instances' drop when the server's push reaches them.
func (p *Provider) BumpVersions(ctx context.Context, keys []driver.VersionKey) error {
	refused, err := p.callVersions(ctx, keys, func() error { return p.l2.BumpVersions(ctx, keys) })
	if refused == nil {
		for _, k := range keys {
			p.vers.changed(k)
		}
	}
	return err
}

// GetVersioned implements driver.Versioner from L2.
func (p *Provider) GetVersioned(ctx context.Context, key driver.Key, vkey driver.VersionKey) (b []byte, found bool, version driver.Version, err error) {
	err = p.call(ctx, p.l2x.EntrySlot(key), func() (err error) {
		b, found, version, err = p.l2.GetVersioned(ctx, key, vkey)
		return err
	})
	return b, found, version, err
}

// SetVersioned implements driver.Versioner.
func (p *Provider) SetVersioned(ctx context.Context, key driver.Key, value []byte, ttl time.Duration, vkeys []driver.VersionKey) (versions []driver.Version, err error) {
	err = p.write(ctx, key, func() (err error) {
		versions, err = p.l2.SetVersioned(ctx, key, value, ttl, vkeys)
		return err
	})
	return versions, err
}

func pick(keys []driver.VersionKey, idx []int) []driver.VersionKey {
	out := make([]driver.VersionKey, len(idx))
	for j, i := range idx {
		out[j] = keys[i]
	}
	return out
}

// callVersions runs an L2 call over version keys through the breakers of
// their slots (see callSlots), placing a failure on the slots of the groups
// a *driver.GroupsError names. refused, when the call was refused, maps
// each group of a slot whose circuit is open to the refusal.
func (p *Provider) callVersions(ctx context.Context, keys []driver.VersionKey, fn func() error) (refused map[int]error, err error) {
	slotOf := make(map[int]int, len(keys)) // group -> slot
	var slots []int
	seen := map[int]bool{}
	for _, k := range keys {
		s := p.l2x.VersionSlot(k)
		slotOf[k.Group] = s
		if !seen[s] {
			seen[s] = true
			slots = append(slots, s)
		}
	}
	bySlot, err := p.callSlots(ctx, slots, fn, func(err error) map[int]error {
		var ge *driver.GroupsError
		if !errorsAs(err, &ge) {
			return nil
		}
		placed := map[int]error{}
		for g, e := range ge.Failed {
			if s, ok := slotOf[g]; ok {
				placed[s] = e
			}
		}
		return placed
	})
	if bySlot == nil {
		if isUnavailable(err) && len(slots) == 1 {
			refused = map[int]error{}
			for g := range slotOf {
				refused[g] = err
			}
		}
		return refused, err
	}
	refused = map[int]error{}
	for g, s := range slotOf {
		if e, ok := bySlot[s]; ok {
			refused[g] = e
		}
	}
	return refused, err
}

func sameGroup(keys []driver.VersionKey) bool {
	for _, k := range keys[min(1, len(keys)):] {
		if k.Group != keys[0].Group {
			return false
		}
	}
	return true
}
