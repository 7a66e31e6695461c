package valkeystore

import (
	"strings"

	"github.com/valcache/valcache/driver"
)

// layout builds the provider's keys; see docs/key-layout.md.
//
// Entries of a namespace are spread over groupCount groups, and each group
// has a hash tag of its own: every entry of the group and every copy of the
// versions that guard it (the namespace's, and each tag's) share the tag,
// so on a cluster they live in one slot and are read from one node, in one
// command. The group tags are chosen so that group g lands in the g-th
// slice of the slot space: a cluster whose primaries own equal slot ranges
// serves equal shares of a namespace.
type layout struct {
	prefix      string
	indexPrefix string // starts search index keys; see index.go
	groups      *groupTable
}

func newLayout(prefix, indexPrefix string) layout {
	return layout{prefix: prefix, indexPrefix: indexPrefix, groups: newGroupTable(prefix)}
}

// Suffixes after a group's closing brace say what a key holds. Entries
// continue with ':' and the escaped key; version copies with '#'; a
// background refresh's election with '!'. Only the first byte after the
// brace is read as the kind, so a user's key can never be taken for
// another kind of key.
const (
	entryMark        = ':'
	versionMark      = '#'
	refreshMark      = '!'
	namespaceVersion = "#ns"
	tagVersion       = "#t:"
	refreshSuffix    = "!r:"
)

// entryKey is <prefix>{esc(ns):<group>}:esc(id).
func (l layout) entryKey(k driver.Key) string {
	g := l.groups.of(k.Namespace)
	return g.entryKey(k.ID)
}

// refreshKey is where a background refresh of k is elected, in k's slot.
func (l layout) refreshKey(k driver.Key) string {
	return suffixed(l.groups.of(k.Namespace).heads[groupOf(k.ID)], refreshSuffix, k.ID)
}

// versionKey is where a version's copy for one group lives:
// <prefix>{esc(ns):<group>}#ns for the namespace's own,
// <prefix>{esc(ns):<group>}#t:esc(tag) for a tag's.
func (l layout) versionKey(k driver.VersionKey) string {
	head := l.groups.of(k.Namespace).heads[clampGroup(k.Group)]
	if k.Tag == "" {
		return head + namespaceVersion
	}
	return suffixed(head, tagVersion, k.Tag)
}

// suffixed is a group's head, a kind's suffix, and an escaped name.
func suffixed(head, kind, name string) string {
	var b strings.Builder
	b.Grow(len(head) + len(kind) + len(name))
	b.WriteString(head)
	b.WriteString(kind)
	escapeTo(&b, name, false)
	return b.String()
}

// namespacePattern is a SCAN MATCH pattern for every key of ns's groups:
// the prefix and namespace glob-quoted, then any group and suffix.
func (l layout) namespacePattern(ns string) string {
	var esc strings.Builder
	escapeTo(&esc, ns, true)
	var b strings.Builder
	globQuoteTo(&b, l.prefix)
	b.WriteString(`\{`)
	globQuoteTo(&b, esc.String())
	b.WriteString(":*")
	return b.String()
}

// escapeTo writes s with '%', '{' and '}' (and ':' when colon is set)
// percent-escaped. Plain keys, the common case, are written in one go.
func escapeTo(b *strings.Builder, s string, colon bool) {
	if !needsEscape(s, colon) {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			b.WriteString("%25")
		case c == '{':
			b.WriteString("%7B")
		case c == '}':
			b.WriteString("%7D")
		case c == ':' && colon:
			b.WriteString("%3A")
		default:
			b.WriteByte(c)
		}
	}
}

// needsEscape reports whether s holds a byte escapeTo changes: a plain
// loop, since this runs for every key of every call.
func needsEscape(s string, colon bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%', '{', '}':
			return true
		case ':':
			if colon {
				return true
			}
		}
	}
	return false
}

// globQuoteTo backslash-quotes the characters SCAN MATCH treats as special.
func globQuoteTo(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\', '{', '}', '^', '-':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// splitGrouped parses <prefix>{esc(ns):<group>}<rest> into the namespace,
// the group and what follows the brace. The group tag must be exactly the
// one the layout gives that namespace and group, so keys of an older
// layout, or of another application, are not taken for valcache's.
func (l layout) splitGrouped(name string) (ns string, group int, rest string, ok bool) {
	body, ok := strings.CutPrefix(name, l.prefix+"{")
	if !ok {
		return "", 0, "", false
	}
	end := strings.IndexByte(body, '}')
	if end < 0 {
		return "", 0, "", false
	}
	tag, rest := body[:end], body[end+1:]
	escNS, groupPart, ok := strings.Cut(tag, ":")
	if !ok || strings.ContainsAny(escNS, "{") {
		return "", 0, "", false
	}
	group, ok = parseGroupPart(groupPart)
	if !ok {
		return "", 0, "", false
	}
	ns = unescape(escNS)
	if l.groups.of(ns).tags[group] != tag {
		return "", 0, "", false
	}
	return ns, group, rest, true
}

// parseEntryKey reverses entryKey. Names that are not entry keys (version
// copies, refresh elections, other applications' keys) report false.
func (l layout) parseEntryKey(name string) (driver.Key, bool) {
	ns, _, rest, ok := l.splitGrouped(name)
	if !ok || len(rest) == 0 || rest[0] != entryMark {
		return driver.Key{}, false
	}
	return driver.Key{Namespace: ns, ID: unescape(rest[1:])}, true
}

// parseVersionKey reverses versionKey.
func (l layout) parseVersionKey(name string) (driver.VersionKey, bool) {
	ns, group, rest, ok := l.splitGrouped(name)
	if !ok {
		return driver.VersionKey{}, false
	}
	if rest == namespaceVersion {
		return driver.VersionKey{Namespace: ns, Group: group}, true
	}
	tag, ok := strings.CutPrefix(rest, tagVersion)
	if !ok || tag == "" {
		return driver.VersionKey{}, false
	}
	return driver.VersionKey{Namespace: ns, Tag: unescape(tag), Group: group}, true
}

// unescape reverses escapeTo; the input came from escapeTo, so every '%' is
// followed by one of the four codes.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	r := strings.NewReplacer("%25", "%", "%7B", "{", "%7D", "}", "%3A", ":")
	return r.Replace(s)
}

// isVersionKey reports whether name has the shape of a version copy: a
// '#' right after the first closing brace.
func isVersionKey(name string) bool {
	end := strings.IndexByte(name, '}')
	return end >= 0 && end+1 < len(name) && name[end+1] == versionMark
}
