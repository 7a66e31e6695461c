package valcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/valcache/valcache/driver"
)

// ErrEmptyTag is returned for a tag that is the empty string, which stands
// for the namespace itself.
var ErrEmptyTag = errors.New("valcache: empty tag")

// namespaceTag is the version key of the namespace itself: Clear bumps it,
// and every entry is stamped with it.
const namespaceTag = ""

// Stamp is the versions of a namespace and of some tags at one moment.
//
// Take a stamp before reading a value from its source and write the value
// with it (SetOptions.Stamp): if one of the tags is invalidated (or the
// namespace cleared) between the two, the entry is never served, because
// its stamped versions are no longer current. Writing with tags but without
// a stamp takes one at write time, which is right only when the value was
// produced after every invalidation that concerns it.
type Stamp struct {
	namespace string
	provider  driver.Provider
	tags      []string // tags[0] is the namespace's
	// versions are the tags' versions in group, the group of the key the
	// stamp was taken for. A stamp taken with Cache.Stamp, for no key in
	// particular, holds every group's instead, in byGroup.
	group    int
	versions []driver.Version
	byGroup  [][]driver.Version
	cells    []*driver.VersionCell // nil unless the provider keeps cells
	// until is when the version keys may expire; zero means never.
	until time.Time
}

// versionsFor returns the stamp's versions in group g, or nil when it
// has none there.
func (s *Stamp) versionsFor(g int) []driver.Version {
	if s.byGroup != nil {
		if g < 0 || g >= len(s.byGroup) {
			return nil
		}
		return s.byGroup[g]
	}
	if g != s.group {
		return nil
	}
	return s.versions
}

// Tags returns the stamp's tags, without the namespace's own.
func (s *Stamp) Tags() []string {
	if s == nil || len(s.tags) == 0 {
		return nil
	}
	return slices.Clone(s.tags[1:])
}

// Stamp captures the current versions of the namespace and of tags,
// creating missing ones, and keeps them alive for at least the cache's
// default TTL. Where the provider keeps a copy of each version per group of
// entries, the stamp captures every group's, since it may be used to write
// any key.
func (c *Cache[K, V]) Stamp(ctx context.Context, tags ...string) (*Stamp, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if c.versioner == nil {
		return nil, fmt.Errorf("%w: tags need a provider that keeps versions", ErrNotSupported)
	}
	ctx, cancel := within(ctx, c.budgets.Single)
	defer cancel()
	if c.groupCount() == 1 {
		return c.stamp(ctx, tags, c.ttl.def, 0)
	}
	all, err := withNamespaceTag(tags)
	if err != nil {
		return nil, err
	}
	st := c.newStamp(all, c.ttl.def, -1)
	ctx = c.callStart(ctx, OpStamp)
	versions, err := c.versioner.EnsureVersions(ctx, c.everyGroupKeys(all), c.ttl.def)
	c.callDone(ctx, OpStamp, err)
	if err != nil {
		return nil, err
	}
	st.byGroup = make([][]driver.Version, c.groupCount())
	for g := range st.byGroup {
		st.byGroup[g] = versions[g*len(all) : (g+1)*len(all)]
	}
	st.versions = st.byGroup[0]
	return st, nil
}

func (c *Cache[K, V]) newStamp(tags []string, ttl time.Duration, group int) *Stamp {
	st := &Stamp{namespace: c.ns, provider: c.provider, tags: tags, group: group}
	if ttl != NoExpiry {
		st.until = time.Now().Add(ttl)
	}
	return st
}

// stamp captures the versions of the namespace and of tags in group g,
// creating missing ones and keeping them alive for ttl. Where the provider
// follows versions, this costs no call while they are followed and live
// long enough; a version followed an instant before a change elsewhere
// reached this process makes an entry that is never served, never one
// that outlives an invalidation.
func (c *Cache[K, V]) stamp(ctx context.Context, tags []string, ttl time.Duration, g int) (*Stamp, error) {
	all, err := withNamespaceTag(tags)
	if err != nil {
		return nil, err
	}
	keys := c.versionKeys(all, g)
	st := c.newStamp(all, ttl, g)
	ctx = c.callStart(ctx, OpStamp)
	if c.cells != nil {
		st.cells, st.versions, err = c.cells.EnsureCells(ctx, keys, ttl)
	} else {
		st.versions, err = c.versioner.EnsureVersions(ctx, keys, ttl)
	}
	c.callDone(ctx, OpStamp, err)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// exactStamp is stamp with versions read from the store during the call,
// for writes that have no read-back of their own to notice a version
// followed an instant too long (a batch, a compute of an absent key): such
// a write must never land invisible after an invalidation that returned
// before it began.
func (c *Cache[K, V]) exactStamp(ctx context.Context, tags []string, ttl time.Duration, g int) (*Stamp, error) {
	st, err := c.stamp(ctx, tags, ttl, g)
	if err != nil || c.followed == nil || c.cells != nil {
		return st, err
	}
	now, err := c.versioner.Versions(ctx, c.versionKeys(st.tags, g))
	if err != nil {
		return nil, err
	}
	if slices.Equal(now, st.versions) {
		return st, nil
	}
	return c.stamp(ctx, tags, ttl, g) // what was followed has been read anew
}

// withNamespaceTag validates tags and returns them deduplicated, after the
// namespace's own tag.
func withNamespaceTag(tags []string) ([]string, error) {
	all := make([]string, 1, 1+len(tags))
	for _, t := range tags {
		if t == "" {
			return nil, ErrEmptyTag
		}
		if !slices.Contains(all[1:], t) {
			all = append(all, t)
		}
	}
	return all, nil
}

// InvalidateTags makes every entry written with any of tags a miss, at the
// cost of one version bump per tag (one per tag and group of entries, where
// the provider keeps a copy per group), whatever the number of entries.
func (c *Cache[K, V]) InvalidateTags(ctx context.Context, tags ...string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.versioner == nil {
		return fmt.Errorf("%w: tags need a provider that keeps versions", ErrNotSupported)
	}
	for _, t := range tags {
		if t == "" {
			return ErrEmptyTag
		}
	}
	if len(tags) == 0 {
		return nil
	}
	ctx, cancel := within(ctx, c.budgets.Flush)
	defer cancel()
	ctx = c.callStart(ctx, OpInvalidate)
	err := c.versioner.BumpVersions(ctx, c.everyGroupKeys(tags))
	c.callDone(ctx, OpInvalidate, err)
	if err != nil {
		return err
	}
	c.stats.invalidations.Add(1)
	c.stats.invalidatedTags.Add(uint64(len(tags)))
	c.log.Debug("valcache: tags invalidated", slog.String("namespace", c.ns), slog.Any("tags", tags))
	return nil
}

// cellsCurrent reports whether every cell still holds the stamped version.
// Zero is never current: it is what a lost version key's cell holds.
func (s *Stamp) cellsCurrent() bool {
	versions := s.versions[:len(s.cells)]
	for i, cell := range s.cells {
		if v := cell.Load(); v == 0 || v != versions[i] {
			return false
		}
	}
	return true
}

// covers reports whether the stamp's version keys outlive an entry written
// now for ttl.
func (s *Stamp) covers(now time.Time, ttl time.Duration) bool {
	if s.until.IsZero() {
		return true
	}
	return ttl != NoExpiry && !now.Add(ttl).After(s.until)
}

// current reports whether every version of st in group g is still the
// current one. It costs nothing on providers with cells, and one batched
// call otherwise.
func (c *Cache[K, V]) current(ctx context.Context, st *Stamp, g int) (bool, error) {
	if st.cells != nil {
		return st.cellsCurrent(), nil
	}
	versions := st.versionsFor(g)
	if versions == nil {
		return false, nil
	}
	if len(st.tags) > 1 {
		c.stats.tagLookups.Add(1)
	}
	now, err := c.versioner.Versions(ctx, c.versionKeys(st.tags, g))
	if err != nil {
		return false, err
	}
	return !slices.Contains(versions, 0) && slices.Equal(now, versions), nil
}

// stampBatch returns the stamp a batch of entries of groups living ttl is
// written with, or write == false when the caller's stamp is out of date.
// A batch has no per-write read-back to notice a version followed or
// remembered an instant too long, so its stamps are exact.
func (c *Cache[K, V]) stampBatch(ctx context.Context, o SetOptions, ttl time.Duration, groups []int) (*Stamp, bool, error) {
	if c.versioner == nil || c.cells != nil || len(groups) == 0 {
		g := 0
		if len(groups) > 0 {
			g = groups[0]
		}
		s := steps{ctx: ctx} // ctx is bounded by the batch's budget already
		return c.stampForWrite(&s, o, ttl, g)
	}
	tags := o.Tags
	if o.Stamp != nil {
		if err := c.checkCallerStamp(o); err != nil {
			return nil, false, err
		}
		var late bool
		tags, late = stampAndLateTags(o)
		if !late && o.Stamp.covers(time.Now(), ttl) {
			for _, g := range groups {
				if o.Stamp.versionsFor(g) == nil {
					return nil, false, fmt.Errorf("valcache: SetOptions.Stamp was taken for a key of another version group; take it with Cache.Stamp")
				}
			}
			return o.Stamp, true, nil
		}
	}
	if len(groups) == 1 && o.Stamp == nil {
		if len(tags) == 0 {
			st, err := c.refreshNamespaceStamp(ctx, ttl, groups[0], true)
			return st, err == nil, err
		}
		st, err := c.exactStamp(ctx, tags, ttl, groups[0])
		return st, err == nil, err
	}
	fresh, err := c.stampGroups(ctx, tags, ttl, groups)
	if err != nil {
		return nil, false, err
	}
	if o.Stamp != nil {
		for _, g := range groups {
			mine := o.Stamp.versionsFor(g)
			if mine == nil {
				return nil, false, fmt.Errorf("valcache: SetOptions.Stamp was taken for a key of another version group; take it with Cache.Stamp")
			}
			if !slices.Equal(fresh.versionsFor(g)[:len(mine)], mine) {
				return nil, false, nil
			}
		}
	}
	return fresh, true, nil
}

// stampGroups is exactStamp for several groups at once, in one call for
// the versions and one to confirm them.
func (c *Cache[K, V]) stampGroups(ctx context.Context, tags []string, ttl time.Duration, groups []int) (*Stamp, error) {
	all, err := withNamespaceTag(tags)
	if err != nil {
		return nil, err
	}
	st := c.newStamp(all, ttl, -1)
	keys := make([]driver.VersionKey, 0, len(groups)*len(all))
	for _, g := range groups {
		keys = append(keys, c.versionKeys(all, g)...)
	}
	ctx = c.callStart(ctx, OpStamp)
	defer func() { c.callDone(ctx, OpStamp, err) }()
	versions, err := c.versioner.EnsureVersions(ctx, keys, ttl)
	if err != nil {
		return nil, err
	}
	if c.followed != nil {
		var now []driver.Version
		if now, err = c.versioner.Versions(ctx, keys); err != nil {
			return nil, err
		}
		if !slices.Equal(now, versions) {
			// What was followed too long has been forgotten: this reads anew.
			if versions, err = c.versioner.EnsureVersions(ctx, keys, ttl); err != nil {
				return nil, err
			}
		}
	}
	st.byGroup = make([][]driver.Version, c.groupCount())
	for i, g := range groups {
		st.byGroup[g] = versions[i*len(all) : (i+1)*len(all)]
	}
	st.versions = st.byGroup[groups[0]]
	return st, nil
}
