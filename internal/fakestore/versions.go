package fakestore

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// sweep drops the versions that have expired, zeroing their cells, under
// s.mu. It walks the versions only once the earliest expiry has passed.
func (s *shared) sweep(now time.Time) {
	if s.nextExpiry.IsZero() || now.Before(s.nextExpiry) {
		return
	}
	s.nextExpiry = time.Time{}
	for k, v := range s.versions {
		switch {
		case v.expires.IsZero():
		case !now.Before(v.expires):
			s.dropVersion(k, v)
		default:
			s.noteExpiry(v.expires)
		}
	}
}

func (s *shared) noteExpiry(t time.Time) {
	if !t.IsZero() && (s.nextExpiry.IsZero() || t.Before(s.nextExpiry)) {
		s.nextExpiry = t
	}
}

// dropVersion loses a version: its cells read 0 for good.
func (s *shared) dropVersion(k driver.VersionKey, v *version) {
	delete(s.versions, k)
	if v.cell != nil {
		v.cell.Store(0)
	}
	for st := range s.stores {
		st.forgetCell(k)
	}
}

// bump gives an existing version a fresh value, keeping its expiry.
func (s *shared) bump(k driver.VersionKey, v *version) {
	v.v = newVersion()
	if v.cell != nil {
		v.cell.Store(v.v)
	}
	for st := range s.stores {
		st.followCell(k, v.v)
	}
}

// ensure returns k's version, creating it, and makes it live at least ttl
// longer, under s.mu.
func (s *shared) ensure(k driver.VersionKey, ttl time.Duration, now time.Time) *version {
	v := s.versions[k]
	if v == nil {
		v = &version{v: newVersion(), expires: expiry(now, ttl)}
		s.versions[k] = v
	} else if ttl == driver.NoExpiry {
		v.expires = time.Time{}
	} else if until := now.Add(ttl); !v.expires.IsZero() && until.After(v.expires) {
		v.expires = until
	}
	s.noteExpiry(v.expires)
	return v
}

func (s *shared) current(k driver.VersionKey) driver.Version {
	if v := s.versions[k]; v != nil {
		return v.v
	}
	return 0
}

// versionCall runs a call over version keys: the whole call may fail, or
// the groups that faults name, as a *driver.GroupsError. do gets the
// groups that failed before it, for calls that still act on the others.
func (st *Store) versionCall(ctx context.Context, op Op, keys []driver.VersionKey, do func(failed map[int]error)) error {
	if err := st.begin(ctx, op, nil, -1); err != nil {
		return err
	}
	groups := groupsOf(keys)
	failed := st.groupFaults(ctx, op, groups, false)
	st.s.mu.Lock()
	st.s.sweep(time.Now())
	do(failed)
	st.s.mu.Unlock()
	if err := st.end(ctx, op, nil, -1); err != nil {
		return err
	}
	for g, err := range st.groupFaults(ctx, op, groups, true) {
		if failed == nil {
			failed = map[int]error{}
		}
		failed[g] = err
	}
	if failed != nil {
		return &driver.GroupsError{Failed: failed}
	}
	return nil
}

func groupsOf(keys []driver.VersionKey) []int {
	var groups []int
	seen := map[int]bool{}
	for _, k := range keys {
		if !seen[k.Group] {
			seen[k.Group] = true
			groups = append(groups, k.Group)
		}
	}
	return groups
}

// Versions implements driver.Versioner.
func (st *Store) Versions(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	return st.readVersions(ctx, OpVersions, keys)
}

// Followed implements driver.FollowedVersions. The fake follows every
// version exactly, so it is Versions under another name.
func (st *Store) Followed(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	return st.readVersions(ctx, OpFollowed, keys)
}

func (st *Store) readVersions(ctx context.Context, op Op, keys []driver.VersionKey) ([]driver.Version, error) {
	out := make([]driver.Version, len(keys))
	err := st.versionCall(ctx, op, keys, func(map[int]error) {
		for i, k := range keys {
			out[i] = st.s.current(k)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EnsureVersions implements driver.Versioner.
func (st *Store) EnsureVersions(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, error) {
	_, out, err := st.ensureVersions(ctx, OpEnsureVersions, keys, ttl, false)
	return out, err
}

// EnsureCells implements driver.VersionCells.
func (st *Store) EnsureCells(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]*driver.VersionCell, []driver.Version, error) {
	return st.ensureVersions(ctx, OpEnsureCells, keys, ttl, true)
}

func (st *Store) ensureVersions(ctx context.Context, op Op, keys []driver.VersionKey, ttl time.Duration, withCells bool) ([]*driver.VersionCell, []driver.Version, error) {
	if !driver.ValidTTL(ttl) {
		return nil, nil, driver.ErrInvalidTTL
	}
	out := make([]driver.Version, len(keys))
	var cells []*driver.VersionCell
	if withCells {
		cells = make([]*driver.VersionCell, len(keys))
	}
	err := st.versionCall(ctx, op, keys, func(failed map[int]error) {
		if failed != nil {
			return
		}
		now := time.Now()
		for i, k := range keys {
			v := st.s.ensure(k, ttl, now)
			out[i] = v.v
			if withCells {
				if v.cell == nil {
					v.cell = new(driver.VersionCell)
					v.cell.Store(v.v)
				}
				cells[i] = v.cell
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return cells, out, nil
}

// BumpVersions implements driver.Versioner. Groups a fault fails keep
// their versions; the others are bumped.
func (st *Store) BumpVersions(ctx context.Context, keys []driver.VersionKey) error {
	return st.versionCall(ctx, OpBumpVersions, keys, func(failed map[int]error) {
		for _, k := range keys {
			if _, bad := failed[k.Group]; bad {
				continue
			}
			if v := st.s.versions[k]; v != nil {
				st.s.bump(k, v)
			}
		}
	})
}

// GetVersioned implements driver.Versioner.
func (st *Store) GetVersioned(ctx context.Context, key driver.Key, vkey driver.VersionKey) ([]byte, bool, driver.Version, error) {
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpGetVersioned, &key, g); err != nil {
		return nil, false, 0, err
	}
	b, ok := st.read(key)
	st.s.mu.Lock()
	v := st.s.current(vkey)
	st.s.mu.Unlock()
	if err := st.end(ctx, OpGetVersioned, &key, g); err != nil {
		return nil, false, 0, err
	}
	return b, ok, v, nil
}

// SetVersioned implements driver.Versioner.
func (st *Store) SetVersioned(ctx context.Context, key driver.Key, v []byte, ttl time.Duration, vkeys []driver.VersionKey) ([]driver.Version, error) {
	if err := st.checkWrite(v, ttl); err != nil {
		return nil, err
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpSetVersioned, &key, g); err != nil {
		return nil, err
	}
	out := make([]driver.Version, len(vkeys))
	s := st.s
	s.mu.Lock()
	now := time.Now()
	s.sweep(now)
	s.put(key, v, ttl, now)
	for i, k := range vkeys {
		out[i] = s.current(k)
	}
	s.mu.Unlock()
	if err := st.end(ctx, OpSetVersioned, &key, g); err != nil {
		return nil, err
	}
	return out, nil
}
