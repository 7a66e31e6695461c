package valkeystore

import (
	"testing"

	"github.com/valcache/valcache/driver"
)

func TestSlotMatchesTheServersKeyslot(t *testing.T) {
	// Values from CLUSTER KEYSLOT on a real server.
	cases := map[string]uint16{
		"foo": 12182, "hello": 866, "somekey": 11058,
		"{user1000}.following": 3443, "{user1000}.followers": 3443,
		"foo{}{bar}": 8363, "foo{{bar}}zap": 4015, "{}": 15257,
	}
	for key, want := range cases {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestEntryAndNamespaceKeysShareTheTag(t *testing.T) {
	l := layout{prefix: "p:"}
	k := driver.Key{Namespace: "ns", ID: "a{b}c"}
	if got := l.entryKey(k); got != "p:{ns:a%7Bb%7Dc}" {
		t.Fatalf("entryKey = %q", got)
	}
	if got := l.namespacePattern("n*s"); got != `p:\{n\*s:*` {
		t.Fatalf("namespacePattern = %q", got)
	}
}
