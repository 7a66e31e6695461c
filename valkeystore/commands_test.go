package valkeystore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
)

// primaryAddrs are the nodes that run a backend's commands: reads and
// writes on a cluster go to primaries, and replicas count the writes they
// apply, so only primaries are counted.
func primaryAddrs(t *testing.T, b backend) []string {
	if b.Name == "ValkeyCluster" {
		return servers.Cluster(t).Primaries()
	}
	return b.Addrs(t)
}

// commandCounter sums the server's command counts over nodes.
type commandCounter struct {
	t     *testing.T
	nodes []string
}

func (c commandCounter) read() map[string]int64 {
	c.t.Helper()
	sum := map[string]int64{}
	for _, addr := range c.nodes {
		stats, err := testserver.CommandStats(addr)
		if err != nil {
			c.t.Fatal(err)
		}
		for name, n := range stats {
			sum[name] += n
		}
	}
	return sum
}

// delta is what ran between two readings, without the readings' own INFO
// and valkey-go's idle-connection PINGs.
func delta(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for name, n := range after {
		if name == "info" || name == "ping" {
			continue
		}
		if n -= before[name]; n != 0 {
			d[name] = n
		}
	}
	return d
}

// TestHitsAndWritesCostOneCommand counts, with the server's own
// INFO commandstats, what hits and writes cost once the versions that guard
// the entries are followed: a hit, tagged or not, is one GET; a Set one
// SET; with ReadVersionsEachTime a hit is one MGET (two for a tagged one).
func TestHitsAndWritesCostOneCommand(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, eachTime := range []bool{false, true} {
			t.Run(fmt.Sprintf("ReadVersionsEachTime=%v", eachTime), func(t *testing.T) {
				checkCommandCounts(t, b, eachTime)
			})
		}
	})
}

func checkCommandCounts(t *testing.T, b backend, eachTime bool) {
	prefix := fmt.Sprintf("cmds%d:", time.Now().UnixNano())
	p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: prefix, ReadVersionsEachTime: eachTime})
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const n = 64
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
		if err := c.Set(ctx, keys[i], "v"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(ctx, "t"+keys[i], "v", valcache.SetOptions{Tags: []string{"a", "b"}}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(prefix string) {
		t.Helper()
		for _, k := range keys {
			if _, found, err := c.GetIfPresent(ctx, prefix+k); err != nil || !found {
				t.Fatalf("GetIfPresent(%q): found=%v err=%v", prefix+k, found, err)
			}
		}
	}
	// Warm: every group's versions read once, and so followed.
	read("")
	read("t")
	counter := commandCounter{t: t, nodes: primaryAddrs(t, b)}
	measure := func(what string, op func(), want map[string]int64) {
		t.Helper()
		before := counter.read()
		op()
		got := delta(before, counter.read())
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: the server ran %v, want %v", what, got, want)
		}
	}
	if eachTime {
		measure("untagged hits", func() { read("") }, map[string]int64{"mget": n})
		measure("tagged hits", func() { read("t") }, map[string]int64{"mget": 2 * n})
		measure("Sets", func() {
			for _, k := range keys {
				if err := c.Set(ctx, k, "w"); err != nil {
					t.Fatal(err)
				}
			}
		}, map[string]int64{"set": n, "get": n})
		return
	}
	measure("untagged hits", func() { read("") }, map[string]int64{"get": n})
	measure("tagged hits", func() { read("t") }, map[string]int64{"get": n})
	measure("Sets", func() {
		for _, k := range keys {
			if err := c.Set(ctx, k, "w"); err != nil {
				t.Fatal(err)
			}
		}
	}, map[string]int64{"set": n})
}
