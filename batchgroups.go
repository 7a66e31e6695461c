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
// are stamped in a second call, which the provider has just shown it
// answers. Without it one shard down would fail every entry of the batch.
func (c *Cache[K, V]) stampBatchLost(ctx context.Context, o SetOptions, ttl time.Duration, groups []int) (st *Stamp, write bool, lost map[int]error, err error) {
	st, write, err = c.stampBatch(ctx, o, ttl, groups)
	var ge *driver.GroupsError
	if err == nil || len(groups) < 2 || !errors.As(err, &ge) {
		return st, write, nil, err
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
	if lost == nil { // none of the batch's groups: not a partial failure of it
		return nil, false, nil, err
	}
	if len(rest) == 0 {
		return nil, false, lost, nil
	}
	st, write, err = c.stampBatch(ctx, o, ttl, rest)
	return st, write, lost, err
}
