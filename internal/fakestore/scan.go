package fakestore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/valcache/valcache/driver"
)

// ScanNamespace implements driver.Scanner, in the order of IDs: the
// cursor is "@" and the last ID returned, so that "" only ever begins.
func (st *Store) ScanNamespace(ctx context.Context, namespace, cursor string, count int) ([]driver.Key, string, error) {
	if err := st.begin(ctx, OpScan, nil, -1); err != nil {
		return nil, "", err
	}
	count = max(count, 1)
	after, resume := strings.CutPrefix(cursor, "@")
	s := st.s
	s.mu.Lock()
	now := time.Now()
	var ids []string
	for k, sl := range s.entries {
		if k.Namespace == namespace && (!resume || k.ID > after) && sl.kind == value && sl.live(now) {
			ids = append(ids, k.ID)
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	next := ""
	if len(ids) > count {
		ids = ids[:count]
		next = "@" + ids[count-1]
	}
	keys := make([]driver.Key, len(ids))
	for i, id := range ids {
		keys[i] = driver.Key{Namespace: namespace, ID: id}
	}
	if err := st.end(ctx, OpScan, nil, -1); err != nil {
		return nil, "", err
	}
	return keys, next, nil
}
