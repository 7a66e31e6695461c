package fakestore

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
)

// Get implements driver.Provider. A load's placeholder or failure mark
// reads as a miss.
func (st *Store) Get(ctx context.Context, key driver.Key) ([]byte, bool, error) {
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpGet, &key, g); err != nil {
		return nil, false, err
	}
	b, ok := st.read(key)
	if err := st.end(ctx, OpGet, &key, g); err != nil {
		return nil, false, err
	}
	return b, ok, nil
}

// read returns a copy of key's value.
func (st *Store) read(key driver.Key) ([]byte, bool) {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(time.Now())
	sl := s.live(key, time.Now())
	if sl == nil || sl.kind != value {
		return nil, false
	}
	return append([]byte{}, sl.value...), true
}

// Set implements driver.Provider.
func (st *Store) Set(ctx context.Context, key driver.Key, v []byte, ttl time.Duration) error {
	if err := st.checkWrite(v, ttl); err != nil {
		return err
	}
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpSet, &key, g); err != nil {
		return err
	}
	st.s.mu.Lock()
	st.s.put(key, v, ttl, time.Now())
	st.s.mu.Unlock()
	return st.end(ctx, OpSet, &key, g)
}

func (st *Store) checkWrite(v []byte, ttl time.Duration) error {
	if !driver.ValidTTL(ttl) {
		return driver.ErrInvalidTTL
	}
	return st.checkValue(v)
}

// Delete implements driver.Provider.
func (st *Store) Delete(ctx context.Context, key driver.Key) error {
	g := st.VersionGroup(key)
	if err := st.begin(ctx, OpDelete, &key, g); err != nil {
		return err
	}
	st.s.mu.Lock()
	st.s.remove(key)
	st.s.mu.Unlock()
	return st.end(ctx, OpDelete, &key, g)
}

// Clear implements driver.Provider: the namespace's entries and versions
// go.
func (st *Store) Clear(ctx context.Context, namespace string) error {
	if err := st.begin(ctx, OpClear, nil, -1); err != nil {
		return err
	}
	s := st.s
	s.mu.Lock()
	for k := range s.entries {
		if k.Namespace == namespace {
			s.remove(k)
		}
	}
	for k, v := range s.versions {
		if k.Namespace == namespace {
			s.dropVersion(k, v)
		}
	}
	s.mu.Unlock()
	return st.end(ctx, OpClear, nil, -1)
}

// batch runs a call over n keys: the whole call may fail, and so may each
// entry on its own (faults of a key or group), before or after do.
func (st *Store) batch(ctx context.Context, op Op, n int, keyAt func(int) driver.Key, do func(i int) error) error {
	if err := st.begin(ctx, op, nil, -1); err != nil {
		return err
	}
	failed := map[int]error{}
	for i := range n {
		k := keyAt(i)
		if err := st.fire(ctx, op, &k, st.VersionGroup(k), false, item); err != nil {
			failed[i] = err
			continue
		}
		if err := do(i); err != nil {
			failed[i] = err
			continue
		}
		if err := st.fire(ctx, op, &k, st.VersionGroup(k), true, item); err != nil {
			failed[i] = err
		}
	}
	if err := st.end(ctx, op, nil, -1); err != nil {
		return err
	}
	if len(failed) > 0 {
		return &driver.BatchError{Failed: failed}
	}
	return nil
}

// GetMany implements driver.BatchGetter.
func (st *Store) GetMany(ctx context.Context, keys []driver.Key) ([][]byte, error) {
	out := make([][]byte, len(keys))
	err := st.batch(ctx, OpGetMany, len(keys), func(i int) driver.Key { return keys[i] }, func(i int) error {
		if b, ok := st.read(keys[i]); ok {
			out[i] = b
		}
		return nil
	})
	if _, partial := err.(*driver.BatchError); err != nil && !partial {
		return nil, err
	}
	if err != nil {
		for i := range err.(*driver.BatchError).Failed {
			out[i] = nil
		}
	}
	return out, err
}

// SetMany implements driver.BatchSetter.
func (st *Store) SetMany(ctx context.Context, items []driver.Item) error {
	return st.batch(ctx, OpSetMany, len(items), func(i int) driver.Key { return items[i].Key }, func(i int) error {
		it := items[i]
		if err := st.checkWrite(it.Value, it.TTL); err != nil {
			return err
		}
		st.s.mu.Lock()
		st.s.put(it.Key, it.Value, it.TTL, time.Now())
		st.s.mu.Unlock()
		return nil
	})
}

// DeleteMany implements driver.BatchDeleter.
func (st *Store) DeleteMany(ctx context.Context, keys []driver.Key) error {
	return st.batch(ctx, OpDeleteMany, len(keys), func(i int) driver.Key { return keys[i] }, func(i int) error {
		st.s.mu.Lock()
		st.s.remove(keys[i])
		st.s.mu.Unlock()
		return nil
	})
}
