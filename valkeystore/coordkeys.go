package valkeystore

import (
	"strings"

	"github.com/valcache/valcache/driver"
)

// Kinds of coordination keys: locks and rate-limit states.
const (
	lockKind = "%lock:"
	rateKind = "%rate:"
)

// coordKey is <prefix>{%<kind>:esc(ns):esc(id)}. A '%' that escaping wrote
// is always followed by 2, 3 or 7, so "{%lock:" and "{%rate:" can never
// start an entry key: no namespace's SCAN pattern (and so no Clear) matches
// these keys, and no entry can collide with them. The tag is the whole
// braced part, so user data never chooses the slot.
func (l layout) coordKey(kind string, k driver.Key) string {
	var b strings.Builder
	b.Grow(len(l.prefix) + len(kind) + len(k.Namespace) + len(k.ID) + 3)
	b.WriteString(l.prefix)
	b.WriteByte('{')
	b.WriteString(kind)
	escapeTo(&b, k.Namespace, true)
	b.WriteByte(':')
	escapeTo(&b, k.ID, false)
	b.WriteByte('}')
	return b.String()
}

// lockKeys are a lock and its fencing counter, in one slot.
func (l layout) lockKeys(k driver.Key) (lock, fence string) {
	lock = l.coordKey(lockKind, k)
	return lock, lock + ":fence"
}

// isCoordKey reports whether name has the shape of a coordination key.
// They are read from primaries only: a replica that has not yet seen an
// acquisition would report a held lock as free.
func isCoordKey(name string) bool {
	return strings.Contains(name, "{"+lockKind) || strings.Contains(name, "{"+rateKind)
}
