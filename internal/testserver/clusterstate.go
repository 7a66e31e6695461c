package testserver

import (
	"fmt"
	"strconv"
	"strings"
)

// observeCluster asks every node for its view and returns the primaries and
// a list of everything not yet right. Healthy means, on every node: the
// cluster is ok with all 16384 slots served, it knows all six nodes with no
// failure or handshake flags, it sees three primaries owning slots and three
// replicas; and every replica's link to its primary is up. Checking every
// node's view matters because clients may load the topology from any node.
func observeCluster(addrs []string) (primaries []string, problems []string) {
	for _, addr := range addrs {
		role, err := observeNode(addr, len(addrs))
		if err != nil {
			problems = append(problems, addr+": "+err.Error())
			continue
		}
		if role == "master" {
			primaries = append(primaries, addr)
		}
	}
	if len(problems) == 0 && len(primaries) != clusterPrimaries {
		problems = append(problems, fmt.Sprintf("%d primaries %v, want %d", len(primaries), primaries, clusterPrimaries))
	}
	return primaries, problems
}

// observeNode checks one node and returns its replication role.
func observeNode(addr string, want int) (role string, err error) {
	c, err := dialRESP(addr, probeTimeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	text := func(args ...string) (string, error) {
		v, err := c.do(args...)
		if err != nil {
			return "", fmt.Errorf("%s: %w", strings.Join(args, " "), err)
		}
		s, _ := v.(string)
		return s, nil
	}

	infoText, err := text("CLUSTER", "INFO")
	if err != nil {
		return "", err
	}
	info := parseInfo(infoText)
	if info["cluster_state"] != "ok" || info["cluster_slots_ok"] != "16384" || info["cluster_known_nodes"] != strconv.Itoa(want) {
		return "", fmt.Errorf("cluster_state:%s cluster_slots_ok:%s cluster_known_nodes:%s",
			info["cluster_state"], info["cluster_slots_ok"], info["cluster_known_nodes"])
	}

	replText, err := text("INFO", "replication")
	if err != nil {
		return "", err
	}
	repl := parseInfo(replText)
	role = repl["role"]
	if role == "slave" && repl["master_link_status"] != "up" {
		return "", fmt.Errorf("replica master_link_status:%s", repl["master_link_status"])
	}

	nodesText, err := text("CLUSTER", "NODES")
	if err != nil {
		return "", err
	}
	if err := checkNodesView(nodesText, want); err != nil {
		return "", fmt.Errorf("CLUSTER NODES: %w", err)
	}
	return role, nil
}

// checkNodesView validates one node's CLUSTER NODES output. Line format:
// id addr flags master-id ping-sent pong-recv epoch link-state [slot ...]
func checkNodesView(text string, want int) error {
	var total, primaries, replicas int
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return fmt.Errorf("malformed line %q", line)
		}
		total++
		flags := f[2]
		for _, flag := range strings.Split(flags, ",") {
			switch flag {
			case "fail", "fail?", "handshake", "noaddr":
				return fmt.Errorf("node %s flagged %s", f[1], flags)
			}
		}
		if f[7] != "connected" {
			return fmt.Errorf("node %s link %s", f[1], f[7])
		}
		switch {
		case strings.Contains(flags, "master") && len(f) > 8:
			primaries++
		case strings.Contains(flags, "slave") && f[3] != "-":
			replicas++
		}
	}
	if total != want || primaries != clusterPrimaries || replicas != want-clusterPrimaries {
		return fmt.Errorf("sees %d nodes, %d primaries with slots, %d replicas", total, primaries, replicas)
	}
	return nil
}
