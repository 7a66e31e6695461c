package valkeystore

import (
	"testing"

	"github.com/valcache/valcache/driver"
)

func TestClassifyKeys(t *testing.T) {
	l := newLayout("vc:", DefaultIndexPrefix)
	users := l.groups.of("users")
	entry := l.entryKey(driver.Key{Namespace: "users", ID: "42"})
	colon := l.entryKey(driver.Key{Namespace: "a:b", ID: "c"})
	braces := l.entryKey(driver.Key{Namespace: "n{x}", ID: "k"})
	for name, want := range map[string]struct {
		ns   string
		kind keyKind
		ok   bool
	}{
		entry: {"users", keyEntry, true},
		l.entryKey(driver.Key{Namespace: "users", ID: "a:b"}): {"users", keyEntry, true},
		colon:  {"a:b", keyEntry, true},
		braces: {"n{x}", keyEntry, true},
		l.versionKey(driver.VersionKey{Namespace: "users", Tag: "team", Group: 3}): {"users", keyTagVersion, true},
		l.versionKey(driver.VersionKey{Namespace: "users", Group: 7}):              {"users", keyNamespaceVersion, true},
		l.refreshKey(driver.Key{Namespace: "users", ID: "42"}):                     {"users", keyOther, true},
		users.heads[0] + ":ns":       {"users", keyEntry, true}, // the entry of key "ns"
		"vc:{users:42}":              {"", 0, false},            // an older layout's entry
		"vc:{users}:ns":              {"", 0, false},            // an older layout's version
		"vc:{users:99}:x":            {"", 0, false},            // a group number out of range
		"vc:{%lock:users:job}":       {"users", keyLock, true},
		"vc:{%lock:users:job}:fence": {"users", keyFence, true},
		"vc:{%rate:api:ip}":          {"api", keyRate, true},
		"vc:{%rate:a%3Ab:ip}":        {"a:b", keyRate, true},
		"vc:{%lock:users:job}:x":     {"", 0, false},
		"vc:{%other:users:job}":      {"", 0, false},
		"index:{%idx:users:3}:d:42":  {"users", keyIndex, true},
		"index:{%idx:a%3Ab:15}:x":    {"a:b", keyIndex, true},
		"index:{%idx:users}:x":       {"", 0, false},
		"vc:{%idx:users:3}:x":        {"", 0, false},
		"other:{users:0}:42":         {"", 0, false},
		"vc:users:42":                {"", 0, false},
		"vc:{users:42":               {"", 0, false},
	} {
		ns, kind, ok := l.classify(name)
		if ok != want.ok || (ok && (ns != want.ns || kind != want.kind)) {
			t.Errorf("%q: %q %d %v, want %q %d %v", name, ns, kind, ok, want.ns, want.kind, want.ok)
		}
	}
}
