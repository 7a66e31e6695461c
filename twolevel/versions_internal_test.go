package twolevel

import (
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
)

// A version read before a change, by a read whose lease outlived its
// record (the table was emptied meanwhile), is never installed over a
// newer one.
func TestLeaseOnADroppedRecordInstallsNothing(t *testing.T) {
	vt := &versionTable{track: newTracker(), max: 2, recs: map[driver.VersionKey]*versionRec{}}
	k := driver.VersionKey{Namespace: "ns", Tag: "t"}
	_, _, slow := vt.cached([]driver.VersionKey{k}, 0) // a read of the old version starts
	vt.changed(k)                                      // the change is pushed
	vt.dropAll()                                       // the table is emptied (full)
	_, _, fresh := vt.cached([]driver.VersionKey{k}, 0)
	vt.install(k, fresh[0], 2, time.Minute) // a later read installs the new version
	vt.install(k, slow[0], 1, time.Minute)  // the slow read lands
	cells, ok := vt.cells([]driver.VersionKey{k})
	if !ok || cells[0].Load() != 2 {
		t.Fatalf("cell holds %d (ok %v), want the newer version 2", cells[0].Load(), ok)
	}
}

func TestFullEpochRecoversTheEpochOfATag(t *testing.T) {
	tr := newTracker()
	for _, c := range []struct{ epoch, cur uint64 }{{1, 1}, {1, 5}, {1<<32 - 1, 1 << 32}, {1<<32 + 3, 1<<32 + 9}, {5<<32 - 2, 5<<32 + 1}} {
		if got := tr.fullEpoch(epochTag(c.epoch), c.cur); got != c.epoch {
			t.Errorf("fullEpoch(tag of %d, cur %d) = %d", c.epoch, c.cur, got)
		}
	}
}
