package fakestore

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// nearCopy is a Store's in-process copy of an entry, for Config.Near.
type nearCopy struct {
	value   any
	expires time.Time // zero: as long as the entry lives without expiry
}

// NearGet implements driver.NearCache: a copy is current while its Store
// is connected, since every change of an entry drops its copies at once.
func (st *Store) NearGet(key driver.Key) (any, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disconnected() {
		return nil, false
	}
	return st.copyOf(key)
}

func (st *Store) copyOf(key driver.Key) (any, bool) {
	c := st.near[key]
	if c == nil {
		return nil, false
	}
	if !c.expires.IsZero() && !time.Now().Before(c.expires) {
		delete(st.near, key)
		return nil, false
	}
	return c.value, true
}

// NearStale implements driver.NearCache: while the Store is cut off, for
// Config.NearStaleIfError after it was.
func (st *Store) NearStale(key driver.Key) (any, bool) {
	bound := st.s.cfg.NearStaleIfError
	if bound <= 0 {
		return nil, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disconnected() && time.Since(st.lostAt) > bound {
		return nil, false
	}
	return st.copyOf(key)
}

// GetForNear implements driver.NearCache.
func (st *Store) GetForNear(ctx context.Context, key driver.Key, vkeys []driver.VersionKey) ([]byte, bool, []driver.Version, driver.NearLease, error) {
	lease := driver.NearLease{Key: key}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpGetForNear, &key, g); err != nil {
		return nil, false, nil, lease, err
	}
	s := st.s
	s.mu.Lock()
	now := time.Now()
	s.sweep(now)
	sl := s.live(key, now)
	if sl == nil || sl.kind != value {
		s.mu.Unlock()
		return nil, false, nil, lease, st.end(ctx, OpGetForNear, &key, g)
	}
	b := clone(sl.value)
	lease.Sent, lease.Token, lease.TTL = now, sl.seq, driver.NoExpiry
	if !sl.expires.IsZero() {
		lease.TTL = sl.expires.Sub(now)
	}
	versions := make([]driver.Version, len(vkeys))
	for i, k := range vkeys {
		versions[i] = s.current(k)
	}
	st.mu.Lock()
	lease.Epoch = st.epoch
	st.mu.Unlock()
	s.mu.Unlock()
	if err := st.end(ctx, OpGetForNear, &key, g); err != nil {
		return nil, false, nil, lease, err
	}
	return b, true, versions, lease, nil
}

// NearKeep implements driver.NearCache: the copy is kept only if the
// entry is still the one read, and the Store has not been cut off since.
func (st *Store) NearKeep(lease driver.NearLease, v any, _ uint32) {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.live(lease.Key, time.Now())
	if sl == nil || sl.kind != value || sl.seq != lease.Token {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.epoch != lease.Epoch || st.disconnected() {
		return
	}
	c := &nearCopy{value: v}
	if lease.TTL != driver.NoExpiry {
		c.expires = lease.Sent.Add(lease.TTL)
	}
	st.near[lease.Key] = c
}

// NearCells implements driver.NearCache: cells follow the versions that
// exist, and not while the Store is cut off.
func (st *Store) NearCells(keys []driver.VersionKey) ([]*driver.VersionCell, bool) {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(time.Now())
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disconnected() {
		return nil, false
	}
	cells := make([]*driver.VersionCell, len(keys))
	for i, k := range keys {
		v := s.versions[k]
		if v == nil {
			return nil, false
		}
		c := st.nearCells[k]
		if c == nil {
			c = new(driver.VersionCell)
			c.Store(v.v)
			st.nearCells[k] = c
		}
		cells[i] = c
	}
	return cells, true
}

// Near reports whether this Store holds a near copy of key.
func (st *Store) Near(key driver.Key) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.copyOf(key)
	return ok
}

// dropNear drops this Store's copy of key, under s.mu.
func (st *Store) dropNear(key driver.Key) {
	st.mu.Lock()
	delete(st.near, key)
	st.mu.Unlock()
}

// followCell sets this Store's cell of k to v, under s.mu.
func (st *Store) followCell(k driver.VersionKey, v driver.Version) {
	st.mu.Lock()
	if c := st.nearCells[k]; c != nil {
		c.Store(v)
	}
	st.mu.Unlock()
}

// forgetCell zeroes and forgets this Store's cell of a lost version, under
// s.mu.
func (st *Store) forgetCell(k driver.VersionKey) {
	st.mu.Lock()
	if c := st.nearCells[k]; c != nil {
		c.Store(0)
		delete(st.nearCells, k)
	}
	st.mu.Unlock()
}
