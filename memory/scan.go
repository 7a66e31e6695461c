package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/valcache/valcache/driver"
)

var _ driver.Scanner = (*Provider)(nil)

// ScanNamespace implements driver.Scanner in key order: a page is the count
// smallest IDs after the cursor, which is "k" and the last ID returned. otter's
// own iteration order shifts as entries come and go, so resuming by position
// would skip keys; resuming by ID cannot. Each page walks the whole store,
// which suits the occasional purge it serves.
func (p *Provider) ScanNamespace(ctx context.Context, namespace, cursor string, count int) ([]driver.Key, string, error) {
	if err := p.check(ctx); err != nil {
		return nil, "", err
	}
	after, started := strings.CutPrefix(cursor, "k")
	if cursor != "" && !started {
		return nil, "", fmt.Errorf("memory: bad scan cursor %q", cursor)
	}
	now := p.now()
	var ids []string
	for id, b := range p.cache.All() {
		if (!started || id > after) && b.find(namespace, now) != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	next := ""
	if count = max(count, 1); len(ids) > count {
		ids = ids[:count]
		next = "k" + ids[count-1]
	}
	keys := make([]driver.Key, len(ids))
	for i, id := range ids {
		keys[i] = driver.Key{Namespace: namespace, ID: id}
	}
	return keys, next, nil
}
