package twolevel

import (
	"sync"
	"time"

	"github.com/valcache/valcache/driver"
)

// versionRec follows one version of the shared store in process. Its cell
// holds the version while it is known current, and 0 from the moment a
// change of the version key is pushed (or made here) until it is read
// again. Copies are stamped with the cell itself, so one re-read puts back
// every copy whose stamp is still current: a pushed change that left the
// version as it was (an extended expiry) costs one round trip, not one per
// copy.
type versionRec struct {
	cell driver.VersionCell
	// seq counts changes, ordering re-reads against them as the tracker's
	// stripes do for entries.
	seq uint64
	// epoch is the tracking epoch the cell was last set in; from an earlier
	// epoch its value is not known current.
	epoch uint64
	// until is when the key expires (zero: never), as last read.
	until time.Time
	// readAt is when it was last read, for Expiry coherence.
	readAt time.Time
}

// versionTable holds the versions followed in process.
type versionTable struct {
	track *tracker
	max   int
	// hold, when positive, is how long a version read is trusted without
	// pushes (Expiry coherence).
	hold time.Duration

	mu   sync.Mutex
	recs map[driver.VersionKey]*versionRec
}

// versionLease is taken before reading a version from the shared store.
// It names its record: a record dropped and made anew starts its count
// again, and a lease on the old one must not match it.
type versionLease struct {
	rec        *versionRec
	seq, epoch uint64
}

func (t *versionTable) usable(r *versionRec, now time.Time, need time.Duration) (driver.Version, bool) {
	v := r.cell.Load()
	if v == 0 || r.epoch != t.track.epoch.Load() {
		return 0, false
	}
	if t.hold > 0 && now.Sub(r.readAt) >= t.hold {
		return 0, false
	}
	if !r.until.IsZero() && (need == driver.NoExpiry || r.until.Before(now.Add(need))) {
		return 0, false
	}
	return v, true
}

// cached returns the versions of keys known current and living at least
// need longer, and the indexes of the others with leases to read them.
func (t *versionTable) cached(keys []driver.VersionKey, need time.Duration) ([]driver.Version, []int, []versionLease) {
	now := time.Now()
	out := make([]driver.Version, len(keys))
	var missing []int
	var leases []versionLease
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, k := range keys {
		r := t.recs[k]
		if r != nil {
			if v, ok := t.usable(r, now, need); ok {
				out[i] = v
				continue
			}
		}
		missing = append(missing, i)
		leases = append(leases, t.leaseLocked(k, r))
	}
	return out, missing, leases
}

// leases returns leases for reading keys.
func (t *versionTable) leases(keys []driver.VersionKey) []versionLease {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]versionLease, len(keys))
	for i, k := range keys {
		out[i] = t.leaseLocked(k, t.recs[k])
	}
	return out
}

func (t *versionTable) leaseLocked(k driver.VersionKey, r *versionRec) versionLease {
	if r == nil {
		if len(t.recs) >= t.max {
			t.dropAllLocked()
		}
		r = &versionRec{}
		t.recs[k] = r
	}
	return versionLease{rec: r, seq: r.seq, epoch: t.track.epoch.Load()}
}

// install records a version read under lease l, with the key's remaining
// lifetime, unless the key changed since l was taken.
func (t *versionTable) install(k driver.VersionKey, l versionLease, v driver.Version, ttl time.Duration) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.recs[k]
	if r == nil || r != l.rec || r.seq != l.seq || l.epoch != t.track.epoch.Load() {
		return
	}
	r.cell.Store(v)
	r.epoch, r.readAt, r.until = l.epoch, now, time.Time{}
	if ttl != driver.NoExpiry {
		r.until = now.Add(ttl)
	}
}

// changed marks k as changed: its cell reads 0 until it is read again.
func (t *versionTable) changed(k driver.VersionKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.recs[k]; r != nil {
		r.seq++
		r.cell.Store(0)
	}
}

// cells returns the cells of keys when all are known current.
func (t *versionTable) cells(keys []driver.VersionKey) ([]*driver.VersionCell, bool) {
	now := time.Now()
	out := make([]*driver.VersionCell, len(keys))
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, k := range keys {
		r := t.recs[k]
		if r == nil {
			return nil, false
		}
		if _, ok := t.usable(r, now, 0); !ok {
			return nil, false
		}
		out[i] = &r.cell
	}
	return out, true
}

// dropAllLocked forgets every version: their cells read 0 for good, and
// versions are read anew into new records.
func (t *versionTable) dropAllLocked() {
	for _, r := range t.recs {
		r.seq++
		r.cell.Store(0)
	}
	clear(t.recs)
}

func (t *versionTable) dropAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropAllLocked()
}
