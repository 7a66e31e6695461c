package valkeystore

import (
	"testing"

	"github.com/valcache/valcache/driver"
)

func TestParseEntryKeyReversesEntryKey(t *testing.T) {
	l := newLayout("p:", DefaultIndexPrefix)
	for _, k := range []driver.Key{
		{Namespace: "n", ID: "a"}, {Namespace: "a:b", ID: "c:d"}, {Namespace: "{x}", ID: "}%{"},
		{Namespace: "n", ID: ""}, {Namespace: "%3A", ID: "%25"},
	} {
		got, ok := l.parseEntryKey(l.entryKey(k))
		if !ok || got != k {
			t.Errorf("parseEntryKey(entryKey(%+v)) = %+v, %v", k, got, ok)
		}
	}
	versionCopy := l.versionKey(driver.VersionKey{Namespace: "n", Tag: "t", Group: 5})
	for _, name := range []string{versionCopy, "p:{n:t}:tag", "p:{n}:ns", "p:{n:a}", "other", "p:{n:a}x", "q:{n:a}"} {
		if k, ok := l.parseEntryKey(name); ok {
			t.Errorf("parseEntryKey(%q) = %+v, want not an entry key", name, k)
		}
	}
}

func TestParseVersionKeyReversesVersionKey(t *testing.T) {
	l := newLayout("p:", DefaultIndexPrefix)
	for _, k := range []driver.VersionKey{
		{Namespace: "n"}, {Namespace: "n", Group: groupCount - 1}, {Namespace: "a:b", Tag: "c:d", Group: 3},
		{Namespace: "{x}", Tag: "}%{", Group: 9}, {Namespace: "%3A", Tag: "#ns", Group: 1},
	} {
		name := l.versionKey(k)
		got, ok := l.parseVersionKey(name)
		if !ok || got != k {
			t.Errorf("parseVersionKey(%q) = %+v, %v, want %+v", name, got, ok, k)
		}
		if !isVersionKey(name) {
			t.Errorf("isVersionKey(%q) = false", name)
		}
		if _, ok := l.parseEntryKey(name); ok {
			t.Errorf("version copy %q parses as an entry key", name)
		}
	}
	entry := l.entryKey(driver.Key{Namespace: "n", ID: "#ns"})
	if _, ok := l.parseVersionKey(entry); ok || isVersionKey(entry) {
		t.Errorf("the entry of key \"#ns\" (%q) is taken for a version copy", entry)
	}
}
