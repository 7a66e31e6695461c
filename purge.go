package valcache

import (
	"context"
	"fmt"

	"github.com/valcache/valcache/driver"
)

// Purge deletes entries of this namespace that can no longer be served,
// because a tag of theirs was invalidated or the namespace cleared, to give
// their memory back before they expire. It visits about budget entries from
// cursor ("" to begin) and returns the cursor to continue from ("" when the
// namespace has been walked) and how many entries it deleted.
//
// Purging is never needed for correctness: a stale entry is never served.
// It is best effort: an entry rewritten between the check and the delete
// may be deleted too, which costs one reload.
func (c *Cache[K, V]) Purge(ctx context.Context, cursor string, budget int) (next string, deleted int, err error) {
	if c.closed.Load() {
		return "", 0, ErrClosed
	}
	sc, ok := c.provider.(driver.Scanner)
	if !ok || c.versioner == nil {
		return "", 0, fmt.Errorf("%w: purging needs a provider that scans and keeps versions", ErrNotSupported)
	}
	if budget <= 0 {
		return cursor, 0, nil
	}
	ctx, cancel := within(ctx, c.budgets.Flush)
	defer cancel()
	keys, next, err := sc.ScanNamespace(ctx, c.ns, cursor, budget)
	if err != nil {
		return cursor, 0, err
	}
	if len(keys) == 0 {
		return next, 0, nil
	}
	keys = uniqueKeys(keys) // a scan may list a key twice
	stale, err := c.staleAmong(ctx, keys)
	if err != nil {
		return cursor, 0, err
	}
	if len(stale) == 0 {
		return next, 0, nil
	}
	if c.batchDel != nil {
		err = c.batchDel.DeleteMany(ctx, stale)
	} else {
		for _, k := range stale {
			if err = c.provider.Delete(ctx, k); err != nil {
				break
			}
		}
	}
	if err != nil {
		return cursor, 0, err
	}
	if c.writeHooks() != nil {
		ids := make([]string, len(stale))
		for i, k := range stale {
			ids[i] = k.ID
		}
		c.deleted(ctx, ids...)
	}
	return next, len(stale), nil
}

// staleAmong returns the keys whose entries exist but are no longer valid.
func (c *Cache[K, V]) staleAmong(ctx context.Context, keys []driver.Key) ([]driver.Key, error) {
	var stale []driver.Key
	if c.values != nil {
		for _, k := range keys {
			raw, found, err := c.values.GetValue(ctx, k)
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
			e, ok := raw.(*entry[V])
			if !ok {
				continue // another cache's entry type: not ours to judge
			}
			if valid, err := c.entryValid(ctx, e); err != nil {
				return nil, err
			} else if !valid {
				stale = append(stale, k)
			}
		}
		return stale, nil
	}
	found, valid, err := c.readChecked(ctx, keys, false)
	if _, partial := asBatchError(err); err != nil && !partial {
		return nil, err
	}
	for j, d := range found {
		if !valid[j] {
			stale = append(stale, keys[d.i])
		}
	}
	return stale, nil
}

// entryValid reports whether a typed entry's stamp is current.
func (c *Cache[K, V]) entryValid(ctx context.Context, e *entry[V]) (bool, error) {
	if e.stamp == nil {
		return false, nil
	}
	return c.current(ctx, e.stamp, e.stamp.group)
}

func uniqueKeys(keys []driver.Key) []driver.Key {
	seen := make(map[driver.Key]struct{}, len(keys))
	out := keys[:0]
	for _, k := range keys {
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}
