package testserver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cluster shape and bounds. Three primaries with one replica each is the
// smallest layout that exercises redirection and replica failover.
const (
	clusterPrimaries     = 3
	clusterNodes         = clusterPrimaries * 2
	clusterCreateTimeout = 30 * time.Second // valkey-cli --cluster create
	clusterReadyTimeout  = 30 * time.Second // until every node agrees the cluster is healthy
	clusterPollInterval  = 100 * time.Millisecond
)

// Cluster is a Valkey Cluster of 3 primaries and 3 replicas on loopback.
// Each node is a Server with its own dir, client port and bus port.
type Cluster struct {
	nodes     []*Server
	primaries []string
}

// StartCluster starts six cluster-enabled valkey-server nodes, joins them
// with valkey-cli --cluster create, and returns once every node reports a
// fully covered, healthy cluster and every replica is linked to its primary.
func StartCluster() (*Cluster, error) {
	return StartClusterWith(Options{})
}

// StartClusterWith is StartCluster with opts given to every node, for a
// test that needs a cluster configured otherwise (say, with
// cluster-require-full-coverage off).
func StartClusterWith(opts Options) (*Cluster, error) {
	cli, err := lookBinary("valkey-cli")
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	for range clusterNodes {
		n, err := startNode("valkey-server", opts, true)
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	if err := c.create(cli); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.waitHealthy(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// create assigns slots and replicas with the stock tool, as an operator
// would, rather than re-implementing CLUSTER ADDSLOTS/MEET/REPLICATE here.
func (c *Cluster) create(cli string) error {
	ctx, cancel := context.WithTimeout(context.Background(), clusterCreateTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.WaitDelay = time.Second
	bindToParent(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("testserver: valkey-cli --cluster create: %w\n--- output (tail) ---\n%s", err, lastLines(string(out), 30))
	}
	return nil
}

// waitHealthy polls every node until observeCluster finds nothing wrong,
// then records which nodes are primaries.
func (c *Cluster) waitHealthy() error {
	deadline := time.Now().Add(clusterReadyTimeout)
	for {
		primaries, problems := observeCluster(c.Addrs())
		if len(problems) == 0 {
			c.primaries = primaries
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testserver: cluster not healthy within %s; last observed:\n  %s",
				clusterReadyTimeout, strings.Join(problems, "\n  "))
		}
		time.Sleep(clusterPollInterval)
	}
}

// Addrs returns the addresses of all six nodes.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Primaries returns the addresses of the three primaries as of the moment
// the cluster became healthy (a later failover is not reflected).
func (c *Cluster) Primaries() []string {
	return append([]string(nil), c.primaries...)
}

// Nodes returns the node servers, in Addrs order, so fault tests can Kill
// and Restart individual nodes (a restarted node rejoins from its
// nodes.conf, which Kill leaves in place).
func (c *Cluster) Nodes() []*Server {
	return append([]*Server(nil), c.nodes...)
}

// Shard returns the node serving as the primary at addr and the nodes
// replicating it, as that primary reports them now, so that a test can take
// a whole shard down.
func (c *Cluster) Shard(addr string) ([]*Server, error) {
	v, err := command(addr, "", probeTimeout, "CLUSTER", "NODES")
	if err != nil {
		return nil, fmt.Errorf("testserver: CLUSTER NODES on %s: %w", addr, err)
	}
	text, _ := v.(string)
	var self string
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for _, line := range lines {
		if f := strings.Fields(line); len(f) >= 3 && strings.Contains(f[2], "myself") {
			self = f[0]
		}
	}
	byAddr := make(map[string]*Server, len(c.nodes))
	for _, n := range c.nodes {
		byAddr[n.Addr()] = n
	}
	shard := []*Server{byAddr[addr]}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != self {
			continue
		}
		host, _, _ := strings.Cut(f[1], "@")
		if n := byAddr[host]; n != nil {
			shard = append(shard, n)
		}
	}
	if self == "" || shard[0] == nil {
		return nil, fmt.Errorf("testserver: %s is not a node of this cluster", addr)
	}
	return shard, nil
}

// Stop stops all nodes in parallel and removes their dirs. Idempotent.
func (c *Cluster) Stop() error {
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.Stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lastLines keeps the end of a tool's output for error messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// WaitShardFailed waits, for at most 30 s, until the node at addr flags
// every node of shard as failed, so that a cluster told to keep serving
// without full coverage has settled into serving without that shard.
func WaitShardFailed(tb testing.TB, addr string, shard []*Server) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := Command(addr, "CLUSTER", "NODES")
		text, _ := v.(string)
		failed := 0
		for _, line := range strings.Split(text, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || !strings.Contains(","+f[2]+",", ",fail,") {
				continue
			}
			for _, n := range shard {
				if strings.HasPrefix(f[1], n.Addr()+"@") {
					failed++
				}
			}
		}
		if err == nil && failed == len(shard) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the shard was not flagged failed within 30s (err %v):\n%s", err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
