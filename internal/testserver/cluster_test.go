package testserver

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCluster(t *testing.T) {
	t.Parallel()
	c, err := StartCluster()
	Require(t, err)
	defer func() {
		for i := range 2 {
			if err := c.Stop(); err != nil {
				t.Errorf("Stop #%d: %v", i+1, err)
			}
		}
	}()

	addrs := c.Addrs()
	if len(addrs) != 6 || len(slices.Compact(slices.Sorted(slices.Values(addrs)))) != 6 {
		t.Fatalf("Addrs = %v, want 6 distinct", addrs)
	}
	for _, a := range addrs {
		if got, err := ping(a); err != nil || got != "PONG" {
			t.Errorf("PING %s = %q, %v", a, got, err)
		}
	}
	primaries := c.Primaries()
	if len(primaries) != 3 {
		t.Fatalf("Primaries = %v, want 3", primaries)
	}
	seen := map[string]bool{}
	for _, p := range primaries {
		shard, err := c.Shard(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(shard) != 2 || shard[0].Addr() != p || shard[1].Addr() == p {
			t.Fatalf("Shard(%s) = %v, want the primary and its one replica", p, shard)
		}
		for _, n := range shard {
			seen[n.Addr()] = true
		}
	}
	if len(seen) != 6 {
		t.Errorf("the shards hold %d distinct nodes, want 6", len(seen))
	}
	for _, p := range primaries {
		if !slices.Contains(addrs, p) {
			t.Errorf("primary %s not among Addrs", p)
		}
		nodes, err := commandString(p, "", time.Second, "CLUSTER", "NODES")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(nodes, "\n") {
			if f := strings.Fields(line); len(f) > 2 && strings.Contains(f[2], "myself") {
				if !strings.Contains(f[2], "master") || len(f) < 9 {
					t.Errorf("primary %s: own entry %q has no slots", p, line)
				}
			}
		}
	}
}
