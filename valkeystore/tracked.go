package valkeystore

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// The reads below return remaining lifetimes along with what they read, in
// the same pipeline, for a copy kept in process that must not outlive its
// source. Under TrackAllReads each GET also registers the key for an
// invalidation push; the PTTL is read after it, so a change between the two
// is pushed too.

// GetVersionedTTL is GetVersioned that also returns the remaining
// lifetimes (driver.NoExpiry when there is none) of the entry and of each
// version key (0 for a missing one).
func (p siblingView) GetVersionedTTL(ctx context.Context, key driver.Key, vkeys []driver.VersionKey) (value []byte, found bool, versions []driver.Version, ttl time.Duration, vttls []time.Duration, err error) {
	if err := p.gate(); err != nil {
		return nil, false, nil, 0, nil, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	name := p.keys.entryKey(key)
	cmds := make(valkey.Commands, 2, 2+2*len(vkeys))
	cmds[0] = p.client.B().Get().Key(name).Build()
	cmds[1] = p.client.B().Pttl().Key(name).Build()
	for _, k := range vkeys {
		vname := p.keys.versionKey(k)
		cmds = append(cmds, p.client.B().Get().Key(vname).Build(), p.client.B().Pttl().Key(vname).Build())
	}
	resps := p.client.DoMulti(ctx, cmds...)
	b, err := resps[0].AsBytes()
	if valkey.IsValkeyNil(err) || (err == nil && isPlaceholder(b)) {
		return nil, false, nil, 0, nil, nil
	}
	if err != nil {
		return nil, false, nil, 0, nil, wrap("get", err)
	}
	if ttl, err = readTTL(resps[1]); err != nil {
		return nil, false, nil, 0, nil, wrap("get", err)
	}
	if ttl == 0 { // gone between the GET and the PTTL
		return nil, false, nil, 0, nil, nil
	}
	if versions, vttls, err = p.readVersionsTTL(resps, vkeys, 2, 2, "get"); err != nil {
		return nil, false, nil, 0, nil, err
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, versions, ttl, vttls, nil
}

// VersionsTTL is Versions that also returns each key's remaining lifetime
// (0 for a missing key, driver.NoExpiry for one without expiry).
func (p siblingView) VersionsTTL(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, []time.Duration, error) {
	if err := p.gate(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	cmds := make(valkey.Commands, 0, 2*len(keys))
	for _, k := range keys {
		name := p.keys.versionKey(k)
		cmds = append(cmds, p.client.B().Get().Key(name).Build(), p.client.B().Pttl().Key(name).Build())
	}
	return p.readVersionsTTL(p.client.DoMulti(ctx, cmds...), keys, 0, 2, "versions")
}

// EnsureVersionsTTL is EnsureVersions keeping each key alive for at least
// keep, and reading back, after the creation and the extension, the
// version and remaining lifetime each key has then:
//
//	SET k <random> NX GET PX keep; PEXPIRE k keep GT; GET k; PTTL k
//
// The version returned is the one read last, which a reader tracking the
// key is told about when it changes.
func (p siblingView) EnsureVersionsTTL(ctx context.Context, keys []driver.VersionKey, keep time.Duration) ([]driver.Version, []time.Duration, error) {
	if err := p.gate(); err != nil {
		return nil, nil, err
	}
	if !driver.ValidTTL(keep) {
		return nil, nil, fmt.Errorf("%w: %v", driver.ErrInvalidTTL, keep)
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	// A change this connection makes is not pushed back to it under
	// NOLOOP: what this provider follows of these keys is forgotten.
	p.forget(keys)
	defer p.forget(keys)
	cmds := make(valkey.Commands, 0, 4*len(keys))
	for _, k := range keys {
		name := p.keys.versionKey(k)
		set := p.client.B().Set().Key(name).Value(formatVersion(randomVersion())).Nx().Get()
		if keep == driver.NoExpiry {
			cmds = append(cmds, set.Build(), p.client.B().Persist().Key(name).Build())
		} else {
			ms := millis(keep)
			cmds = append(cmds, set.PxMilliseconds(ms).Build(), p.client.B().Pexpire().Key(name).Milliseconds(ms).Gt().Build())
		}
		cmds = append(cmds, p.client.B().Get().Key(name).Build(), p.client.B().Pttl().Key(name).Build())
	}
	resps := p.client.DoMulti(ctx, cmds...)
	var lost groupFailures
	for i := range keys {
		for _, r := range resps[4*i : 4*i+2] {
			if err := r.Error(); err != nil && !valkey.IsValkeyNil(err) {
				if err := lost.add(p.Provider, keys, i, wrap("ensure versions", err)); err != nil {
					return nil, nil, err
				}
				break
			}
		}
	}
	versions, ttls, err := p.readVersionsTTL(resps, keys, 2, 4, "ensure versions")
	if err == nil {
		err = lost.err()
	}
	if err != nil {
		return nil, nil, err
	}
	return versions, ttls, nil
}

// readVersionsTTL reads the (GET, PTTL) reply pairs of keys, starting at
// offset and spaced by stride. On a cluster, keys of groups that could not
// be reached fail the call with a *driver.GroupsError naming those groups.
func (p *Provider) readVersionsTTL(resps []valkey.ValkeyResult, keys []driver.VersionKey, offset, stride int, op string) ([]driver.Version, []time.Duration, error) {
	versions := make([]driver.Version, len(keys))
	ttls := make([]time.Duration, len(keys))
	var lost groupFailures
	for i := range keys {
		v, err := readVersion(resps[offset+stride*i])
		var ttl time.Duration
		if err == nil {
			ttl, err = readTTL(resps[offset+stride*i+1])
		}
		if err != nil {
			if err := lost.add(p, keys, i, wrap(op, err)); err != nil {
				return nil, nil, err
			}
			continue
		}
		if ttl == 0 {
			v = 0
		}
		versions[i], ttls[i] = v, ttl
	}
	if err := lost.err(); err != nil {
		return nil, nil, err
	}
	return versions, ttls, nil
}

// readTTL turns a PTTL reply into a lifetime: 0 for a missing key,
// driver.NoExpiry for a key without expiry.
func readTTL(resp valkey.ValkeyResult) (time.Duration, error) {
	ms, err := resp.AsInt64()
	switch {
	case err != nil:
		return 0, err
	case ms == -1:
		return driver.NoExpiry, nil
	case ms < 0:
		return 0, nil
	case ms == 0: // expires within the millisecond
		return time.Millisecond, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}
