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
	versions  []driver.Version
	cells     []*driver.VersionCell // nil unless the provider keeps cells
	// until is when the version keys may expire; zero means never.
	until time.Time
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
// default TTL.
func (c *Cache[K, V]) Stamp(ctx context.Context, tags ...string) (*Stamp, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if c.versioner == nil {
		return nil, fmt.Errorf("%w: tags need a provider that keeps versions", ErrNotSupported)
	}
	return c.stamp(ctx, tags, c.ttl.def)
}

func (c *Cache[K, V]) stamp(ctx context.Context, tags []string, ttl time.Duration) (*Stamp, error) {
	all, err := withNamespaceTag(tags)
	if err != nil {
		return nil, err
	}
	keys := c.versionKeys(all)
	st := &Stamp{namespace: c.ns, provider: c.provider, tags: all}
	if ttl != NoExpiry {
		st.until = time.Now().Add(ttl)
	}
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

func (c *Cache[K, V]) versionKeys(tags []string) []driver.VersionKey {
	keys := make([]driver.VersionKey, len(tags))
	for i, t := range tags {
		keys[i] = driver.VersionKey{Namespace: c.ns, Tag: t}
	}
	return keys
}

// InvalidateTags makes every entry written with any of tags a miss, at the
// cost of one version bump per tag, whatever the number of entries.
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
	ctx = c.callStart(ctx, OpInvalidate)
	err := c.versioner.BumpVersions(ctx, c.versionKeys(tags))
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

// current reports whether every version of st is still the current one.
// It costs nothing on providers with cells, and one batched call otherwise.
func (c *Cache[K, V]) current(ctx context.Context, st *Stamp) (bool, error) {
	if st.cells != nil {
		return st.cellsCurrent(), nil
	}
	if len(st.tags) > 1 {
		c.stats.tagLookups.Add(1)
	}
	now, err := c.versioner.Versions(ctx, c.versionKeys(st.tags))
	if err != nil {
		return false, err
	}
	return !slices.Contains(st.versions, 0) && slices.Equal(now, st.versions), nil
}
