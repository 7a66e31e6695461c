package valkeystore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

var _ driver.Versioner = (*Provider)(nil)

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

// Versions implements driver.Versioner: one pipelined GET per key.
func (p *Provider) Versions(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	cmds := make(valkey.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = p.client.B().Get().Key(p.keys.versionKey(k)).Build()
	}
	out := make([]driver.Version, len(keys))
	for i, resp := range p.client.DoMulti(ctx, cmds...) {
		v, err := readVersion(resp)
		if err != nil {
			return nil, wrap("versions", err)
		}
		out[i] = v
	}
	return out, nil
}

// EnsureVersions implements driver.Versioner. Per key, pipelined:
//
//	SET k <random> NX GET [PX ttl]   creates a missing key, returns an existing one's version
//	PEXPIRE k ttl GT  (or PERSIST)   extends its life; never shortens it, never changes the version
//
// Both commands leave the version alone when the key exists, so a bump
// landing between them is kept.
func (p *Provider) EnsureVersions(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	if !driver.ValidTTL(ttl) {
		return nil, fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	fresh := make([]driver.Version, len(keys))
	cmds := make(valkey.Commands, 0, 2*len(keys))
	for i, k := range keys {
		name := p.keys.versionKey(k)
		fresh[i] = randomVersion()
		set := p.client.B().Set().Key(name).Value(formatVersion(fresh[i])).Nx().Get()
		if ttl == driver.NoExpiry {
			cmds = append(cmds, set.Build(), p.client.B().Persist().Key(name).Build())
			continue
		}
		ms := millis(ttl)
		cmds = append(cmds, set.PxMilliseconds(ms).Build(), p.client.B().Pexpire().Key(name).Milliseconds(ms).Gt().Build())
	}
	resps := p.client.DoMulti(ctx, cmds...)
	out := make([]driver.Version, len(keys))
	for i := range keys {
		if err := resps[2*i+1].Error(); err != nil {
			return nil, wrap("ensure versions", err)
		}
		old, err := readVersion(resps[2*i])
		if err != nil {
			return nil, wrap("ensure versions", err)
		}
		if out[i] = old; old == 0 {
			out[i] = fresh[i]
		}
	}
	return out, nil
}

// BumpVersions implements driver.Versioner: SET k <random> XX KEEPTTL per
// key, pipelined, which changes existing keys only and keeps their expiry.
func (p *Provider) BumpVersions(ctx context.Context, keys []driver.VersionKey) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
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

// GetVersioned implements driver.Versioner: the entry's GET and the version
// GETs go out in one pipeline, so they cost one round trip together.
func (p *Provider) GetVersioned(ctx context.Context, key driver.Key, vkeys []driver.VersionKey) ([]byte, bool, []driver.Version, error) {
	if err := p.gate(); err != nil {
		return nil, false, nil, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	cmds := make(valkey.Commands, 1+len(vkeys))
	cmds[0] = p.client.B().Get().Key(p.keys.entryKey(key)).Build()
	for i, k := range vkeys {
		cmds[1+i] = p.client.B().Get().Key(p.keys.versionKey(k)).Build()
	}
	resps := p.client.DoMulti(ctx, cmds...)
	b, err := resps[0].AsBytes()
	if valkey.IsValkeyNil(err) || (err == nil && isPlaceholder(b)) {
		return nil, false, nil, nil
	}
	if err != nil {
		return nil, false, nil, wrap("get", err)
	}
	versions := make([]driver.Version, len(vkeys))
	for i := range vkeys {
		if versions[i], err = readVersion(resps[1+i]); err != nil {
			return nil, false, nil, wrap("get", err)
		}
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, versions, nil
}

// SetVersioned implements driver.Versioner: the SET and the version GETs go
// out in one pipeline.
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
