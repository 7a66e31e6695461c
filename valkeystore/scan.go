package valkeystore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/valcache/valcache/driver"
)

var _ driver.Scanner = (*Provider)(nil)

// ScanNamespace implements driver.Scanner with SCAN MATCH on each primary in
// turn. The cursor is "<primary index>:<SCAN cursor>", primaries in address
// order; it stays meaningful as long as the set of primaries does.
func (p *Provider) ScanNamespace(ctx context.Context, namespace, cursor string, count int) ([]driver.Key, string, error) {
	if err := p.gate(); err != nil {
		return nil, "", err
	}
	node, pos, err := parseScanCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.BulkTimeout)
	defer cancel()
	nodes, err := p.primaries(ctx)
	if err != nil {
		return nil, "", err
	}
	addrs := make([]string, 0, len(nodes))
	for a := range nodes {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	if node >= len(addrs) {
		return nil, "", nil
	}
	client := nodes[addrs[node]]
	entry, err := client.Do(ctx, client.B().Scan().Cursor(pos).Match(p.keys.namespacePattern(namespace)).Count(int64(max(count, 1))).Build()).AsScanEntry()
	if err != nil {
		return nil, "", wrap("scan", err)
	}
	keys := make([]driver.Key, 0, len(entry.Elements))
	for _, name := range entry.Elements {
		if k, ok := p.keys.parseEntryKey(name); ok && k.Namespace == namespace {
			keys = append(keys, k)
		}
	}
	switch {
	case entry.Cursor != 0:
		return keys, fmt.Sprintf("%d:%d", node, entry.Cursor), nil
	case node+1 < len(addrs):
		return keys, fmt.Sprintf("%d:0", node+1), nil
	}
	return keys, "", nil
}

func parseScanCursor(cursor string) (int, uint64, error) {
	if cursor == "" {
		return 0, 0, nil
	}
	node, pos, ok := strings.Cut(cursor, ":")
	n, err1 := strconv.Atoi(node)
	c, err2 := strconv.ParseUint(pos, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 0 {
		return 0, 0, fmt.Errorf("valkeystore: bad scan cursor %q", cursor)
	}
	return n, c, nil
}
