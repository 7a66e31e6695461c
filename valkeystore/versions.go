package valkeystore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

var (
	_ driver.Versioner        = (*Provider)(nil)
	_ driver.VersionGroups    = (*Provider)(nil)
	_ driver.FollowedVersions = (*Provider)(nil)
)

// Versions are stored as 16 hexadecimal digits, readable in valkey-cli.
func formatVersion(v driver.Version) string { return fmt.Sprintf("%016x", v) }

func parseVersion(s string) (driver.Version, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("valkeystore: corrupt version %q", s)
	}
	return v, nil
}

func randomVersion() driver.Version {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

// readVersion turns a GET reply into a version: nil is a missing key (0).
func readVersion(resp valkey.ValkeyResult) (driver.Version, error) {
	s, err := resp.ToString()
	if valkey.IsValkeyNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return parseVersion(s)
}

// versionOf reads one element of an MGET reply: nil is a missing key (0).
func versionOf(m valkey.ValkeyMessage) (driver.Version, error) {
	if m.IsNil() {
		return 0, nil
	}
	s, err := m.ToString()
	if err != nil {
		return 0, err
	}
	return parseVersion(s)
}

// VersionGroups implements driver.VersionGroups.
func (p *Provider) VersionGroups() int { return groupCount }

// VersionGroup implements driver.VersionGroups.
func (p *Provider) VersionGroup(key driver.Key) int { return groupOf(key.ID) }

// Versions implements driver.Versioner. It always asks the server, so what
// it returns was current at some moment during the call, whatever this
// process has read before; copies of one group are followed afterwards.
func (p *Provider) Versions(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	if p.follow != nil && (!p.cluster || sameGroup(keys)) {
		return p.readFollowing(ctx, keys, nil, "versions")
	}
	// One MGET per group: a group's copies share a slot.
	byGroup := map[int][]int{}
	var order []int
	for i, k := range keys {
		if _, ok := byGroup[k.Group]; !ok {
			order = append(order, k.Group)
		}
		byGroup[k.Group] = append(byGroup[k.Group], i)
	}
	cmds := make(valkey.Commands, len(order))
	for j, g := range order {
		names := make([]string, len(byGroup[g]))
		for n, i := range byGroup[g] {
			names[n] = p.keys.versionKey(keys[i])
		}
		cmds[j] = p.client.B().Mget().Key(names...).Build()
	}
	out := make([]driver.Version, len(keys))
	var lost groupFailures
	for j, resp := range p.client.DoMulti(ctx, cmds...) {
		idx := byGroup[order[j]]
		values, err := resp.ToArray()
		if err == nil && len(values) != len(idx) {
			err = errShortReply
		}
		if err != nil {
			if err := lost.add(p, keys, idx[0], wrap("versions", err)); err != nil {
				return nil, err
			}
			continue
		}
		for n, i := range idx {
			v, err := versionOf(values[n])
			if err != nil {
				return nil, wrap("versions", err)
			}
			out[i] = v
		}
	}
	if err := lost.err(); err != nil {
		return nil, err
	}
	p.forgetDiffering(keys, out)
	return out, nil
}

// forgetDiffering forgets followed copies that a read found changed: a
// push about them is on its way, and until it lands what is followed is
// out of date.
func (p *Provider) forgetDiffering(keys []driver.VersionKey, now []driver.Version) {
	if p.follow == nil {
		return
	}
	for i, k := range keys {
		if st, ok := p.follow.known(k); ok && st.version != now[i] {
			p.follow.invalidate(k)
		}
	}
}

// groupFailures gathers the groups a call over the version copies of
// several groups of a cluster could not reach, so that it can fail with a
// *driver.GroupsError naming them rather than as a whole. Only what says
// the store could not serve is gathered; anything else fails the call.
type groupFailures struct {
	failed map[int]error
}

// add records that key i failed with err, or returns err when it fails the
// whole call: not an outage, or not a cluster's call over several groups.
func (f *groupFailures) add(p *Provider, keys []driver.VersionKey, i int, err error) error {
	if !p.cluster || sameGroup(keys) || !errors.Is(err, driver.ErrUnavailable) {
		return err
	}
	if f.failed == nil {
		f.failed = map[int]error{}
	}
	if _, ok := f.failed[keys[i].Group]; !ok {
		f.failed[keys[i].Group] = err
	}
	return nil
}

func (f *groupFailures) err() error {
	if len(f.failed) == 0 {
		return nil
	}
	return &driver.GroupsError{Failed: f.failed}
}

// Followed implements driver.FollowedVersions: versions this process
// follows are answered without a call; the others are read from the
// server, with tracking, and followed from then on.
func (p *Provider) Followed(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	if p.follow == nil {
		return p.Versions(ctx, keys)
	}
	out := make([]driver.Version, len(keys))
	var missing []int
	for i, k := range keys {
		if st, ok := p.follow.known(k); ok {
			out[i] = st.version
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	byGroup := map[int][]int{}
	for _, i := range missing {
		byGroup[keys[i].Group] = append(byGroup[keys[i].Group], i)
	}
	if !p.cluster || len(byGroup) == 1 {
		sub := make([]driver.VersionKey, len(missing))
		for j, i := range missing {
			sub[j] = keys[i]
		}
		vs, err := p.readFollowing(ctx, sub, nil, "versions")
		if err != nil {
			return nil, err
		}
		for j, i := range missing {
			out[i] = vs[j]
		}
		return out, nil
	}
	// On a cluster a command that asks for tracking (CLIENT CACHING YES)
	// must go with keys of one slot, so each group is read on its own, all
	// at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	var lost groupFailures
	for _, idx := range byGroup {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := make([]driver.VersionKey, len(idx))
			for j, i := range idx {
				sub[j] = keys[i]
			}
			vs, err := p.readFollowing(ctx, sub, nil, "versions")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if err := lost.add(p, keys, idx[0], err); err != nil {
					firstErr = err
				}
				return
			}
			for j, i := range idx {
				out[i] = vs[j]
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := lost.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func sameGroup(keys []driver.VersionKey) bool {
	for _, k := range keys[min(1, len(keys)):] {
		if k.Group != keys[0].Group {
			return false
		}
	}
	return true
}

// maxTrackedPipeline bounds a pipeline that asks for tracking: valkey-go
// sends one of ClientOption.BlockingPipeline commands or more (2000 by
// default) on a pooled connection of its own, whose pushes carry no order
// against the replies of the connection that reads the entries. The
// provider's bound is the lower of this and that option.
const maxTrackedPipeline = 1024

// readPlain reads keys after front without following them, for pipelines
// too long to ask for tracking.
func (p *Provider) readPlain(ctx context.Context, keys []driver.VersionKey, front valkey.Commands, op string) ([]driver.Version, error) {
	cmds := front
	for _, k := range keys {
		cmds = append(cmds, p.client.B().Get().Key(p.keys.versionKey(k)).Build())
	}
	resps := p.client.DoMulti(ctx, cmds...)
	for i := range front {
		if err := resps[i].Error(); err != nil && !valkey.IsValkeyNil(err) {
			return nil, wrap(op, err)
		}
	}
	out := make([]driver.Version, len(keys))
	for i := range keys {
		v, err := readVersion(resps[len(front)+i])
		if err != nil {
			return nil, wrap(op, err)
		}
		out[i] = v
	}
	p.forgetDiffering(keys, out)
	return out, nil
}

// trackedReadCommands appends the commands that read a version copy so
// that the server reports its next change: CLIENT CACHING YES (in OPTIN
// mode, for the next command only), GET and PTTL. A change between the GET
// and the PTTL is pushed too.
func (p *Provider) trackedReadCommands(cmds valkey.Commands, name string) valkey.Commands {
	if !p.optOut {
		cmds = append(cmds, p.client.B().ClientCaching().Yes().Build())
	}
	return append(cmds, p.client.B().Get().Key(name).Build(), p.client.B().Pttl().Key(name).Build())
}

// trackedReadStride is how many commands trackedReadCommands adds.
func (p *Provider) trackedReadStride() int {
	if p.optOut {
		return 2
	}
	return 3
}

// readTracked parses the replies of trackedReadCommands at offset and
// fills the follower under lease.
func (p *Provider) readTracked(resps []valkey.ValkeyResult, offset int, lease followLease, sent time.Time) (driver.Version, error) {
	stride := p.trackedReadStride()
	if stride == 3 {
		if err := resps[offset].Error(); err != nil {
			return 0, err
		}
	}
	v, err := readVersion(resps[offset+stride-2])
	if err != nil {
		return 0, err
	}
	ttl, err := readTTL(resps[offset+stride-1])
	if err != nil {
		return 0, err
	}
	if ttl == 0 {
		v = 0
	}
	var expires time.Time
	if v != 0 && ttl != driver.NoExpiry {
		expires = sent.Add(ttl)
	}
	p.follow.fill(lease, v, expires)
	return v, nil
}

// readFollowing reads keys (of one group on a cluster) with tracking, in
// one pipeline after the commands in front, and follows them.
func (p *Provider) readFollowing(ctx context.Context, keys []driver.VersionKey, front valkey.Commands, op string) ([]driver.Version, error) {
	if len(front)+p.trackedReadStride()*len(keys) >= p.maxTracked {
		return p.readPlain(ctx, keys, front, op)
	}
	resps, versions, err := p.readFollowingAfter(ctx, keys, front, op)
	if err != nil {
		return nil, err
	}
	for _, r := range resps {
		if err := r.Error(); err != nil && !valkey.IsValkeyNil(err) {
			return nil, wrap(op, err)
		}
	}
	return versions, nil
}

// EnsureVersions implements driver.Versioner. A followed copy that exists
// and lives at least ttl longer is answered without a call. Otherwise, per
// key, pipelined:
//
//	SET k <random> NX GET PX 2·ttl   creates a missing key, returns an existing one's version
//	PEXPIRE k 2·ttl GT (or PERSIST)  extends its life; never shortens it, never changes the version
//	GET k, PTTL k                    (with tracking) what the key holds now, followed from then on
//
// The first two leave the version alone when the key exists, so a bump
// landing between them is kept. A copy is extended to twice what is asked,
// so that it is extended about once per ttl for the whole fleet rather than
// by every process in turn (each extension is a change that every
// follower is told of).
func (p *Provider) EnsureVersions(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	if !driver.ValidTTL(ttl) {
		return nil, fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	if out, ok := p.coveredVersions(keys, ttl); ok {
		return out, nil
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	keep := ttl
	if ttl != driver.NoExpiry {
		keep = addDuration(ttl, ttl)
	}
	if p.follow != nil && (!p.cluster || sameGroup(keys)) && (2+p.trackedReadStride())*len(keys) < p.maxTracked {
		return p.ensureFollowing(ctx, keys, keep)
	}
	fresh := make([]driver.Version, len(keys))
	cmds := make(valkey.Commands, 0, 2*len(keys))
	for i, k := range keys {
		fresh[i] = randomVersion()
		cmds = append(cmds, p.ensureCommands(p.keys.versionKey(k), fresh[i], keep)...)
	}
	resps := p.client.DoMulti(ctx, cmds...)
	out := make([]driver.Version, len(keys))
	var lost groupFailures
	for i, k := range keys {
		if p.follow != nil {
			p.follow.invalidate(k) // changed by this connection: not pushed under NOLOOP
		}
		err := resps[2*i+1].Error()
		var old driver.Version
		if err == nil {
			old, err = readVersion(resps[2*i])
		}
		if err != nil {
			if err := lost.add(p, keys, i, wrap("ensure versions", err)); err != nil {
				return nil, err
			}
			continue
		}
		if out[i] = old; old == 0 {
			out[i] = fresh[i]
		}
	}
	if err := lost.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ensureCommands are SET NX GET and the extension of one key.
func (p *Provider) ensureCommands(name string, fresh driver.Version, keep time.Duration) valkey.Commands {
	set := p.client.B().Set().Key(name).Value(formatVersion(fresh)).Nx().Get()
	if keep == driver.NoExpiry {
		return valkey.Commands{set.Build(), p.client.B().Persist().Key(name).Build()}
	}
	ms := millis(keep)
	return valkey.Commands{set.PxMilliseconds(ms).Build(), p.client.B().Pexpire().Key(name).Milliseconds(ms).Gt().Build()}
}

// ensureFollowing is EnsureVersions reading each key back with tracking.
func (p *Provider) ensureFollowing(ctx context.Context, keys []driver.VersionKey, keep time.Duration) ([]driver.Version, error) {
	stride := 2 + p.trackedReadStride()
	leases := make([]followLease, len(keys))
	cmds := make(valkey.Commands, 0, stride*len(keys))
	for i, k := range keys {
		// This connection's own change is not pushed back to it under
		// NOLOOP, and drops its tracking of the key: forget the copy first,
		// and follow it again from the read after the change.
		p.follow.invalidate(k)
		leases[i] = p.follow.lease(k)
		name := p.keys.versionKey(k)
		cmds = append(cmds, p.ensureCommands(name, randomVersion(), keep)...)
		cmds = p.trackedReadCommands(cmds, name)
	}
	sent := time.Now()
	resps := p.client.DoMulti(ctx, cmds...)
	out := make([]driver.Version, len(keys))
	for i := range keys {
		for _, r := range resps[stride*i : stride*i+2] {
			if err := r.Error(); err != nil && !valkey.IsValkeyNil(err) {
				return nil, wrap("ensure versions", err)
			}
		}
		v, err := p.readTracked(resps, stride*i+2, leases[i], sent)
		if err != nil {
			return nil, wrap("ensure versions", err)
		}
		if v == 0 { // expired or evicted between the commands: never current
			return nil, fmt.Errorf("valkeystore: ensure versions: a version key vanished while it was created; try again")
		}
		out[i] = v
	}
	return out, nil
}

// coveredVersions answers EnsureVersions from followed copies that exist
// and outlive ttl.
func (p *Provider) coveredVersions(keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, bool) {
	if p.follow == nil {
		return nil, false
	}
	var now time.Time
	out := make([]driver.Version, len(keys))
	for i, k := range keys {
		st, ok := p.follow.known(k)
		if !ok || st.version == 0 {
			return nil, false
		}
		if ttl == driver.NoExpiry {
			if !st.expires.IsZero() {
				return nil, false
			}
		} else if !st.expires.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			if st.expires.Before(now.Add(ttl)) {
				return nil, false
			}
		}
		out[i] = st.version
	}
	return out, true
}

// BumpVersions implements driver.Versioner: SET k <random> XX KEEPTTL per
// key, pipelined, which changes existing keys only and keeps their expiry.
// The copies are forgotten here both before the bump is sent (so no read
// under way can be followed past it) and after its reply (this
// connection's own change is not pushed to it under NOLOOP).
func (p *Provider) BumpVersions(ctx context.Context, keys []driver.VersionKey) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	p.forget(keys)
	defer p.forget(keys)
	cmds := make(valkey.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = p.client.B().Set().Key(p.keys.versionKey(k)).Value(formatVersion(randomVersion())).Xx().Keepttl().Build()
	}
	for _, resp := range p.client.DoMulti(ctx, cmds...) {
		if err := resp.Error(); err != nil && !valkey.IsValkeyNil(err) {
			return wrap("bump versions", err)
		}
	}
	return nil
}

// forgetAll forgets every followed copy.
func (p *Provider) forgetAll() {
	if p.follow != nil {
		p.follow.invalidateAll()
	}
}

func (p *Provider) forget(keys []driver.VersionKey) {
	if p.follow == nil {
		return
	}
	for _, k := range keys {
		p.follow.invalidate(k)
	}
}

// GetVersioned implements driver.Versioner. vkey is a copy of the
// entry's own group, in its slot. When this process follows it, the read is
// one GET: the version is taken from the follower after the entry's reply,
// which came on the connection that carries the pushes about it. Otherwise
// the copy is read in the same pipeline (with tracking, to follow it from
// then on), or in the same MGET.
func (p *Provider) GetVersioned(ctx context.Context, key driver.Key, vkey driver.VersionKey) ([]byte, bool, driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, false, 0, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	name := p.keys.entryKey(key)
	if p.follow != nil {
		if _, ok := p.follow.known(vkey); ok {
			b, found, err := p.getEntry(ctx, name)
			if err != nil || !found {
				return nil, false, 0, err
			}
			if st, ok := p.follow.known(vkey); ok {
				return b, true, st.version, nil
			}
			// A push arrived with the reply: read the version as it is now.
			versions, err := p.readFollowing(ctx, []driver.VersionKey{vkey}, nil, "get")
			if err != nil {
				return nil, false, 0, err
			}
			return b, true, versions[0], nil
		}
		get := valkey.Commands{p.client.B().Get().Key(name).Build()}
		resps, versions, err := p.readFollowingAfter(ctx, []driver.VersionKey{vkey}, get, "get")
		if err != nil {
			return nil, false, 0, err
		}
		b, found, err := entryReply(resps[0])
		if err != nil || !found {
			return nil, false, 0, err
		}
		return b, true, versions[0], nil
	}
	if !p.cfg.ReplicaReads {
		return p.mgetVersioned(ctx, name, vkey)
	}
	resps := p.client.DoMulti(ctx, p.client.B().Get().Key(name).Build(), p.client.B().Get().Key(p.keys.versionKey(vkey)).Build())
	b, found, err := entryReply(resps[0])
	if err != nil || !found {
		return nil, false, 0, err
	}
	v, err := readVersion(resps[1])
	if err != nil {
		return nil, false, 0, wrap("get", err)
	}
	return b, true, v, nil
}

// mgetVersioned reads an entry and a copy of its group with one MGET: one
// command, one slot, one node.
func (p *Provider) mgetVersioned(ctx context.Context, name string, vkey driver.VersionKey) ([]byte, bool, driver.Version, error) {
	values, err := p.client.Do(ctx, p.client.B().Mget().Key(name, p.keys.versionKey(vkey)).Build()).ToArray()
	if err == nil && len(values) != 2 {
		err = errShortReply
	}
	if err != nil {
		return nil, false, 0, wrap("get", err)
	}
	b, err := values[0].AsBytes()
	if valkey.IsValkeyNil(err) || (err == nil && isPlaceholder(b)) {
		return nil, false, 0, nil
	}
	if err != nil {
		return nil, false, 0, wrap("get", err)
	}
	v, err := versionOf(values[1])
	if err != nil {
		return nil, false, 0, wrap("get", err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, v, nil
}

// readFollowingAfter sends front and a tracked read of vkeys in one
// pipeline, and returns front's replies with the versions.
func (p *Provider) readFollowingAfter(ctx context.Context, vkeys []driver.VersionKey, front valkey.Commands, op string) ([]valkey.ValkeyResult, []driver.Version, error) {
	leases := make([]followLease, len(vkeys))
	cmds := front
	for i, k := range vkeys {
		leases[i] = p.follow.lease(k)
		cmds = p.trackedReadCommands(cmds, p.keys.versionKey(k))
	}
	sent := time.Now()
	resps := p.client.DoMulti(ctx, cmds...)
	versions := make([]driver.Version, len(vkeys))
	stride := p.trackedReadStride()
	for i := range vkeys {
		v, err := p.readTracked(resps, len(front)+stride*i, leases[i], sent)
		if err != nil {
			return nil, nil, wrap(op, err)
		}
		versions[i] = v
	}
	return resps[:len(front)], versions, nil
}

// SetVersioned implements driver.Versioner: the versions returned are
// current after the SET ran. When this process follows them, that is one
// SET: nothing was pushed about them before its reply. Otherwise they are
// read after it, in the same pipeline.
func (p *Provider) SetVersioned(ctx context.Context, key driver.Key, value []byte, ttl time.Duration, vkeys []driver.VersionKey) ([]driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	set, err := p.setCommand(key, value, ttl)
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	if p.follow != nil {
		if versions, leases, ok := p.followedLeases(vkeys); ok {
			if err := p.client.Do(ctx, set).Error(); err != nil {
				return nil, wrap("set", err)
			}
			p.wrote(key)
			if p.allUnchanged(leases) {
				return versions, nil
			}
			return p.readFollowing(ctx, vkeys, nil, "set")
		}
		_, versions, err := p.readFollowingAfter(ctx, vkeys, valkey.Commands{set}, "set")
		return versions, err
	}
	cmds := make(valkey.Commands, 1+len(vkeys))
	cmds[0] = set
	for i, k := range vkeys {
		cmds[1+i] = p.client.B().Get().Key(p.keys.versionKey(k)).Build()
	}
	resps := p.client.DoMulti(ctx, cmds...)
	if err := resps[0].Error(); err != nil {
		return nil, wrap("set", err)
	}
	versions := make([]driver.Version, len(vkeys))
	for i := range vkeys {
		if versions[i], err = readVersion(resps[1+i]); err != nil {
			return nil, wrap("set", err)
		}
	}
	return versions, nil
}

// followedLeases returns the followed versions of keys with leases taken
// on their cells before anything is sent.
func (p *Provider) followedLeases(keys []driver.VersionKey) ([]driver.Version, []followLease, bool) {
	versions := make([]driver.Version, len(keys))
	leases := make([]followLease, len(keys))
	for i, k := range keys {
		leases[i] = p.follow.lease(k)
		st := leases[i].cell.state.Load()
		if st == nil || st.epoch != leases[i].epoch || !p.follow.unchanged(leases[i]) {
			return nil, nil, false
		}
		versions[i] = st.version
	}
	return versions, leases, true
}

func (p *Provider) allUnchanged(leases []followLease) bool {
	for _, l := range leases {
		if !p.follow.unchanged(l) {
			return false
		}
	}
	return true
}

// addDuration adds without overflowing.
func addDuration(a, b time.Duration) time.Duration {
	const longest = time.Duration(1<<63 - 1)
	if a > longest-b {
		return longest
	}
	return a + b
}
