package valkeystore

import "testing"

func TestClassifyKeys(t *testing.T) {
	l := layout{prefix: "vc:", indexPrefix: "index:"}
	for name, want := range map[string]struct {
		ns   string
		kind keyKind
		ok   bool
	}{
		"vc:{users:42}":              {"users", keyEntry, true},
		"vc:{users:a:b}":             {"users", keyEntry, true},
		"vc:{a%3Ab:c}":               {"a:b", keyEntry, true},
		"vc:{n%7Bx%7D:k}":            {"n{x}", keyEntry, true},
		"vc:{users:team}:tag":        {"users", keyTagVersion, true},
		"vc:{users}:ns":              {"users", keyNamespaceVersion, true},
		"vc:{users:42}:refresh":      {"users", keyOther, true},
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
		"other:{users:42}":           {"", 0, false},
		"vc:users:42":                {"", 0, false},
		"vc:{users:42":               {"", 0, false},
	} {
		ns, kind, ok := l.classify(name)
		if ok != want.ok || (ok && (ns != want.ns || kind != want.kind)) {
			t.Errorf("%q: %q %d %v, want %q %d %v", name, ns, kind, ok, want.ns, want.kind, want.ok)
		}
	}
}
