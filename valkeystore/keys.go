package valkeystore

import (
	"strings"

	"github.com/valcache/valcache/driver"
)

// layout builds the provider's keys; see the package documentation.
type layout struct {
	prefix      string
	indexPrefix string // starts search index keys; see index.go
}

// entryKey is <prefix>{esc(ns):esc(id)}.
func (l layout) entryKey(k driver.Key) string {
	var b strings.Builder
	b.Grow(len(l.prefix) + len(k.Namespace) + len(k.ID) + 3)
	b.WriteString(l.prefix)
	b.WriteByte('{')
	escapeTo(&b, k.Namespace, true)
	b.WriteByte(':')
	escapeTo(&b, k.ID, false)
	b.WriteByte('}')
	return b.String()
}

// namespacePattern is a SCAN MATCH pattern for every entry key of ns: the
// prefix and namespace glob-quoted, then any key.
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
	special := "%{}"
	if colon {
		special = "%{}:"
	}
	if !strings.ContainsAny(s, special) {
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

// versionKey is where a version lives: <prefix>{esc(ns)}:ns for the
// namespace's own, <prefix>{esc(ns):esc(tag)}:tag for a tag's. Both
// continue after the closing brace, so neither can equal an entry key.
func (l layout) versionKey(k driver.VersionKey) string {
	var b strings.Builder
	b.Grow(len(l.prefix) + len(k.Namespace) + len(k.Tag) + 8)
	b.WriteString(l.prefix)
	b.WriteByte('{')
	escapeTo(&b, k.Namespace, true)
	if k.Tag == "" {
		b.WriteString("}:ns")
		return b.String()
	}
	b.WriteByte(':')
	escapeTo(&b, k.Tag, false)
	b.WriteString("}:tag")
	return b.String()
}

// parseEntryKey reverses entryKey. Names that are not entry keys (version
// keys, other applications' keys) report false.
func (l layout) parseEntryKey(name string) (driver.Key, bool) {
	rest, ok := strings.CutPrefix(name, l.prefix+"{")
	if !ok || !strings.HasSuffix(rest, "}") {
		return driver.Key{}, false
	}
	ns, id, ok := strings.Cut(rest[:len(rest)-1], ":")
	if !ok || strings.ContainsAny(rest[:len(rest)-1], "{}") {
		return driver.Key{}, false
	}
	return driver.Key{Namespace: unescape(ns), ID: unescape(id)}, true
}

// unescape reverses escapeTo; the input came from escapeTo, so every '%' is
// followed by one of the three codes.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	r := strings.NewReplacer("%25", "%", "%7B", "{", "%7D", "}", "%3A", ":")
	return r.Replace(s)
}

// isVersionKey reports whether name has the shape of a version key.
func isVersionKey(name string) bool {
	return strings.HasSuffix(name, "}:ns") || strings.HasSuffix(name, "}:tag")
}
