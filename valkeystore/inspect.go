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

// NamespaceInfo is what a namespace holds in the store, by kind of key.
type NamespaceInfo struct {
	Name string
	// Entries counts entries stored as values (strings: envelopes, and
	// markers of loads in progress), and ValueBytes their length.
	Entries    int
	ValueBytes int64
	// FieldEntries counts entries stored as fields (hashes, written through
	// driver.FieldStore: package session's sessions), and Fields their
	// fields.
	FieldEntries int
	Fields       int64
	// Tags counts the namespace's tag version keys; Versioned says whether
	// its own version key exists (it has been read with versions, or
	// cleared).
	Tags      int
	Versioned bool
	// Locks counts the locks of package lock under this namespace, and
	// RateLimits the keys of package ratelimit; IndexKeys counts the keys
	// of the namespace's search index (package search).
	Locks      int
	RateLimits int
	IndexKeys  int
	// Other counts the rest under the namespace: refresh elections, and
	// keys holding a type valcache does not write there.
	Other int
	// MemoryBytes is what the server reports all these keys use (MEMORY
	// USAGE, which samples large hashes); -1 when the server would not say.
	MemoryBytes int64
}

// Namespaces lists the namespaces that have keys under the provider's
// prefixes, in name order, by scanning every primary (SCAN MATCH, never
// KEYS) for the provider's keys and for its search index keys. Each key is
// counted by its kind and its type (TYPE, then STRLEN of a value, HLEN of
// a field entry, and MEMORY USAGE of every key, pipelined per batch), so
// that every kind of key valcache writes is listed and none makes the
// listing fail. It is bounded by Config.FlushTimeout.
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
	var keys, index strings.Builder
	globQuoteTo(&keys, p.keys.prefix)
	keys.WriteString(`\{*`)
	patterns := []string{keys.String()}
	if p.keys.indexPrefix != p.keys.prefix { // else the first pattern has them
		globQuoteTo(&index, p.keys.indexPrefix)
		index.WriteString(`\{%idx:*`)
		patterns = append(patterns, index.String())
	}
	found := map[string]*NamespaceInfo{}
	tags := map[*NamespaceInfo]map[string]struct{}{}
	for addr, node := range nodes {
		for _, pattern := range patterns {
			if err := p.countNode(ctx, node, pattern, found, tags); err != nil {
				return nil, fmt.Errorf("valkeystore: list namespaces on %s: %w", addr, err)
			}
		}
	}
	out := make([]NamespaceInfo, 0, len(found))
	for _, ns := range found {
		out = append(out, *ns)
	}
	slices.SortFunc(out, func(a, b NamespaceInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// scanned is one key of a SCAN batch, classified.
type scanned struct {
	name string
	kind keyKind
	info *NamespaceInfo
	typ  string
}

// countNode counts one node's keys; tags collects each namespace's tag
// names, since a tag has a version copy per slot group of its entries.
func (p *Provider) countNode(ctx context.Context, node valkey.Client, pattern string, found map[string]*NamespaceInfo, tags map[*NamespaceInfo]map[string]struct{}) error {
	var cursor uint64
	for {
		entry, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(scanCount).Build()).AsScanEntry()
		if err != nil {
			return err
		}
		var batch []scanned
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
			batch = append(batch, scanned{name: name, kind: kind, info: info})
		}
		if err := p.countBatch(ctx, batch, tags); err != nil {
			return err
		}
		if cursor = entry.Cursor; cursor == 0 {
			return nil
		}
	}
}

// countBatch adds a batch of keys to their namespaces: first each key's
// type, then the sizes that type has.
func (p *Provider) countBatch(ctx context.Context, batch []scanned, tags map[*NamespaceInfo]map[string]struct{}) error {
	if len(batch) == 0 {
		return nil
	}
	types := make(valkey.Commands, len(batch))
	for i, k := range batch {
		types[i] = p.client.B().Type().Key(k.name).Build()
	}
	for i, resp := range p.client.DoMulti(ctx, types...) {
		typ, err := resp.ToString()
		if err != nil {
			return err
		}
		batch[i].typ = typ
	}
	// Each size command adds its answer to one counter of the key's
	// namespace; MEMORY USAGE answers go to MemoryBytes. (Commands are
	// recycled once sent, so which is which is noted beforehand.)
	var sizes valkey.Commands
	var to []*int64
	var memory []bool
	for _, k := range batch {
		if k.typ == "none" { // gone since the scan
			continue
		}
		info := k.info
		switch {
		case k.kind == keyEntry && k.typ == "string":
			info.Entries++
			sizes = append(sizes, p.client.B().Strlen().Key(k.name).Build())
			to, memory = append(to, &info.ValueBytes), append(memory, false)
		case k.kind == keyEntry && k.typ == "hash":
			info.FieldEntries++
			sizes = append(sizes, p.client.B().Hlen().Key(k.name).Build())
			to, memory = append(to, &info.Fields), append(memory, false)
		case k.kind == keyTagVersion:
			if vk, ok := p.keys.parseVersionKey(k.name); ok {
				if tags[info] == nil {
					tags[info] = map[string]struct{}{}
				}
				tags[info][vk.Tag] = struct{}{}
				info.Tags = len(tags[info])
			}
		case k.kind == keyNamespaceVersion:
			info.Versioned = true
		case k.kind == keyLock:
			info.Locks++
		case k.kind == keyFence: // counted with its lock
		case k.kind == keyRate:
			info.RateLimits++
		case k.kind == keyIndex:
			info.IndexKeys++
		default:
			info.Other++
		}
		sizes = append(sizes, p.client.B().MemoryUsage().Key(k.name).Build())
		to, memory = append(to, &info.MemoryBytes), append(memory, true)
	}
	if len(sizes) == 0 {
		return nil
	}
	for i, resp := range p.client.DoMulti(ctx, sizes...) {
		n, err := resp.AsInt64()
		switch {
		case valkey.IsValkeyNil(err): // gone since the scan
		case err != nil && memory[i] && isValkeyErr(err):
			*to[i] = -1 // refused, as some managed services do: unknown
		case err != nil:
			return err
		case !memory[i] || *to[i] >= 0:
			*to[i] += n
		}
	}
	return nil
}

func isValkeyErr(err error) bool {
	_, ok := valkey.IsValkeyErr(err)
	return ok
}

// keyKind is what a key valcache writes is, by its shape.
type keyKind int

const (
	keyEntry keyKind = iota
	keyTagVersion
	keyNamespaceVersion
	keyLock
	keyFence
	keyRate
	keyIndex
	keyOther // a per-entry key of another kind, such as a refresh election
)

// classify names the namespace of a key the provider wrote and its kind.
// Names not of the provider's layout report false.
func (l layout) classify(name string) (string, keyKind, bool) {
	if rest, ok := strings.CutPrefix(name, l.indexPrefix+"{%idx:"); ok {
		tag, _, ok := strings.Cut(rest, "}")
		if esc, shard, ok2 := cutLast(tag, ':'); ok && ok2 && shard != "" && !strings.ContainsAny(tag, "{") {
			return unescape(esc), keyIndex, true
		}
		return "", 0, false
	}
	if rest, ok := strings.CutPrefix(name, l.prefix+"{%"); ok {
		// Coordination keys: {%lock:N:L}, its :fence, and {%rate:N:K}.
		tag, suffix, ok := strings.Cut("%"+rest, "}")
		if !ok || strings.Contains(tag, "{") {
			return "", 0, false
		}
		for _, c := range []struct {
			kind   string
			suffix string
			is     keyKind
		}{{lockKind, "", keyLock}, {lockKind, ":fence", keyFence}, {rateKind, "", keyRate}} {
			if body, ok := strings.CutPrefix(tag, c.kind); ok && suffix == c.suffix {
				if ns, _, ok := strings.Cut(body, ":"); ok {
					return unescape(ns), c.is, true
				}
			}
		}
		return "", 0, false
	}
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

// cutLast splits s around its last sep.
func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// StoredEntry is one entry key as the store holds it.
type StoredEntry struct {
	// Key is the entry's name in Valkey.
	Key string
	// Found is false when the key does not exist.
	Found bool
	// Type is the key's Valkey type: "string" for an entry stored as a
	// value, "hash" for a field entry (driver.FieldStore, package session),
	// anything else for a key valcache does not write.
	Type string
	// Value is the stored bytes of a string entry (an envelope, as the
	// valcache command's inspect shows it), nil when the key holds a marker
	// instead.
	Value []byte
	// Fields are the fields of a field entry.
	Fields map[string][]byte
	// Marker describes a marker held in place of a value: a load in
	// progress, or a load that just failed.
	Marker string
	// TTL is the remaining life; driver.NoExpiry when the key has none.
	TTL time.Duration
}

// Entry reads the entry of namespace under id as stored, whatever its
// type: its bytes, or its fields, and its remaining life (TYPE, PTTL and
// GET pipelined, then HGETALL for a field entry), without decoding or
// checking its versions.
func (p *Provider) Entry(ctx context.Context, namespace, id string) (StoredEntry, error) {
	if err := p.gate(); err != nil {
		return StoredEntry{}, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.OperationTimeout)
	defer cancel()
	name := p.keys.entryKey(driver.Key{Namespace: namespace, ID: id})
	out := StoredEntry{Key: name}
	resps := p.client.DoMulti(ctx,
		p.client.B().Type().Key(name).Build(),
		p.client.B().Pttl().Key(name).Build(),
		p.client.B().Get().Key(name).Build())
	typ, err := resps[0].ToString()
	if err != nil {
		return StoredEntry{}, wrap("type "+name, err)
	}
	if typ == "none" {
		return out, nil
	}
	ms, err := resps[1].AsInt64()
	if err != nil {
		return StoredEntry{}, wrap("pttl "+name, err)
	}
	out.Found, out.Type = true, typ
	switch {
	case ms == -1:
		out.TTL = driver.NoExpiry
	case ms >= 0:
		out.TTL = time.Duration(ms) * time.Millisecond
	}
	switch typ {
	case "string":
		b, err := resps[2].AsBytes()
		if valkey.IsValkeyNil(err) { // expired between the commands
			return StoredEntry{Key: name}, nil
		}
		if err != nil {
			return StoredEntry{}, wrap("get "+name, err)
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
	case "hash":
		m, err := p.client.Do(ctx, p.client.B().Hgetall().Key(name).Build()).AsStrMap()
		if err != nil {
			return StoredEntry{}, wrap("hgetall "+name, err)
		}
		out.Fields = make(map[string][]byte, len(m))
		for k, v := range m {
			out.Fields[k] = []byte(v)
		}
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
