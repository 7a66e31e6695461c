package valcache

import (
	"context"

	"github.com/valcache/valcache/driver"
)

// A provider may keep each version as one copy per group of entries
// (driver.VersionGroups), stored beside the entries of the group, so that
// an entry and what guards it are read together. An entry is stamped with,
// and checked against, the copies of its own group; invalidating bumps the
// copy of every group.

// groupOf is the group of key's entry; 0 when the provider has one copy
// of each version.
func (c *Cache[K, V]) groupOf(dk driver.Key) int {
	if c.groups == nil {
		return 0
	}
	return c.groups.VersionGroup(dk)
}

// groupCount is how many copies each version has.
func (c *Cache[K, V]) groupCount() int { return len(c.nsKeys) }

// nsKey is the namespace's own version key in group g.
func (c *Cache[K, V]) nsKey(g int) []driver.VersionKey { return c.nsKeys[g] }

// versionKeys are tags' version keys in group g.
func (c *Cache[K, V]) versionKeys(tags []string, g int) []driver.VersionKey {
	keys := make([]driver.VersionKey, len(tags))
	for i, t := range tags {
		keys[i] = driver.VersionKey{Namespace: c.ns, Tag: t, Group: g}
	}
	return keys
}

// everyGroupKeys are tags' version keys in every group, group by group:
// what an invalidation bumps.
func (c *Cache[K, V]) everyGroupKeys(tags []string) []driver.VersionKey {
	n := c.groupCount()
	keys := make([]driver.VersionKey, 0, n*len(tags))
	for g := range n {
		for _, t := range tags {
			keys = append(keys, driver.VersionKey{Namespace: c.ns, Tag: t, Group: g})
		}
	}
	return keys
}

// versionsAfterRead returns the current versions of keys for checking an
// entry that was just read from their group: from what the provider
// follows when it can, else from the store.
func (c *Cache[K, V]) versionsAfterRead(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	return c.versionsAfterReadOf(ctx, keys, false)
}

// versionsAfterReadOf is versionsAfterRead, counting a tag lookup when
// tagged is set.
func (c *Cache[K, V]) versionsAfterReadOf(ctx context.Context, keys []driver.VersionKey, tagged bool) ([]driver.Version, error) {
	if tagged {
		c.stats.tagLookups.Add(1)
	}
	if c.followed != nil {
		return c.followed.Followed(ctx, keys)
	}
	return c.versioner.Versions(ctx, keys)
}
