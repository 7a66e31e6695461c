package fakestore

import (
	"bytes"
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// AcquireLoad implements driver.LoadLocker. A failure mark is taken over
// as an absent key is: it answers the waiters of the load that failed,
// and a new caller tries afresh. A reply lost after the election is sent
// again, as the contract asks, so the caller learns it holds the key.
func (st *Store) AcquireLoad(ctx context.Context, key driver.Key, lease time.Duration, seen []byte) (string, bool, []byte, error) {
	if !driver.ValidTTL(lease) || lease == driver.NoExpiry {
		return "", false, nil, driver.ErrInvalidTTL
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpAcquireLoad, &key, g); err != nil {
		return "", false, nil, err
	}
	token := newToken()
	s := st.s
	s.mu.Lock()
	now := time.Now()
	sl := s.live(key, now)
	var current []byte
	acquired := false
	switch {
	case sl != nil && sl.kind == loadOf:
	case sl != nil && sl.kind == value && (seen == nil || !bytes.Equal(sl.value, seen)):
		current = clone(sl.value)
	default:
		s.entries[key] = &slot{kind: loadOf, token: token, expires: now.Add(lease), seq: s.touch(key)}
		acquired = true
	}
	s.mu.Unlock()
	if err := st.end(ctx, OpAcquireLoad, &key, g); err != nil && !acquired {
		return "", false, nil, err
	}
	if acquired {
		return token, true, nil, nil
	}
	return "", false, current, nil
}

// WaitLoad implements driver.LoadLocker.
func (st *Store) WaitLoad(ctx context.Context, key driver.Key) error {
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpWaitLoad, &key, g); err != nil {
		return err
	}
	s := st.s
	s.mu.Lock()
	sl := s.live(key, time.Now())
	if sl == nil || sl.kind == value {
		s.mu.Unlock()
		return nil
	}
	if sl.kind == failed {
		s.mu.Unlock()
		return &driver.LoadFailedError{Reason: sl.reason}
	}
	changed, until := s.changed, time.Until(sl.expires)
	s.mu.Unlock()
	timer := time.NewTimer(until)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-timer.C:
	}
	s.mu.Lock()
	sl = s.live(key, time.Now())
	s.mu.Unlock()
	if sl != nil && sl.kind == failed {
		return &driver.LoadFailedError{Reason: sl.reason}
	}
	return st.end(ctx, OpWaitLoad, &key, g)
}

// holds reports whether key holds token's placeholder, under s.mu.
func (s *shared) holds(key driver.Key, token string) bool {
	sl := s.live(key, time.Now())
	return sl != nil && sl.kind == loadOf && sl.token == token
}

// SetLoaded implements driver.LoadLocker.
func (st *Store) SetLoaded(ctx context.Context, key driver.Key, token string, v []byte, ttl time.Duration) (bool, error) {
	if err := st.checkWrite(v, ttl); err != nil {
		return false, err
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpSetLoaded, &key, g); err != nil {
		return false, err
	}
	s := st.s
	s.mu.Lock()
	wrote := false
	if s.holds(key, token) {
		s.put(key, v, ttl, time.Now())
		wrote = true
	} else if sl := s.live(key, time.Now()); sl != nil && sl.kind == value && bytes.Equal(sl.value, v) {
		wrote = true // an earlier send of this call, whose reply was lost
	}
	s.mu.Unlock()
	if err := st.end(ctx, OpSetLoaded, &key, g); err != nil {
		return false, err
	}
	return wrote, nil
}

// FailLoad implements driver.LoadLocker.
func (st *Store) FailLoad(ctx context.Context, key driver.Key, token, reason string, hold time.Duration) error {
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpFailLoad, &key, g); err != nil {
		return err
	}
	s := st.s
	s.mu.Lock()
	if s.holds(key, token) {
		now := time.Now()
		s.entries[key] = &slot{kind: failed, reason: reason, expires: now.Add(max(hold, time.Millisecond)), seq: s.touch(key)}
	}
	s.mu.Unlock()
	return st.end(ctx, OpFailLoad, &key, g)
}

// ReleaseLoad implements driver.LoadLocker.
func (st *Store) ReleaseLoad(ctx context.Context, key driver.Key, token string, restore []byte, restoreTTL time.Duration) error {
	if restore != nil && !driver.ValidTTL(restoreTTL) {
		return driver.ErrInvalidTTL
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpReleaseLoad, &key, g); err != nil {
		return err
	}
	s := st.s
	s.mu.Lock()
	if s.holds(key, token) {
		if restore != nil {
			s.put(key, restore, restoreTTL, time.Now())
		} else {
			s.remove(key)
		}
	}
	s.mu.Unlock()
	return st.end(ctx, OpReleaseLoad, &key, g)
}

// AcquireRefresh implements driver.RefreshLocker.
func (st *Store) AcquireRefresh(ctx context.Context, key driver.Key, lease time.Duration) (bool, error) {
	if lease <= 0 {
		return false, driver.ErrInvalidTTL
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpAcquireRefresh, &key, g); err != nil {
		return false, err
	}
	s := st.s
	s.mu.Lock()
	now := time.Now()
	ok := false
	if until, held := s.refresh[key]; !held || !now.Before(until) {
		s.refresh[key] = now.Add(lease)
		ok = true
	}
	s.mu.Unlock()
	if err := st.end(ctx, OpAcquireRefresh, &key, g); err != nil {
		return false, err
	}
	return ok, nil
}

// CompareAndSwap implements driver.Swapper. A load's placeholder (or a
// failure mark) counts as absent, so a compute takes the key over from a
// running load, whose write then fails.
func (st *Store) CompareAndSwap(ctx context.Context, key driver.Key, old, v []byte, ttl time.Duration, keepTTL bool) (bool, error) {
	if v != nil {
		if err := st.checkWrite(v, ttl); err != nil {
			return false, err
		}
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpCompareAndSwap, &key, g); err != nil {
		return false, err
	}
	s := st.s
	s.mu.Lock()
	now := time.Now()
	sl := s.live(key, now)
	var cur []byte
	present := sl != nil && sl.kind == value
	if present {
		cur = sl.value
	}
	swapped := false
	if (old == nil && !present) || (old != nil && present && bytes.Equal(cur, old)) {
		swapped = true
		switch {
		case v == nil:
			s.remove(key)
		case present && keepTTL:
			expires := sl.expires
			s.put(key, v, driver.NoExpiry, now)
			s.entries[key].expires = expires
		default:
			s.put(key, v, ttl, now)
		}
	}
	s.mu.Unlock()
	if err := st.end(ctx, OpCompareAndSwap, &key, g); err != nil {
		return false, err
	}
	return swapped, nil
}
