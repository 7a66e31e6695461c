package valcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/transform"
)

// GetIfPresent returns the value stored under key. A miss is (zero, false,
// nil); an error means the provider could not answer and says nothing about
// whether the key is present. An entry whose tags were invalidated, or whose
// namespace was cleared, after it was stamped is a miss. A stored value that
// cannot be decoded is a miss, counted in Stats().DecodeErrors and logged.
func (c *Cache[K, V]) GetIfPresent(ctx context.Context, key K) (V, bool, error) {
	var zero V
	dk, err := c.driverKey(key)
	if err != nil {
		return zero, false, err
	}
	if c.values != nil {
		raw, found, err := c.values.GetValue(ctx, dk)
		if err != nil || !found {
			if err == nil {
				c.stats.misses.Add(1)
			}
			return zero, false, err
		}
		if e, ok := c.servable(raw); ok {
			c.stats.hits.Add(1)
			return c.own(e.value), true, nil
		}
	} else if c.near != nil {
		if e, ok := c.nearHit(dk); ok {
			c.stats.l1Hits.Add(1)
			return c.own(e.value), true, nil
		}
	}
	f, err := c.lookup(ctx, budgetEnd(c.budgets.Single), key, dk)
	if err != nil {
		return zero, false, err
	}
	c.count(f)
	if f.state != fresh {
		return zero, false, nil
	}
	return f.value, true, nil
}

// count counts a read that a lookup answered (or could not answer).
func (c *Cache[K, V]) count(f found[V]) {
	switch {
	case f.state != fresh && f.state != negative:
		c.stats.misses.Add(1)
	case f.staleCopy:
		c.stats.staleSIE.Add(1)
	default:
		c.stats.hit(f.level)
	}
}

// servable returns raw as this cache's typed entry when it can be served as
// it is: no metadata, and no versions or only current ones (checked with
// cells). It is the in-process hit, kept small so the value is copied once.
func (c *Cache[K, V]) servable(raw any) (*entry[V], bool) {
	e, ok := raw.(*entry[V])
	if !ok || e.meta != nil {
		return nil, false
	}
	st := e.stamp
	return e, c.versioner == nil || (st != nil && st.cells != nil && st.cellsCurrent())
}

// checkEntry returns a typed entry's value if its stamp is still current.
// With cells, the usual case in process, that is an atomic load per stamped
// version and no call.
func (c *Cache[K, V]) checkEntry(ctx context.Context, e *entry[V]) (V, bool, error) {
	var zero V
	st := e.stamp
	switch {
	case c.versioner == nil:
		return e.value, true, nil
	case st == nil:
		return zero, false, nil
	case st.cells != nil:
		if st.cellsCurrent() {
			return e.value, true, nil
		}
		return zero, false, nil
	}
	if ok, err := c.current(ctx, st, st.group); err != nil || !ok {
		return zero, false, err
	}
	return e.value, true, nil
}

// GetManyIfPresent returns the values present among keys; it never loads.
// Missing, invalidated and undecodable keys are absent from the map. If the
// provider failed for some keys, the map still holds the others and the
// error is a *KeyedBatchError[K] naming them.
func (c *Cache[K, V]) GetManyIfPresent(ctx context.Context, keys []K) (map[K]V, error) {
	values, _, err := c.getMany(ctx, keys)
	return values, err
}

// getMany is GetManyIfPresent that also names the keys cached as absent.
func (c *Cache[K, V]) getMany(ctx context.Context, keys []K) (map[K]V, map[K]bool, error) {
	if c.closed.Load() {
		return nil, nil, ErrClosed
	}
	dks, err := c.driverKeys(keys)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[K]V, len(keys))
	absent := map[K]bool{}
	if c.near != nil {
		if keys, dks = c.nearHits(keys, dks, out); len(dks) == 0 {
			return out, absent, nil
		}
	}
	ctx, cancel := within(ctx, c.budgets.Bulk)
	defer cancel()
	if c.values != nil {
		failed := map[K]error{}
		for i, dk := range dks {
			f, err := c.lookup(ctx, time.Time{}, keys[i], dk) // in process
			if err == nil {
				c.count(f)
			}
			switch {
			case err != nil:
				failed[keys[i]] = err
			case f.state == fresh:
				out[keys[i]] = f.value
			case f.state == negative:
				absent[keys[i]] = true
			}
		}
		return out, absent, batchErr(failed)
	}
	ctx = c.callStart(ctx, OpGetMany)
	values, err := c.getBytes(ctx, dks)
	answered := 0
	if _, partial := asBatchError(err); err == nil || partial {
		var t *versionTable
		if c.versioner != nil {
			t, err = c.versionsOfMany(ctx, dks, values, err)
		}
		if t != nil || c.versioner == nil {
			answered = c.answerMany(keys, dks, values, t, out, absent)
		}
	}
	c.callDone(ctx, OpGetMany, err)
	if _, partial := asBatchError(err); err != nil && !partial {
		return nil, nil, err
	}
	failed := 0
	if be, partial := asBatchError(err); partial {
		failed = len(be.Failed)
	}
	c.stats.misses.Add(uint64(len(dks) - answered - failed))
	return out, absent, keyBatchError(keys, err)
}

// versionsOfMany looks up, once for the batch, the versions that the
// entries a bulk read found name, from their headers, before anything is
// decoded. readErr is the read's own (partial) error, kept unless the
// lookup fails, in which case the table is nil.
func (c *Cache[K, V]) versionsOfMany(ctx context.Context, dks []driver.Key, values [][]byte, readErr error) (*versionTable, error) {
	t := c.newVersionTable()
	var env envelope.Envelope
	for i, b := range values {
		if b == nil {
			continue
		}
		if envelope.ParseInto(&env, b) == nil {
			t.add(&env.Stamps, c.groupOf(dks[i]))
		}
	}
	if err := t.read(ctx, c); err != nil {
		return nil, err
	}
	return t, readErr
}

// answerMany decodes what a bulk read found, checks it against t (nil
// without versions), and fills out and absent.
func (c *Cache[K, V]) answerMany(keys []K, dks []driver.Key, values [][]byte, t *versionTable, out map[K]V, absent map[K]bool) int {
	answered := 0
	lvl := levelStore
	if c.near != nil {
		lvl = levelL2
	}
	var env envelope.Envelope
	for i, b := range values {
		if b == nil {
			continue
		}
		v, ok := c.decodeInto(&env, dks[i], b, true)
		if !ok || (t != nil && !t.valid(&env.Stamps, c.groupOf(dks[i]))) {
			continue
		}
		switch c.classify(v, metaOf(env.Meta)).state {
		case fresh:
			out[keys[i]] = v
		case negative:
			absent[keys[i]] = true
		default:
			continue
		}
		answered++
	}
	c.stats.hitN(lvl, uint64(answered))
	return answered
}

// decoded is one entry of a bulk read: what the checks and the answer
// need of it, and no more (a whole envelope per key would double what a
// bulk read allocates).
type decoded[V any] struct {
	i    int
	v    V
	meta meta
	st   envelope.Stamps
}

// readChecked reads dks through the byte path and returns the entries found
// (decoded when withValues, else only their envelopes parsed) and whether
// each is still valid. A *driver.BatchError comes back with the results of
// the keys that could be read; any other error with none.
func (c *Cache[K, V]) readChecked(ctx context.Context, dks []driver.Key, withValues bool) ([]decoded[V], []bool, error) {
	values, err := c.getBytes(ctx, dks)
	if _, partial := asBatchError(err); err != nil && !partial {
		return nil, nil, err
	}
	found := make([]decoded[V], 0, len(values))
	for i, b := range values {
		if b == nil {
			continue
		}
		d := decoded[V]{i: i}
		ok := true
		if withValues {
			var env envelope.Envelope
			d.v, env, ok = c.decode(dks[i], b, true)
			d.meta, d.st = metaOf(env.Meta), env.Stamps
		} else {
			env, perr := envelope.Parse(b)
			d.meta, d.st = metaOf(env.Meta), env.Stamps
			ok = perr == nil // unreadable entries are left to expire, and counted when read
		}
		if ok {
			found = append(found, d)
		}
	}
	valid, verr := c.validMany(ctx, dks, found)
	if verr != nil {
		return nil, nil, verr
	}
	return found, valid, err
}

// getBytes reads many keys through the provider's batch path when it has one.
func (c *Cache[K, V]) getBytes(ctx context.Context, dks []driver.Key) ([][]byte, error) {
	if c.batchGet != nil {
		return c.batchGet.GetMany(ctx, dks)
	}
	out := make([][]byte, len(dks))
	failed := map[int]error{}
	for i, dk := range dks {
		b, found, err := c.provider.Get(ctx, dk)
		switch {
		case err != nil:
			failed[i] = err
		case found:
			if b == nil {
				b = []byte{}
			}
			out[i] = b
		}
	}
	if len(failed) > 0 {
		return out, &driver.BatchError{Failed: failed}
	}
	return out, nil
}

// fromStored unwraps a ValueStore value that is not this cache's typed
// entry: bytes written through the byte path, or another cache's entry type.
func (c *Cache[K, V]) fromStored(ctx context.Context, dk driver.Key, raw any) (V, bool, error) {
	if b, ok := raw.([]byte); ok {
		return c.decodeChecked(ctx, dk, b, false, nil)
	}
	var zero V
	c.undecodable(dk, fmt.Errorf("valcache: stored value is a %T, not this cache's entry type", raw))
	return zero, false, nil
}

// decodeChecked decodes an envelope and checks its stamps. nsVersion, when
// not nil, is the namespace's current version, already read with the entry.
func (c *Cache[K, V]) decodeChecked(ctx context.Context, dk driver.Key, b []byte, owned bool, nsVersion []driver.Version) (V, bool, error) {
	var zero V
	v, env, ok := c.decode(dk, b, owned)
	if !ok {
		return zero, false, nil
	}
	if valid, err := c.validStamps(ctx, dk, env, nsVersion); err != nil || !valid {
		return zero, false, err
	}
	return v, true, nil
}

// validStamps reports whether a decoded entry's stamps are all current.
// Without a Versioner there is nothing to check. With one, an entry without
// stamps cannot be shown to postdate the last Clear, so it is not valid.
//
// The entry was just read from the store, so where the provider follows
// versions in process, those of the entry's group are current as of that
// read, and checking its tags costs no call.
func (c *Cache[K, V]) validStamps(ctx context.Context, dk driver.Key, env envelope.Envelope, nsVersion []driver.Version) (bool, error) {
	if c.versioner == nil {
		return true, nil
	}
	n := env.StampCount()
	if !env.Stamped || n == 0 || env.StampAt(0).Tag != namespaceTag {
		return false, nil
	}
	for i := range n {
		if env.StampAt(i).Version == 0 { // what a missing version reads as: never current
			return false, nil
		}
	}
	from := 0 // the first stamp not yet checked
	if len(nsVersion) == 1 {
		if nsVersion[0] != env.StampAt(0).Version {
			return false, nil
		}
		from = 1
	}
	if from == n {
		return true, nil
	}
	g := c.groupOf(dk)
	keys := make([]driver.VersionKey, 0, n-from)
	for i := from; i < n; i++ {
		keys = append(keys, driver.VersionKey{Namespace: c.ns, Tag: env.StampAt(i).Tag, Group: g})
	}
	if n > 1 {
		c.stats.tagLookups.Add(1)
	}
	now, err := c.versionsAfterRead(ctx, keys)
	if err != nil {
		return false, err
	}
	for i := from; i < n; i++ {
		if now[i-from] != env.StampAt(i).Version {
			return false, nil
		}
	}
	return true, nil
}

// validMany checks the stamps of many decoded entries (read from dks) with
// one batched call over the distinct versions they name, in their groups.
func (c *Cache[K, V]) validMany(ctx context.Context, dks []driver.Key, found []decoded[V]) ([]bool, error) {
	valid := make([]bool, len(found))
	if c.versioner == nil {
		for i := range valid {
			valid[i] = true
		}
		return valid, nil
	}
	t := c.newVersionTable()
	for _, d := range found {
		t.add(&d.st, c.groupOf(dks[d.i]))
	}
	if err := t.read(ctx, c); err != nil {
		return nil, err
	}
	for j, d := range found {
		valid[j] = t.valid(&d.st, c.groupOf(dks[d.i]))
	}
	return valid, nil
}

// versionTable is the distinct versions a batch of entries names, in
// their groups, each looked up once: the namespace's per group, tags in a
// map made only when there are some.
type versionTable struct {
	ns    string
	nsAt  []int // per group, the index+1 of the namespace's version in keys
	tagAt map[driver.VersionKey]int
	keys  []driver.VersionKey
	now   []driver.Version
}

func (c *Cache[K, V]) newVersionTable() *versionTable {
	return &versionTable{ns: c.ns, nsAt: make([]int, c.groupCount()), keys: make([]driver.VersionKey, 0, c.groupCount())}
}

// add registers the versions st names, for an entry of group g.
func (t *versionTable) add(st *envelope.Stamps, g int) {
	for i := range st.StampCount() {
		s := st.StampAt(i)
		if s.Tag == namespaceTag {
			if t.nsAt[g] == 0 {
				t.keys = append(t.keys, driver.VersionKey{Namespace: t.ns, Tag: namespaceTag, Group: g})
				t.nsAt[g] = len(t.keys)
			}
			continue
		}
		k := driver.VersionKey{Namespace: t.ns, Tag: s.Tag, Group: g}
		if t.tagAt == nil {
			t.tagAt = map[driver.VersionKey]int{}
		}
		if _, ok := t.tagAt[k]; !ok {
			t.tagAt[k] = len(t.keys)
			t.keys = append(t.keys, k)
		}
	}
}

// read looks the versions up, after the entries were read.
func (t *versionTable) read(ctx context.Context, c interface {
	versionsAfterReadOf(context.Context, []driver.VersionKey, bool) ([]driver.Version, error)
}) error {
	if len(t.keys) == 0 {
		return nil
	}
	var err error
	t.now, err = c.versionsAfterReadOf(ctx, t.keys, t.tagAt != nil)
	return err
}

// valid reports whether an entry of group g stamped st is still current.
func (t *versionTable) valid(st *envelope.Stamps, g int) bool {
	if !st.Stamped || st.StampCount() == 0 || st.StampAt(0).Tag != namespaceTag {
		return false
	}
	for i := range st.StampCount() {
		s := st.StampAt(i)
		at := 0
		if s.Tag == namespaceTag {
			at = t.nsAt[g] - 1
		} else {
			at = t.tagAt[driver.VersionKey{Namespace: t.ns, Tag: s.Tag, Group: g}]
		}
		if s.Version == 0 || at < 0 || at >= len(t.now) || t.now[at] != s.Version {
			return false
		}
	}
	return true
}

// decode reads an envelope. Entries written by another codec are still read
// when that codec is built in, so a cache can change codec without a flush.
// owned says b is the caller's to give away (fresh from a provider's Get),
// so a codec may keep it instead of copying.
func (c *Cache[K, V]) decode(dk driver.Key, b []byte, owned bool) (V, envelope.Envelope, bool) {
	var env envelope.Envelope
	v, ok := c.decodeInto(&env, dk, b, owned)
	return v, env, ok
}

// decodeInto is decode writing the envelope into env, for loops over many
// entries.
func (c *Cache[K, V]) decodeInto(env *envelope.Envelope, dk driver.Key, b []byte, owned bool) (V, bool) {
	var v V
	if err := envelope.ParseInto(env, b); err != nil {
		*env = envelope.Envelope{}
		c.undecodable(dk, err)
		return v, false
	}
	if len(env.Transforms) > 0 || c.pipe.sealed {
		payload, buf, err := c.pipe.revert(dk, *env)
		if err != nil {
			if errors.Is(err, transform.ErrAuthentication) || errors.Is(err, errUnsealed) {
				c.stats.authFailures.Add(1)
			}
			c.undecodable(dk, err)
			return v, false
		}
		defer c.bufs.put(buf)
		if err := envelope.CheckNegative(env.Meta, payload); err != nil {
			c.undecodable(dk, err)
			return v, false
		}
		// The payload is in a pooled buffer, not the caller's to give away.
		env.Payload, owned = payload, false
	}
	if env.Meta.Negative {
		return v, true // a cached absence has no payload
	}
	cd := c.codec
	if env.Codec != cd.ID() {
		var ok bool
		if cd, ok = codec.ByID(env.Codec); !ok {
			c.undecodable(dk, fmt.Errorf("valcache: unknown codec id %d", env.Codec))
			return v, false
		}
	}
	v, err := decodeValue[V](cd, env.Payload, owned)
	if err != nil {
		c.undecodable(dk, err)
		var zero V
		return zero, false
	}
	return v, true
}

// decodeValue decodes a payload into a V. Raw []byte and string values,
// the common case of byte caches, take a path that does not allocate.
func decodeValue[V any](cd codec.Codec, payload []byte, owned bool) (V, error) {
	if cd.ID() == codec.IDRaw {
		if v, ok := rawValue[V](payload, owned); ok {
			return v, nil
		}
	}
	var v V
	err := decodeWith(cd, payload, &v, owned)
	return v, err
}

func decodeWith(cd codec.Codec, payload []byte, v any, owned bool) error {
	if owned {
		if od, ok := cd.(codec.OwningDecoder); ok {
			return od.DecodeOwned(payload, v)
		}
	}
	return cd.Decode(payload, v)
}

func (c *Cache[K, V]) undecodable(dk driver.Key, err error) {
	c.stats.decodeErrors.Add(1)
	c.log.Warn("valcache: stored value is unreadable; treated as a miss",
		slog.String("namespace", dk.Namespace), slog.String("key", dk.ID), slog.Any("error", err))
}
