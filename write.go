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

// SetOptions are the optional parts of a write.
type SetOptions struct {
	// TTL of the entry: zero means the cache's default, NoExpiry none.
	TTL time.Duration

	// Tags to invalidate the entry by. Their versions are captured when the
	// write is made; to capture them before the value is produced, use Stamp.
	Tags []string

	// Stamp, taken with Cache.Stamp before the value was read from its
	// source, names the entry's tags and their versions at that moment. If
	// any was invalidated since, the write is dropped. With Tags too, the
	// entry carries both: the stamp's tags with the stamp's versions, and
	// the Tags the stamp lacks with their versions at write time (tags
	// learned while the value was produced).
	Stamp *Stamp
}

// Set stores value under key with the cache's default TTL.
//
// What Set keeps of value is the same on every provider. A byte slice
// ([]byte, or a named type such as json.RawMessage) is copied, so the caller
// may reuse its buffer at once, and one that Get returns is the caller's to
// change. A value type with a method Clone() V is
// cloned when written and when read on providers that keep Go values
// (memory, a two-level provider's in-process copies), as providers that
// store bytes copy it by encoding it. Other values (a struct holding a
// slice, a map, a pointer) are shared on those providers between the writer
// and every reader: change them only through a new Set.
func (c *Cache[K, V]) Set(ctx context.Context, key K, value V) error {
	return c.SetWith(ctx, key, value, SetOptions{})
}

// SetWith stores value under key with the options given.
func (c *Cache[K, V]) SetWith(ctx context.Context, key K, value V, o SetOptions) error {
	dk, err := c.driverKey(key)
	if err != nil {
		return err
	}
	c.touch(key)
	ttl, err := c.ttl.resolve(o.TTL)
	if err != nil {
		return err
	}
	m, ttl := c.writeMeta(ttl)
	g := c.groupOf(dk)
	s := newSteps(ctx, c.budgets.Single)
	defer s.done()
	st, write, err := c.stampForWrite(&s, o, ttl, g)
	if err != nil || !write {
		return err
	}
	if c.values != nil {
		err = c.values.SetValue(ctx, dk, newEntry(c.own(value), st, m), c.weigh(key, value), ttl)
	} else {
		sctx := c.callStart(s.single(), OpSet)
		err = c.setBytes(sctx, &s, dk, g, value, o, st, m, ttl)
		c.callDone(sctx, OpSet, err)
	}
	if err == nil {
		c.stored(ctx, dk.ID, value, ttl)
	}
	return err
}

// setBytes is SetWith's write through the byte path, on ctx; g is dk's
// version group, and s hands out the contexts of the steps after it.
func (c *Cache[K, V]) setBytes(ctx context.Context, s *steps, dk driver.Key, g int, value V, o SetOptions, st *Stamp, m meta, ttl time.Duration) error {
	buf := c.bufs.get()
	defer c.bufs.put(buf)
	var err error
	if buf.b, err = c.appendEntry(buf.b[:0], dk, value, st, m); err != nil {
		return err
	}
	if c.versioner == nil {
		return c.provider.Set(ctx, dk, buf.b, ttl)
	}
	// The versions stamped are read back with the write (where the provider
	// follows them, that costs nothing): if the stamp used was out of date
	// (the namespace was cleared, or a tag invalidated, elsewhere since it
	// was remembered or followed), the entry would never be served, so it is
	// written again with a fresh stamp. A caller's own stamp is kept as it
	// is: it says what the value was read under.
	vkeys := c.nsKey(g)
	if o.Stamp == nil && len(o.Tags) > 0 {
		vkeys = c.versionKeys(st.tags, g)
	}
	now, err := c.versioner.SetVersioned(ctx, dk, buf.b, ttl, vkeys)
	if err != nil || o.Stamp != nil || slices.Equal(now, st.versionsFor(g)[:len(now)]) {
		return err
	}
	if len(o.Tags) > 0 {
		st, err = c.exactStamp(s.bounded(), o.Tags, ttl, g)
	} else {
		c.nsStamp.forget(st)
		st, err = c.namespaceStamp(s.bounded(), ttl, g)
	}
	if err != nil {
		return err
	}
	if buf.b, err = c.appendEntry(buf.b[:0], dk, value, st, m); err != nil {
		return err
	}
	return c.provider.Set(s.bounded(), dk, buf.b, ttl)
}

// stampForWrite returns the stamp an entry of group g living ttl is
// written with, or write == false when the caller's stamp is already out of
// date (the write would never be served, so it is dropped).
func (c *Cache[K, V]) stampForWrite(s *steps, o SetOptions, ttl time.Duration, g int) (st *Stamp, write bool, err error) {
	if c.versioner == nil {
		if len(o.Tags) > 0 || o.Stamp != nil {
			return nil, false, fmt.Errorf("%w: tags need a provider that keeps versions", ErrNotSupported)
		}
		return nil, true, nil
	}
	if o.Stamp == nil && len(o.Tags) == 0 {
		if st = c.rememberedStamp(ttl, g); st != nil {
			return st, true, nil
		}
		st, err = c.refreshNamespaceStamp(s.bounded(), ttl, g, false)
		return st, err == nil, err
	}
	if o.Stamp == nil {
		st, err = c.stamp(s.bounded(), o.Tags, ttl, g)
		return st, err == nil, err
	}
	if err := c.checkCallerStamp(o); err != nil {
		return nil, false, err
	}
	mine := o.Stamp.versionsFor(g)
	if mine == nil {
		return nil, false, fmt.Errorf("valcache: SetOptions.Stamp was taken for a key of another version group; take it with Cache.Stamp")
	}
	tags, late := stampAndLateTags(o)
	if !late && o.Stamp.covers(time.Now(), ttl) {
		return o.Stamp, true, nil
	}
	// The version keys must outlive this entry: extend them, and see
	// whether anything was invalidated since the stamp was taken. Late
	// tags come after the stamp's, with the versions they have now.
	fresh, err := c.stamp(s.bounded(), tags, ttl, g)
	if err != nil {
		return nil, false, err
	}
	if !slices.Equal(fresh.versions[:len(mine)], mine) {
		return nil, false, nil
	}
	return fresh, true, nil
}

// stampAndLateTags returns the tags a write with o.Stamp carries, the
// stamp's first, and whether o.Tags adds some the stamp lacks.
func stampAndLateTags(o SetOptions) ([]string, bool) {
	tags := o.Stamp.tags[1:]
	late := false
	for _, t := range o.Tags {
		if !slices.Contains(o.Stamp.tags, t) || t == "" {
			if !late {
				tags = slices.Clone(tags)
				late = true
			}
			tags = append(tags, t) // an empty tag is refused by the stamp
		}
	}
	return tags, late
}

// checkCallerStamp validates a stamp passed in SetOptions.
func (c *Cache[K, V]) checkCallerStamp(o SetOptions) error {
	if len(o.Stamp.tags) == 0 {
		return fmt.Errorf("valcache: SetOptions.Stamp is not a stamp from Cache.Stamp")
	}
	if o.Stamp.namespace != c.ns || o.Stamp.provider != c.provider {
		return fmt.Errorf("valcache: SetOptions.Stamp was taken by a cache of namespace %q or of another provider; take it from this cache", o.Stamp.namespace)
	}
	return nil
}

// SetMany stores every entry of values with the cache's default TTL, as
// SetManyWith does.
func (c *Cache[K, V]) SetMany(ctx context.Context, values map[K]V) error {
	return c.SetManyWith(ctx, values, SetOptions{})
}

// SetManyWith stores every entry of values with the options given: one
// stamp, so one set of tags, serves the whole batch. Every key is encoded
// before anything is written: if the KeyCodec refuses one, nothing is
// written, and the *KeyedBatchError[K] names every key (the refused ones
// with their own error). Otherwise entries that failed are named by a
// *KeyedBatchError[K] and the others are written. Write hooks hear of
// exactly the entries written.
func (c *Cache[K, V]) SetManyWith(ctx context.Context, values map[K]V, o SetOptions) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if len(values) == 0 {
		return nil
	}
	ctx, cancel := within(ctx, c.budgets.Bulk)
	defer cancel()
	ttl := o.TTL
	longest, err := c.ttl.resolveLongest(ttl)
	if err != nil {
		return err
	}
	if longest != NoExpiry && c.keepsTimes() {
		longest = addTTL(longest, c.staleWindow())
	}
	// Every key is encoded before anything is written, so a key its codec
	// refuses fails the whole batch and writes nothing.
	dks := make(map[K]driver.Key, len(values))
	var groups []int
	seen := make([]bool, c.groupCount())
	var refused map[K]error
	for k := range values {
		dk, err := c.driverKey(k)
		if errors.Is(err, ErrClosed) {
			return err
		}
		if err != nil {
			if refused == nil {
				refused = map[K]error{}
			}
			refused[k] = err
			continue
		}
		dks[k] = dk
		if g := c.groupOf(dk); !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	if refused != nil {
		return refusedBatch(values, refused)
	}
	st, write, lost, err := c.stampBatchLost(ctx, o, longest, groups)
	if err != nil || (!write && lost == nil) {
		return err
	}
	keys := make([]K, 0, len(values))
	items := make([]driver.Item, 0, len(values))
	failed := map[K]error{}
	for k, dk := range dks {
		if e, ok := lost[c.groupOf(dk)]; ok {
			failed[k] = e // its group's versions could not be read: not written
		}
	}
	if !write {
		return batchErr(failed)
	}
	hooks := c.writeHooks()
	var written []StoredEntry[V] // for the hooks, when there are some
	if hooks != nil {
		written = make([]StoredEntry[V], 0, len(values))
	}
	for k, v := range values {
		if _, ok := failed[k]; ok {
			continue
		}
		dk := dks[k]
		t, _ := c.ttl.resolve(ttl)
		m, t := c.writeMeta(t)
		if c.values != nil {
			if err := c.values.SetValue(ctx, dk, newEntry(c.own(v), st, m), c.weigh(k, v), t); err != nil {
				failed[k] = err
			} else if hooks != nil {
				written = append(written, StoredEntry[V]{ID: dk.ID, Value: v, TTL: t})
			}
			continue
		}
		// Bulk values are not pooled: the whole batch is alive at once.
		b, err := c.appendEntry(nil, dk, v, st, m)
		if err != nil {
			failed[k] = err
			continue
		}
		keys = append(keys, k)
		items = append(items, driver.Item{Key: dk, Value: b, TTL: t})
	}
	if len(items) > 0 {
		ctx := c.callStart(ctx, OpSetMany)
		err := c.setItems(ctx, items)
		c.callDone(ctx, OpSetMany, err)
		if _, partial := asBatchError(err); err != nil && !partial {
			return err
		}
		var itemErrs map[int]error
		if be, ok := asBatchError(err); ok {
			itemErrs = be.Failed
		}
		for i, k := range keys {
			if e, bad := itemErrs[i]; bad {
				failed[k] = e
			} else if hooks != nil {
				written = append(written, StoredEntry[V]{ID: items[i].Key.ID, Value: values[k], TTL: items[i].TTL})
			}
		}
	}
	c.storedMany(ctx, hooks, written)
	return batchErr(failed)
}

// errNotWritten is the failure of the keys of a batch that was not written
// because another of its keys was refused.
var errNotWritten = errors.New("valcache: not written: another key of the batch was refused")

// refusedBatch is the error of a batch some of whose keys were refused
// before anything was written: every key failed, the refused ones with
// their own error.
func refusedBatch[K comparable, V any](values map[K]V, refused map[K]error) error {
	failed := make(map[K]error, len(values))
	for k := range values {
		if err, ok := refused[k]; ok {
			failed[k] = err
		} else {
			failed[k] = errNotWritten
		}
	}
	return batchErr(failed)
}

func (c *Cache[K, V]) setItems(ctx context.Context, items []driver.Item) error {
	if c.batchSet != nil {
		return c.batchSet.SetMany(ctx, items)
	}
	failed := map[int]error{}
	for i, it := range items {
		if err := c.provider.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			failed[i] = err
		}
	}
	if len(failed) > 0 {
		return &driver.BatchError{Failed: failed}
	}
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func (c *Cache[K, V]) Delete(ctx context.Context, key K) error {
	dk, err := c.driverKey(key)
	if err != nil {
		return err
	}
	c.touch(key)
	ctx = c.callStart(ctx, OpDelete)
	err = c.provider.Delete(ctx, dk)
	c.callDone(ctx, OpDelete, err)
	if err == nil {
		c.deleted(ctx, dk.ID)
	}
	return err
}

// DeleteMany removes keys. Keys that could not be deleted are named by a
// *KeyedBatchError[K].
func (c *Cache[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	dks, err := c.driverKeys(keys)
	if err != nil {
		return err
	}
	ctx, cancel := within(ctx, c.budgets.Bulk)
	defer cancel()
	ctx = c.callStart(ctx, OpDeleteMany)
	if c.batchDel != nil {
		err := c.batchDel.DeleteMany(ctx, dks)
		c.callDone(ctx, OpDeleteMany, err)
		if be, partial := asBatchError(err); err == nil || partial {
			var bad map[int]error
			if partial {
				bad = be.Failed
			}
			c.deletedAmong(ctx, dks, bad)
		}
		return keyBatchError(keys, err)
	}
	failed := map[K]error{}
	errs := map[int]error{}
	for i, dk := range dks {
		if err := c.provider.Delete(ctx, dk); err != nil {
			failed[keys[i]] = err
			errs[i] = err
		}
	}
	err = batchErr(failed)
	c.callDone(ctx, OpDeleteMany, err)
	c.deletedAmong(ctx, dks, errs)
	return err
}

// deletedAmong reports to the hooks the keys a bulk delete removed: all of
// them but those failed names, by index.
func (c *Cache[K, V]) deletedAmong(ctx context.Context, dks []driver.Key, failed map[int]error) {
	if c.writeHooks() == nil {
		return
	}
	ids := make([]string, 0, len(dks))
	for i, dk := range dks {
		if _, bad := failed[i]; !bad {
			ids = append(ids, dk.ID)
		}
	}
	c.deleted(ctx, ids...)
}

// Clear removes every entry of this cache's namespace, and nothing of any
// other namespace. On a provider that keeps versions it is one version bump,
// whatever the number of entries: the entries stop being served at once and
// their memory is freed as they expire. Otherwise the provider deletes them.
func (c *Cache[K, V]) Clear(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := within(ctx, c.budgets.Flush)
	defer cancel()
	ctx = c.callStart(ctx, OpClear)
	var err error
	if c.versioner != nil {
		c.nsStamp.forgetAll()
		err = c.versioner.BumpVersions(ctx, c.everyGroupKeys([]string{namespaceTag}))
	} else {
		err = c.provider.Clear(ctx, c.ns)
	}
	c.callDone(ctx, OpClear, err)
	if err != nil {
		return err
	}
	c.stats.clears.Add(1)
	c.log.Debug("valcache: namespace cleared", slog.String("namespace", c.ns))
	return nil
}

// touch tells this cache's running loads of key that they are out of date.
func (c *Cache[K, V]) touch(key K) {
	c.flights.Touch(key)
	c.refreshes.Touch(key)
}
