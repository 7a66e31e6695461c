package twolevel

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
)

// changeStripes is how many change counters entry keys are spread over. A
// change of any key of a stripe voids the leases of all of them, which
// costs a copy not kept, never a stale one.
const changeStripes = 4096

// lossHistory is how many tracking losses are remembered for serving stale
// copies; copies from before older losses are never served stale.
const lossHistory = 16

// tracker orders the reads whose values become copies against the changes
// that must drop them.
//
// A read takes a lease (its key's stripe counter and the epoch) before it
// is sent. A change, pushed by the server or made by this process, bumps
// the counter and then drops the copy; a copy is kept only if the lease is
// still valid after it is stored, and is dropped otherwise. Whichever order
// the two run in, a value read before a change never stays.
//
// The epoch counts tracking losses (a lost connection, whose pushes are
// lost with it): a copy kept in an earlier epoch is not served as current.
type tracker struct {
	seed    maphash.Seed
	stripes [changeStripes]atomic.Uint64
	epoch   atomic.Uint64

	mu     sync.Mutex
	losses [lossHistory]loss // ring, by epoch
	// lossCount numbers the losses: the n-th loss has seq n.
	lossCount atomic.Uint64
}

type loss struct {
	epoch uint64 // the epoch that ended
	at    time.Time
	// seq numbers the loss. A copy of the ended epoch is served stale only
	// while the slot of its key has not answered a call since (see
	// breakers.healed): then the loss was, or may be, the outage itself. A
	// server's flush looks the same as a lost connection to the client, and
	// the server answers right after it, so a flushed copy is not served.
	// Kept per slot, because on a cluster a shard that is down loses its
	// connection while the others keep answering.
	seq uint64
}

// newTracker starts at epoch 1, so that an L1 value stored without a tag
// (tag 0) is never taken for a current copy.
func newTracker() *tracker {
	t := &tracker{seed: maphash.MakeSeed()}
	t.epoch.Store(1)
	return t
}

func (t *tracker) stripe(k driver.Key) *atomic.Uint64 {
	return &t.stripes[maphash.Comparable(t.seed, k)%changeStripes]
}

// lease is taken before reading k from the shared store.
func (t *tracker) lease(k driver.Key) driver.NearLease {
	return driver.NearLease{Key: k, Token: t.stripe(k).Load(), Epoch: t.epoch.Load(), Sent: time.Now()}
}

// valid reports whether nothing that concerns l's key happened since l.
func (t *tracker) valid(l driver.NearLease) bool {
	return t.stripe(l.Key).Load() == l.Token && t.epoch.Load() == l.Epoch
}

// changed voids the leases of k's stripe.
func (t *tracker) changed(k driver.Key) { t.stripe(k).Add(1) }

// lost ends the epoch because pushes may have been missed; copies of the
// ended epoch may still be served stale, from then on.
func (t *tracker) lost(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ended := t.epoch.Add(1) - 1
	t.losses[ended%lossHistory] = loss{epoch: ended, at: now, seq: t.lossCount.Add(1)}
}

// reset ends the epoch because everything changed (a flush): copies of the
// ended epoch are never served, even stale.
func (t *tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.epoch.Add(1)
}

// fullEpoch returns the most recent epoch, not after cur, whose low 32
// bits are tag.
func (t *tracker) fullEpoch(tag uint32, cur uint64) uint64 {
	e := cur&^0xffffffff | uint64(tag)
	if e > cur {
		e -= 1 << 32
	}
	return e
}

// lostAt returns when epoch ended by a loss of tracking, and the loss's
// number, if it did and is still remembered.
func (t *tracker) lostAt(epoch uint64) (time.Time, uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.losses[epoch%lossHistory]
	if l.at.IsZero() || l.epoch != epoch {
		return time.Time{}, 0, false
	}
	return l.at, l.seq, true
}
