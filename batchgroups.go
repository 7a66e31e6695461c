package valcache

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

// stampBatchLost is stampBatch for a batch over several groups, when the
// provider may lose some groups only (a *driver.GroupsError: on a cluster,
// the groups of a shard that is down). The groups it lost come back with
// their errors, for the caller to fail their entries alone, and the others
// are stamped again without them. Without it one shard down would fail
// every entry of the batch. Each try drops at least one group, so there
// are at most as many tries as groups.
func (c *Cache[K, V]) stampBatchLost(ctx context.Context, o SetOptions, ttl time.Duration, groups []int) (st *Stamp, write bool, lost map[int]error, err error) {
	st, write, err = c.stampBatch(ctx, o, ttl, groups)
	for err != nil && len(groups) > 0 {
		var ge *driver.GroupsError
		switch {
		case errors.As(err, &ge):
		case lost != nil && len(groups) == 1 && errors.Is(err, ErrUnavailable):
			// The last group left could not be reached on its own.
			ge = &driver.GroupsError{Failed: map[int]error{groups[0]: err}}
		default:
			return nil, false, lost, err
		}
		rest := make([]int, 0, len(groups))
		for _, g := range groups {
			if e, ok := ge.Failed[g]; ok {
				if lost == nil {
					lost = map[int]error{}
				}
				lost[g] = e
			} else {
				rest = append(rest, g)
			}
		}
		if len(rest) == len(groups) { // none of the batch's groups: not a partial failure of it
			return nil, false, lost, err
		}
		if groups = rest; len(groups) == 0 {
			return nil, false, lost, nil
		}
		st, write, err = c.stampBatch(ctx, o, ttl, groups)
	}
	return st, write, lost, err
}
