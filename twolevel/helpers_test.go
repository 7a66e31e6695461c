package twolevel_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
)

func newCache[V any](t *testing.T, p driver.Provider, ns string) *valcache.Cache[string, V] {
	t.Helper()
	c, err := valcache.New(p, valcache.Options[string, V]{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// commandCalls reads how many times the server ran cmd, from INFO
// commandstats.
func commandCalls(t *testing.T, addr, cmd string) int {
	t.Helper()
	reply, err := testserver.Command(addr, "INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := reply.(string)
	for line := range strings.SplitSeq(text, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return 0
}

// killClient closes the server side of every connection named name, as a
// network failure or an operator's CLIENT KILL would.
func killClient(t *testing.T, addr, name string) int {
	t.Helper()
	reply, err := testserver.Command(addr, "CLIENT", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.SplitSeq(reply.(string), "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for field := range strings.FieldsSeq(line) {
			if id, ok := strings.CutPrefix(field, "id="); ok {
				if _, err := testserver.Command(addr, "CLIENT", "KILL", "ID", id); err == nil {
					killed++
				}
			}
		}
	}
	return killed
}

// serverAddrs lists every server of a backend: the node, or each node of a
// cluster.
func serverAddrs(t *testing.T, b backend) []string {
	if b.Name != "ValkeyCluster" {
		return b.Addrs(t)
	}
	var out []string
	for _, n := range servers.Cluster(t).Nodes() {
		out = append(out, n.Addr())
	}
	return out
}

// eventually polls cond every millisecond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

func valcacheKey(ns, id string) driver.Key { return driver.Key{Namespace: ns, ID: id} }
