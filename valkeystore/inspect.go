package valkeystore

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// The methods of this file are for operators looking at a store from
// outside (the valcache command's inspect), not for caches: they scan,
// which costs the server work in proportion to its size.

// NamespaceInfo is what a namespace holds in the store.
type NamespaceInfo struct {
	Name string
	// Entries counts entry keys (loads in progress included), and
	// ValueBytes the length of their values.
	Entries    int
	ValueBytes int64
	// Tags counts the namespace's tag version keys; Versioned says whether
	// its own version key exists (it has been read with versions, or
	// cleared).
	Tags      int
	Versioned bool
}

// Namespaces lists the namespaces that have keys under the provider's
// prefix, in name order, by scanning every primary (SCAN MATCH, never KEYS)
// and reading the length of each entry (STRLEN, pipelined per batch). Keys
// of locks and rate limits are left out. It is bounded by
// Config.FlushTimeout.
func (p *Provider) Namespaces(ctx context.Context) ([]NamespaceInfo, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.FlushTimeout)
	defer cancel()
	nodes, err := p.primaries(ctx)
	if err != nil {
		return nil, err
	}
	var pattern strings.Builder
	globQuoteTo(&pattern, p.keys.prefix)
	pattern.WriteString(`\{*`)
	found := map[string]*NamespaceInfo{}
	for addr, node := range nodes {
		if err := p.countNode(ctx, node, pattern.String(), found); err != nil {
			return nil, fmt.Errorf("valkeystore: list namespaces on %s: %w", addr, err)
		}
	}
	out := make([]NamespaceInfo, 0, len(found))
	for _, ns := range found {
		out = append(out, *ns)
	}
	slices.SortFunc(out, func(a, b NamespaceInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (p *Provider) countNode(ctx context.Context, node valkey.Client, pattern string, found map[string]*NamespaceInfo) error {
	var cursor uint64
	for {
		entry, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(scanCount).Build()).AsScanEntry()
		if err != nil {
			return err
		}
		var lens valkey.Commands
		var lensOf []*NamespaceInfo
		for _, name := range entry.Elements {
			ns, kind, ok := p.keys.classify(name)
			if !ok {
				continue
			}
			info := found[ns]
			if info == nil {
				info = &NamespaceInfo{Name: ns}
				found[ns] = info
			}
			switch kind {
			case keyEntry:
				info.Entries++
				lens = append(lens, p.client.B().Strlen().Key(name).Build())
				lensOf = append(lensOf, info)
			case keyTagVersion:
				info.Tags++
			case keyNamespaceVersion:
				info.Versioned = true
			}
		}
		if len(lens) > 0 {
			for i, resp := range p.client.DoMulti(ctx, lens...) {
				n, err := resp.AsInt64()
				if err != nil {
					return err
				}
				lensOf[i].ValueBytes += n
			}
		}
		if cursor = entry.Cursor; cursor == 0 {
			return nil
		}
	}
}

// keyKind is what a key under the prefix is, by its shape.
type keyKind int

const (
	keyEntry keyKind = iota
	keyTagVersion
	keyNamespaceVersion
	keyOther // a per-entry key of another kind, such as a refresh election
)

// classify names the namespace of a key the provider wrote and its kind.
// Keys of locks and rate limits, and names not of this layout, report false.
func (l layout) classify(name string) (string, keyKind, bool) {
	ns, _, rest, ok := l.splitGrouped(name)
	if !ok {
		return "", 0, false
	}
	kind := keyOther
	switch {
	case len(rest) > 0 && rest[0] == entryMark:
		kind = keyEntry
	case rest == namespaceVersion:
		kind = keyNamespaceVersion
	case strings.HasPrefix(rest, tagVersion):
		kind = keyTagVersion
	}
	return ns, kind, true
}

// StoredEntry is one entry key as the store holds it.
type StoredEntry struct {
	// Key is the entry's name in Valkey.
	Key string
	// Found is false when the key does not exist.
	Found bool
	// Value is the stored bytes (an envelope; see valcache.DescribeEntry),
	// nil when the key holds a marker instead.
	Value []byte
	// Marker describes a marker held in place of a value: a load in
	// progress, or a load that just failed.
	Marker string
	// TTL is the remaining life; driver.NoExpiry when the key has none.
	TTL time.Duration
}

// Entry reads the entry of namespace under id as stored: its bytes and
// remaining life (GET and PTTL, pipelined), without decoding or checking
// its versions.
func (p *Provider) Entry(ctx context.Context, namespace, id string) (StoredEntry, error) {
	if err := p.gate(); err != nil {
		return StoredEntry{}, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.OperationTimeout)
	defer cancel()
	name := p.keys.entryKey(driver.Key{Namespace: namespace, ID: id})
	out := StoredEntry{Key: name}
	resps := p.client.DoMulti(ctx,
		p.client.B().Get().Key(name).Build(),
		p.client.B().Pttl().Key(name).Build())
	b, err := resps[0].AsBytes()
	if valkey.IsValkeyNil(err) {
		return out, nil
	}
	if err != nil {
		return StoredEntry{}, wrap("get "+name, err)
	}
	ms, err := resps[1].AsInt64()
	if err != nil {
		return StoredEntry{}, wrap("pttl "+name, err)
	}
	out.Found = true
	switch {
	case ms == -1:
		out.TTL = driver.NoExpiry
	case ms >= 0:
		out.TTL = time.Duration(ms) * time.Millisecond
	}
	switch {
	case strings.HasPrefix(string(b), placeholderPrefix):
		out.Marker = "load in progress"
	case strings.HasPrefix(string(b), failurePrefix):
		out.Marker = "load failed: " + strings.TrimPrefix(string(b), failurePrefix)
	case isPlaceholder(b):
		out.Marker = "marker " + strconv.Quote(string(b))
	default:
		out.Value = b
	}
	return out, nil
}

// NodeInfo is what one server says about itself that matters to a cache.
type NodeInfo struct {
	Addr    string
	Role    string // "master" or "slave", as INFO names them
	Server  string // "valkey" or "redis"
	Version string

	MaxmemoryPolicy string
	Maxmemory       int64 // bytes; 0 is no limit
	UsedMemory      int64

	Keys             int64 // in the provider's database
	ConnectedClients int64
	// TrackingClients are connections with client-side caching on (the
	// two-level provider's, among others), and TrackedKeys the keys the
	// server remembers for them.
	TrackingClients int64
	TrackedKeys     int64

	EvictedKeys    int64
	ExpiredKeys    int64
	KeyspaceHits   int64
	KeyspaceMisses int64
}

// Servers reads INFO and DBSIZE from every node the provider is connected
// to, in address order: the single node, or a cluster's primaries (and its
// replicas too with Config.ReplicaReads).
func (p *Provider) Servers(ctx context.Context) ([]NodeInfo, error) {
	if err := p.gate(); err != nil {
		return nil, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.BulkTimeout)
	defer cancel()
	nodes := p.client.Nodes()
	addrs := make([]string, 0, len(nodes))
	for a := range nodes {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	out := make([]NodeInfo, 0, len(addrs))
	for _, addr := range addrs {
		node := nodes[addr]
		resps := node.DoMulti(ctx, node.B().Info().Build(), node.B().Dbsize().Build())
		text, err := resps[0].ToString()
		if err != nil {
			return nil, wrap("info on "+addr, err)
		}
		keys, err := resps[1].AsInt64()
		if err != nil {
			return nil, wrap("dbsize on "+addr, err)
		}
		info := parseInfo(text)
		n := NodeInfo{
			Addr: addr, Role: info["role"], Server: "redis", Version: info["redis_version"],
			MaxmemoryPolicy: info["maxmemory_policy"], Keys: keys,
		}
		if v, ok := info["valkey_version"]; ok {
			n.Server, n.Version = "valkey", v
		}
		for field, dst := range map[string]*int64{
			"maxmemory": &n.Maxmemory, "used_memory": &n.UsedMemory,
			"connected_clients": &n.ConnectedClients, "tracking_clients": &n.TrackingClients,
			"tracking_total_keys": &n.TrackedKeys, "evicted_keys": &n.EvictedKeys,
			"expired_keys": &n.ExpiredKeys, "keyspace_hits": &n.KeyspaceHits,
			"keyspace_misses": &n.KeyspaceMisses,
		} {
			*dst, _ = strconv.ParseInt(info[field], 10, 64)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseInfo reads INFO's "field:value" lines; section headers and blank
// lines are skipped.
func parseInfo(text string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}
