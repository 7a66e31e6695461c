package fakestore

import (
	"slices"
	"time"

	"github.com/valcache/valcache/driver"
)

// What tests look at directly, bypassing faults and counts.

// Raw returns a copy of the bytes stored under key.
func (st *Store) Raw(key driver.Key) ([]byte, bool) {
	return st.read(key)
}

// Loading reports whether a load's placeholder holds key.
func (st *Store) Loading(key driver.Key) bool {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.live(key, time.Now())
	return sl != nil && sl.kind == loadOf
}

// IDs returns the sorted IDs of the values stored in namespace.
func (st *Store) IDs(namespace string) []string {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var ids []string
	for k, sl := range s.entries {
		if k.Namespace == namespace && sl.kind == value && sl.live(now) {
			ids = append(ids, k.ID)
		}
	}
	slices.Sort(ids)
	return ids
}
