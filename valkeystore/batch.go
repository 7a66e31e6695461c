package valkeystore

import (
	"context"
	"strings"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// maxKeysPerCommand bounds one MGET or UNLINK so that no single command
// holds the server's main thread for long.
const maxKeysPerCommand = 512

// slotGroups splits key indices into groups whose keys may share a command:
// per slot on a cluster, and in chunks everywhere. Groups keep first-seen
// order so results map back deterministically.
func (p *Provider) slotGroups(names []string) [][]int {
	if !p.cluster {
		groups := make([][]int, 0, (len(names)+maxKeysPerCommand-1)/maxKeysPerCommand)
		all := make([]int, len(names))
		for i := range all {
			all[i] = i
		}
		for len(all) > 0 {
			n := min(len(all), maxKeysPerCommand)
			groups = append(groups, all[:n:n])
			all = all[n:]
		}
		return groups
	}
	var groups [][]int
	open := map[uint16]int{}
	for i, name := range names {
		var s uint16
		if p.cluster {
			s = slot(name)
		}
		g, ok := open[s]
		if !ok || len(groups[g]) == maxKeysPerCommand {
			g = len(groups)
			groups = append(groups, make([]int, 0, 1))
			open[s] = g
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// entryKeys builds the names of many entries in one buffer: one
// allocation for all of them rather than one each.
func (p *Provider) entryKeys(keys []driver.Key) []string {
	names := make([]string, len(keys))
	ends := make([]int, len(keys))
	size := 0
	for _, k := range keys {
		size += len(p.keys.prefix) + len(k.Namespace) + len(k.ID) + 16
	}
	var b strings.Builder
	b.Grow(size)
	var groups *nsGroups
	for i, k := range keys {
		if groups == nil || (i > 0 && k.Namespace != keys[i-1].Namespace) {
			groups = p.keys.groups.of(k.Namespace)
		}
		groups.appendEntryKey(&b, k.ID)
		ends[i] = b.Len()
	}
	all := b.String()
	start := 0
	for i, end := range ends {
		names[i] = all[start:end]
		start = end
	}
	return names
}

func pick(names []string, idx []int) []string {
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = names[i]
	}
	return out
}

// GetMany implements driver.BatchGetter: one MGET per slot group, all
// pipelined in one round trip per node.
func (p *Provider) GetMany(ctx context.Context, keys []driver.Key) ([][]byte, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	ctx, cancel := p.deadline(ctx, p.cfg.BulkTimeout)
	defer cancel()
	names := p.entryKeys(keys)
	groups := p.slotGroups(names)
	cmds := make(valkey.Commands, len(groups))
	for g, idx := range groups {
		cmds[g] = p.client.B().Mget().Key(pick(names, idx)...).Build()
	}
	out := make([][]byte, len(keys))
	failed := map[int]error{}
	for g, resp := range p.client.DoMulti(ctx, cmds...) {
		values, err := resp.ToArray()
		if err == nil && len(values) != len(groups[g]) {
			err = errShortReply
		}
		if err != nil {
			for _, i := range groups[g] {
				failed[i] = wrap("get many", err)
			}
			continue
		}
		for j, i := range groups[g] {
			b, err := values[j].AsBytes()
			switch {
			case valkey.IsValkeyNil(err), err == nil && isPlaceholder(b):
			case err != nil:
				failed[i] = wrap("get many", err)
			case b == nil:
				out[i] = []byte{}
			default:
				out[i] = b
			}
		}
	}
	return out, batchResult(failed)
}

// SetMany implements driver.BatchSetter: a pipelined SET … PX per item.
// Items rejected before sending (bad TTL, too large) are reported with the
// rest; the valid ones are still written.
func (p *Provider) SetMany(ctx context.Context, items []driver.Item) error {
	if err := p.gate(); err != nil {
		return err
	}
	failed := map[int]error{}
	cmds := make(valkey.Commands, 0, len(items))
	sent := make([]int, 0, len(items))
	for i, it := range items {
		cmd, err := p.setCommand(it.Key, it.Value, it.TTL)
		if err != nil {
			failed[i] = err
			continue
		}
		cmds = append(cmds, cmd)
		sent = append(sent, i)
	}
	if len(cmds) > 0 {
		ctx, cancel := p.deadline(ctx, p.cfg.BulkTimeout)
		defer cancel()
		for j, resp := range p.client.DoMulti(ctx, cmds...) {
			if err := resp.Error(); err != nil {
				failed[sent[j]] = wrap("set many", err)
			}
		}
	}
	return batchResult(failed)
}

// DeleteMany implements driver.BatchDeleter: one UNLINK per slot group.
func (p *Provider) DeleteMany(ctx context.Context, keys []driver.Key) error {
	if err := p.gate(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	ctx, cancel := p.deadline(ctx, p.cfg.BulkTimeout)
	defer cancel()
	return p.unlink(ctx, p.entryKeys(keys))
}

// unlink removes names, grouped by slot; failures are reported by index.
func (p *Provider) unlink(ctx context.Context, names []string) error {
	groups := p.slotGroups(names)
	cmds := make(valkey.Commands, len(groups))
	for g, idx := range groups {
		cmds[g] = p.client.B().Unlink().Key(pick(names, idx)...).Build()
	}
	failed := map[int]error{}
	for g, resp := range p.client.DoMulti(ctx, cmds...) {
		if err := resp.Error(); err != nil {
			for _, i := range groups[g] {
				failed[i] = wrap("delete", err)
			}
		}
	}
	return batchResult(failed)
}

func batchResult(failed map[int]error) error {
	if len(failed) == 0 {
		return nil
	}
	return &driver.BatchError{Failed: failed}
}
