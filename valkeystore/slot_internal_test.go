package valkeystore

import (
	"strconv"
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

func TestEntriesShareTheirGroupsSlotWithItsVersionCopies(t *testing.T) {
	l := newLayout("p:", DefaultIndexPrefix)
	k := driver.Key{Namespace: "ns", ID: "a{b}c"}
	g := groupOf(k.ID)
	name := l.entryKey(k)
	if want := "p:{" + l.groups.of("ns").tags[g] + "}:a%7Bb%7Dc"; name != want {
		t.Fatalf("entryKey = %q, want %q", name, want)
	}
	for _, tag := range []string{"", "t", "}{"} {
		v := l.versionKey(driver.VersionKey{Namespace: "ns", Tag: tag, Group: g})
		if slot(v) != slot(name) {
			t.Errorf("version copy %q is in slot %d, its entries in %d", v, slot(v), slot(name))
		}
	}
	if slot(l.refreshKey(k)) != slot(name) {
		t.Errorf("the refresh election of %q is not in its slot", name)
	}
	if got := l.namespacePattern("n*s"); got != `p:\{n\*s:*` {
		t.Fatalf("namespacePattern = %q", got)
	}
}

func TestEachGroupLandsInItsSliceOfTheSlots(t *testing.T) {
	l := newLayout("vc:", DefaultIndexPrefix)
	for _, ns := range []string{"users", "a:b", "{x}", "", "products-2026"} {
		g := l.groups.of(ns)
		for i, tag := range g.tags {
			if s := int(crc16(tag) % slotCount); s/slotsPerGroup != i {
				t.Errorf("namespace %q group %d: tag %q is in slot %d, outside [%d, %d)", ns, i, tag, s, i*slotsPerGroup, (i+1)*slotsPerGroup)
			}
		}
	}
}

func TestKeysSpreadOverEveryGroup(t *testing.T) {
	counts := make([]int, groupCount)
	const n = 64000
	for i := range n {
		counts[groupOf(strconv.Itoa(i))]++
	}
	for g, c := range counts {
		if c < n/groupCount*8/10 || c > n/groupCount*12/10 {
			t.Errorf("group %d holds %d of %d keys, want about %d", g, c, n, n/groupCount)
		}
	}
}
