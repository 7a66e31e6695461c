package valkeystore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// follower keeps, in process, the version copies this provider has read,
// each until the server says it changed. It is what lets a hit be one GET.
//
// Why it is exact: a copy is read with tracking on (CLIENT CACHING YES in
// OPTIN mode, or any read in OPTOUT mode), on the one connection the
// provider keeps to the node of its group, and the entries of the group are
// read on that same connection. When the copy changes, the server queues an
// invalidation push on that connection at once, ahead of the reply to any
// command it runs later; the client's reader goroutine handles the push
// before it hands out the replies after it. So once a reply to a read of an
// entry of the group has been delivered, every change made to the group's
// copies before that read reached the server has been applied here.
//
// A lost connection may lose pushes, so it ends an epoch: every followed
// state of an earlier epoch is unknown, and is read again. The epoch also
// ends whenever a connection is dialled (the new connection tracks nothing
// yet) and when the server reports a flush.
//
// A read fills a state under a lease: the cell's generation and the epoch
// are taken before the command is sent, and the state is kept only if
// neither changed by the time it is stored, so a push that overtakes the
// reply can never be undone by it.
type follower struct {
	epoch  atomic.Uint64
	shards [followShards]followShard
}

const followShards = 8

type followShard struct {
	mu    sync.RWMutex
	cells map[driver.VersionKey]*followCell
	// pruneAt is the size past which the shard drops cells of copies that
	// have expired.
	pruneAt int
}

// followCell follows one version copy.
type followCell struct {
	gen   atomic.Uint64
	state atomic.Pointer[followState]
}

// followState is what a read found: the version (0 for a missing copy) and
// when the copy expires (zero: never, or missing).
type followState struct {
	version driver.Version
	expires time.Time
	epoch   uint64
}

// followLease is taken before a read of a copy is sent.
type followLease struct {
	cell  *followCell
	gen   uint64
	epoch uint64
}

func newFollower() *follower {
	f := &follower{}
	for i := range f.shards {
		f.shards[i].cells = map[driver.VersionKey]*followCell{}
		f.shards[i].pruneAt = 1024
	}
	return f
}

func (f *follower) shard(k driver.VersionKey) *followShard {
	return &f.shards[uint(k.Group)%followShards]
}

// known returns k's followed state when it is current.
func (f *follower) known(k driver.VersionKey) (*followState, bool) {
	s := f.shard(k)
	s.mu.RLock()
	c := s.cells[k]
	s.mu.RUnlock()
	if c == nil {
		return nil, false
	}
	st := c.state.Load()
	if st == nil || st.epoch != f.epoch.Load() {
		return nil, false
	}
	return st, true
}

// lease returns a lease for reading k, making its cell if needed.
func (f *follower) lease(k driver.VersionKey) followLease {
	s := f.shard(k)
	s.mu.RLock()
	c := s.cells[k]
	s.mu.RUnlock()
	if c == nil {
		s.mu.Lock()
		if c = s.cells[k]; c == nil {
			s.pruneLocked()
			c = &followCell{}
			s.cells[k] = c
		}
		s.mu.Unlock()
	}
	// The epoch is read after the generation: an invalidation bumps the
	// generation first, so a lease can never pair a new generation with a
	// state read before it.
	gen := c.gen.Load()
	return followLease{cell: c, gen: gen, epoch: f.epoch.Load()}
}

// fill keeps what a read under l found, unless the copy may have changed
// since the lease was taken.
func (f *follower) fill(l followLease, version driver.Version, expires time.Time) {
	if l.cell == nil {
		return
	}
	valid := func() bool { return l.cell.gen.Load() == l.gen && f.epoch.Load() == l.epoch }
	if !valid() {
		return
	}
	st := &followState{version: version, expires: expires, epoch: l.epoch}
	l.cell.state.Store(st)
	if !valid() { // an invalidation ran between the check and the store
		l.cell.state.CompareAndSwap(st, nil)
	}
}

// unchanged reports whether nothing invalidated the cell since the lease.
func (f *follower) unchanged(l followLease) bool {
	return l.cell != nil && l.cell.gen.Load() == l.gen && f.epoch.Load() == l.epoch
}

// invalidate forgets k: the server reported a change, or this provider
// made one.
func (f *follower) invalidate(k driver.VersionKey) {
	s := f.shard(k)
	s.mu.RLock()
	c := s.cells[k]
	s.mu.RUnlock()
	if c != nil {
		c.gen.Add(1)
		c.state.Store(nil)
	}
}

// onInvalidations applies an invalidation push: nil is a flush or a lost
// connection, anything else names the keys that changed.
func (f *follower) onInvalidations(keys layout, msgs []valkey.ValkeyMessage) {
	if msgs == nil {
		f.invalidateAll()
		return
	}
	for _, m := range msgs {
		name, err := m.ToString()
		if err != nil || !isVersionKey(name) {
			continue
		}
		if k, ok := keys.parseVersionKey(name); ok {
			f.invalidate(k)
		}
	}
}

// invalidateAll ends the epoch.
func (f *follower) invalidateAll() { f.epoch.Add(1) }

// pruneLocked drops the cells of copies known to have expired once the
// shard has grown past its bound, so following many short-lived tags does
// not grow the table for ever. Unknown cells go too: they hold nothing.
func (s *followShard) pruneLocked() {
	if len(s.cells) < s.pruneAt {
		return
	}
	now := time.Now()
	for k, c := range s.cells {
		st := c.state.Load()
		if st == nil || (!st.expires.IsZero() && st.expires.Before(now)) || st.version == 0 {
			c.gen.Add(1) // a lease on a dropped cell must not fill it
			delete(s.cells, k)
		}
	}
	s.pruneAt = max(1024, 2*len(s.cells))
}
