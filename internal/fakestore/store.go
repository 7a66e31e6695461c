package fakestore

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
)

// Config shapes the provider a Store presents.
type Config struct {
	// Groups is the number of version groups (driver.VersionGroups); zero
	// means one.
	Groups int
	// Followed adds driver.FollowedVersions, as valkeystore offers.
	Followed bool
	// Cells adds driver.VersionCells, as an in-process Versioner offers.
	// It excludes Followed and Near.
	Cells bool
	// Near adds driver.NearCache: each Store keeps near copies, as
	// twolevel does.
	Near bool
	// NearStaleIfError is how long a near copy may still be served by
	// NearStale after its Store lost the shared store (see Disconnected).
	NearStaleIfError time.Duration
	// NoBatch leaves out the batch capabilities, so the facade falls back
	// to one call per key.
	NoBatch bool
	// Budgets are what driver.Budgeter reports; zero: none.
	Budgets driver.Budgets
	// MaxValueBytes, when positive, is the largest value accepted.
	MaxValueBytes int
}

// kind is what an entry's key holds.
type kind uint8

const (
	value  kind = iota
	loadOf      // a load's placeholder: reads miss
	failed      // a failed load's mark: reads miss, waiters get its reason
)

type slot struct {
	kind    kind
	value   []byte // for value
	token   string // for loadOf
	reason  string // for failed
	expires time.Time
	seq     uint64 // the write that made it
}

func (s *slot) live(now time.Time) bool {
	return s.expires.IsZero() || now.Before(s.expires)
}

type version struct {
	v       driver.Version
	expires time.Time
	cell    *driver.VersionCell // for Cells: follows v, 0 once lost
}

// shared is what every Store made by Peer sees: the store itself.
type shared struct {
	cfg      Config
	mu       sync.Mutex
	entries  map[driver.Key]*slot
	versions map[driver.VersionKey]*version
	refresh  map[driver.Key]time.Time
	seq      uint64
	changed  chan struct{} // closed and replaced on every change of an entry
	stores   map[*Store]struct{}
	// nextExpiry is the earliest expiry among versions, so expired versions
	// are swept (their cells zeroed) without a walk on every call.
	nextExpiry time.Time
}

// Store is one process's client of the fake store.
type Store struct {
	s      *shared
	closed atomic.Bool
	calls  sync.Map // Op -> *atomic.Int64

	mu     sync.Mutex // guards faults, near and nearCells
	faults []*Fault
	healed chan struct{} // closed by Heal, releasing hung calls
	// near copies, for Config.Near, and the cells that follow versions
	// for them.
	near      map[driver.Key]*nearCopy
	nearCells map[driver.VersionKey]*driver.VersionCell
	lostAt    time.Time // when a fault cut this Store off; zero: connected
	epoch     uint64    // counts cuts and heals: a near lease is of one epoch
}

// New returns a Store over a fresh, empty store. It panics on a Config
// that mixes Cells with Followed or Near, a mistake in a test.
func New(cfg Config) *Store {
	if cfg.Cells && (cfg.Followed || cfg.Near) {
		panic("fakestore: Cells excludes Followed and Near")
	}
	if cfg.Groups <= 0 {
		cfg.Groups = 1
	}
	s := &shared{
		cfg:      cfg,
		entries:  map[driver.Key]*slot{},
		versions: map[driver.VersionKey]*version{},
		refresh:  map[driver.Key]time.Time{},
		changed:  make(chan struct{}),
		stores:   map[*Store]struct{}{},
	}
	return s.newStore()
}

// Peer returns another process's Store over the same store: it shares the
// entries and versions, and has its own near copies and faults.
func (st *Store) Peer() *Store { return st.s.newStore() }

func (s *shared) newStore() *Store {
	st := &Store{s: s, healed: make(chan struct{}), near: map[driver.Key]*nearCopy{}, nearCells: map[driver.VersionKey]*driver.VersionCell{}}
	s.mu.Lock()
	s.stores[st] = struct{}{}
	s.mu.Unlock()
	return st
}

// Provider returns the Store as the driver.Provider the Config shapes:
// only the capabilities asked for are visible to the facade.
func (st *Store) Provider() driver.Provider {
	cfg := st.s.cfg
	switch {
	case cfg.Cells && cfg.NoBatch:
		return cellsBare{st, st}
	case cfg.Cells:
		return cellsView{st, st, st}
	case cfg.Near && cfg.Followed && cfg.NoBatch:
		return nearFollowedBare{st, st, st}
	case cfg.Near && cfg.Followed:
		return nearFollowedView{st, st, st, st}
	case cfg.Near && cfg.NoBatch:
		return nearBare{st, st}
	case cfg.Near:
		return nearView{st, st, st}
	case cfg.Followed && cfg.NoBatch:
		return followedBare{st, st}
	case cfg.Followed:
		return followedView{st, st, st}
	case cfg.NoBatch:
		return bare{st}
	}
	return plain{st, st}
}

// Close implements driver.Provider: this Store's calls fail with
// driver.ErrClosed afterwards; its peers are unaffected.
func (st *Store) Close() error {
	if st.closed.Swap(true) {
		return nil
	}
	st.s.mu.Lock()
	delete(st.s.stores, st)
	st.s.mu.Unlock()
	st.Heal()
	return nil
}

// Budgets implements driver.Budgeter.
func (st *Store) Budgets() driver.Budgets { return st.s.cfg.Budgets }

// VersionGroups implements driver.VersionGroups.
func (st *Store) VersionGroups() int { return st.s.cfg.Groups }

// VersionGroup implements driver.VersionGroups: a hash of the key's ID.
func (st *Store) VersionGroup(key driver.Key) int {
	if st.s.cfg.Groups == 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key.ID))
	return int(h.Sum32() % uint32(st.s.cfg.Groups))
}

// Ping implements driver.Pinger.
func (st *Store) Ping(ctx context.Context) error {
	return st.begin(ctx, OpPing, nil, -1)
}

// begin starts a call: it is counted, and fails when the Store is closed,
// ctx has ended, or a fault about op and key (nil: none in particular)
// or group (-1: none) fires before the call takes effect.
func (st *Store) begin(ctx context.Context, op Op, key *driver.Key, group int) error {
	st.count(op)
	if st.closed.Load() {
		return driver.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sc := single
	if key == nil && group < 0 {
		sc = whole
	}
	return st.fire(ctx, op, key, group, false, sc)
}

// end is the reply of a call that took effect: a fault that loses it
// fires here.
func (st *Store) end(ctx context.Context, op Op, key *driver.Key, group int) error {
	sc := single
	if key == nil && group < 0 {
		sc = whole
	}
	return st.fire(ctx, op, key, group, true, sc)
}

func (st *Store) count(op Op) {
	n, _ := st.calls.LoadOrStore(op, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

// Calls returns how many calls of op this Store has been asked to make,
// failed ones included.
func (st *Store) Calls(op Op) int {
	n, ok := st.calls.Load(op)
	if !ok {
		return 0
	}
	return int(n.(*atomic.Int64).Load())
}

// touch records a change of key, under s.mu: near copies of it are
// dropped in every Store and load waiters wake.
func (s *shared) touch(key driver.Key) uint64 {
	s.seq++
	for st := range s.stores {
		st.dropNear(key)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return s.seq
}

// live returns key's slot when it has not expired, under s.mu.
func (s *shared) live(key driver.Key, now time.Time) *slot {
	sl := s.entries[key]
	if sl == nil {
		return nil
	}
	if !sl.live(now) {
		delete(s.entries, key)
		return nil
	}
	return sl
}

// put stores value under key for ttl, under s.mu.
func (s *shared) put(key driver.Key, v []byte, ttl time.Duration, now time.Time) {
	s.entries[key] = &slot{kind: value, value: clone(v), expires: expiry(now, ttl), seq: s.touch(key)}
}

func (s *shared) remove(key driver.Key) {
	if _, ok := s.entries[key]; ok {
		delete(s.entries, key)
		s.touch(key)
	}
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl == driver.NoExpiry {
		return time.Time{}
	}
	return now.Add(ttl)
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func (st *Store) checkValue(b []byte) error {
	if limit := st.s.cfg.MaxValueBytes; limit > 0 && len(b) > limit {
		return &driver.ValueTooLargeError{Size: len(b), Limit: limit}
	}
	return nil
}

func newVersion() driver.Version {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

func newToken() string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := range b {
		b[i] = digits[rand.IntN(len(digits))]
	}
	return string(b)
}
