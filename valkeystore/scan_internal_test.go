package valkeystore

import (
	"testing"

	"github.com/valcache/valcache/driver"
)

func TestParseEntryKeyReversesEntryKey(t *testing.T) {
	l := layout{prefix: "p:"}
	for _, k := range []driver.Key{
		{Namespace: "n", ID: "a"}, {Namespace: "a:b", ID: "c:d"}, {Namespace: "{x}", ID: "}%{"},
		{Namespace: "n", ID: ""}, {Namespace: "%3A", ID: "%25"},
	} {
		got, ok := l.parseEntryKey(l.entryKey(k))
		if !ok || got != k {
			t.Errorf("parseEntryKey(entryKey(%+v)) = %+v, %v", k, got, ok)
		}
	}
	for _, name := range []string{"p:{n:t}:tag", "p:{n}:ns", "other", "p:{n:a}x", "q:{n:a}"} {
		if k, ok := l.parseEntryKey(name); ok {
			t.Errorf("parseEntryKey(%q) = %+v, want not an entry key", name, k)
		}
	}
}
