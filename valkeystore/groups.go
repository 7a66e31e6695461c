package valkeystore

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// groupCount is how many groups each namespace's entries are spread over.
// It is part of the key layout, the same in every process: processes that
// disagreed would look for entries and versions under different keys.
//
// More groups spread a namespace over more shards (a namespace lives on at
// most groupCount of them) and make each group's version copies colder;
// fewer make Clear and InvalidateTags cheaper (each bumps one copy per
// group) and keep fewer copies of a tag. With 32, a namespace on three
// primaries puts at most 11/32 (34 %) of its reads on one of them.
const groupCount = 32

// slotsPerGroup is the width of the slice of slots each group's tag is
// chosen in.
const slotsPerGroup = slotCount / groupCount

// groupOf is the group of an entry's key: FNV-1a of the key, so every
// process and every version of the library agrees on it.
func groupOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % groupCount)
}

// clampGroup keeps a caller's group number inside the table.
func clampGroup(g int) int {
	if g < 0 || g >= groupCount {
		return 0
	}
	return g
}

// nsGroups is one namespace's group tags and the key heads built from them.
type nsGroups struct {
	tags  [groupCount]string // esc(ns):<g>[.<n>], the hash tag of group g
	heads [groupCount]string // <prefix>{<tag>}
	slots [groupCount]uint16 // the hash slot of each tag
}

// appendEntryKey writes the entry name of id to b.
func (g *nsGroups) appendEntryKey(b *strings.Builder, id string) {
	b.WriteString(g.heads[groupOf(id)])
	b.WriteByte(entryMark)
	escapeTo(b, id, false)
}

func (g *nsGroups) entryKey(id string) string {
	head := g.heads[groupOf(id)]
	var b strings.Builder
	b.Grow(len(head) + 1 + len(id))
	b.WriteString(head)
	b.WriteByte(entryMark)
	escapeTo(&b, id, false)
	return b.String()
}

// groupTable remembers each namespace's groups, copied on write: a read
// is one map lookup without a lock, and namespaces are few and long-lived.
type groupTable struct {
	prefix string
	mu     sync.Mutex
	m      atomic.Pointer[map[string]*nsGroups]
}

func newGroupTable(prefix string) *groupTable {
	t := &groupTable{prefix: prefix}
	m := map[string]*nsGroups{}
	t.m.Store(&m)
	return t
}

// maxNamespacesKept bounds the table: past it, the table starts afresh
// (building a namespace's groups again costs about a thousand CRC16s).
const maxNamespacesKept = 4096

func (t *groupTable) of(ns string) *nsGroups {
	if g, ok := (*t.m.Load())[ns]; ok {
		return g
	}
	g := buildGroups(t.prefix, ns)
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := *t.m.Load()
	if have, ok := cur[ns]; ok {
		return have
	}
	next := make(map[string]*nsGroups, len(cur)+1)
	if len(cur) < maxNamespacesKept {
		for k, v := range cur {
			next[k] = v
		}
	}
	next[ns] = g
	t.m.Store(&next)
	return g
}

// buildGroups finds, for each group g, the first tag esc(ns):g, esc(ns):g.1,
// esc(ns):g.2, … whose slot falls in g's slice of the slot space. About
// groupCount tags are tried per group.
func buildGroups(prefix, ns string) *nsGroups {
	var esc strings.Builder
	escapeTo(&esc, ns, true)
	base := esc.String() + ":"
	g := &nsGroups{}
	for i := range groupCount {
		stem := base + strconv.Itoa(i)
		tag := stem
		// The bound is far above what the search needs (the chance that 64
		// groupCount tries all miss is below 2^-90); past it the last tag
		// tried is kept, which only spreads the namespace less evenly.
		for n := 1; int(crc16(tag)%slotCount)/slotsPerGroup != i && n < 64*groupCount; n++ {
			tag = stem + "." + strconv.Itoa(n)
		}
		g.tags[i] = tag
		g.heads[i] = prefix + "{" + tag + "}"
		g.slots[i] = crc16(tag) % slotCount
	}
	return g
}

// parseGroupPart reads <g> or <g>.<n> of a group tag.
func parseGroupPart(s string) (int, bool) {
	head, _, _ := strings.Cut(s, ".")
	g, err := strconv.Atoi(head)
	if err != nil || g < 0 || g >= groupCount || strconv.Itoa(g) != head {
		return 0, false
	}
	return g, true
}
