package testserver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Shape and bounds of a Sentinel setup.
const (
	sentinelCount        = 3
	sentinelQuorum       = 2
	SentinelMasterSet    = "valcache"
	sentinelReadyTimeout = 30 * time.Second
	sentinelPollInterval = 100 * time.Millisecond
)

// Sentinel is a primary and one replica of Valkey managed by three
// sentinels (quorum two) on loopback, quick to fail over: a primary that
// does not answer for a second is taken as down.
type Sentinel struct {
	data      []*Server // the first primary, then its replica
	sentinels []*Server
}

// StartSentinel starts the primary, its replica and the sentinels, and
// returns once the replica is in sync and every sentinel knows the replica
// and the other sentinels, so that a failover can begin at once.
func StartSentinel() (*Sentinel, error) {
	if _, err := lookBinary("valkey-sentinel"); err != nil {
		return nil, err
	}
	s := &Sentinel{}
	primary, err := StartValkey(Options{})
	if err != nil {
		return nil, err
	}
	s.data = append(s.data, primary)
	host, port, _ := strings.Cut(primary.Addr(), ":")
	replica, err := StartValkey(Options{Args: []string{"--replicaof", host, port}})
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.data = append(s.data, replica)
	if err := waitReplicaInSync(primary.Addr(), replica.Addr()); err != nil {
		s.Stop()
		return nil, err
	}
	spec := &sentinelSpec{masterSet: SentinelMasterSet, primary: primary.Addr(), quorum: sentinelQuorum}
	for range sentinelCount {
		n, err := startProcessNode("valkey-sentinel", Options{}, false, spec)
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.sentinels = append(s.sentinels, n)
	}
	if err := s.waitSentinelsReady(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Addrs returns the sentinels' addresses, which clients are given.
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.sentinels))
	for i, n := range s.sentinels {
		out[i] = n.Addr()
	}
	return out
}

// MasterSet returns the name the sentinels monitor the primary under.
func (s *Sentinel) MasterSet() string { return SentinelMasterSet }

// Nodes returns the data nodes: the first primary, then its replica. Their
// roles change with a failover; Primary says which is the primary now.
func (s *Sentinel) Nodes() []*Server { return append([]*Server(nil), s.data...) }

// Primary returns the data node the sentinels name as the primary now.
func (s *Sentinel) Primary() (*Server, error) {
	var errs []error
	for _, sn := range s.sentinels {
		addr, err := masterAddr(sn.Addr())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, n := range s.data {
			if n.Addr() == addr {
				return n, nil
			}
		}
		return nil, fmt.Errorf("testserver: sentinels name %s, not a node of this setup", addr)
	}
	return nil, fmt.Errorf("testserver: no sentinel names a primary: %w", errors.Join(errs...))
}

// WaitFailover waits until every sentinel names a primary other than old
// and that node reports itself a primary, and returns it.
func (s *Sentinel) WaitFailover(old *Server, timeout time.Duration) (*Server, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		next, why := s.promoted(old)
		if next != nil {
			return next, nil
		}
		last = why
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("testserver: no failover from %s within %s: %s", old.Addr(), timeout, last)
		}
		time.Sleep(sentinelPollInterval)
	}
}

// promoted returns the new primary once everything agrees on it, or why not.
func (s *Sentinel) promoted(old *Server) (*Server, string) {
	var named string
	for _, sn := range s.sentinels {
		addr, err := masterAddr(sn.Addr())
		if err != nil {
			return nil, err.Error()
		}
		if addr == old.Addr() || (named != "" && addr != named) {
			return nil, fmt.Sprintf("sentinel %s names %s", sn.Addr(), addr)
		}
		named = addr
	}
	for _, n := range s.data {
		if n.Addr() != named {
			continue
		}
		info, err := commandString(named, "", probeTimeout, "INFO", "replication")
		if err != nil {
			return nil, err.Error()
		}
		if role := parseInfo(info)["role"]; role != "master" {
			return nil, named + " reports role " + role
		}
		return n, ""
	}
	return nil, "sentinels name " + named + ", not a node of this setup"
}

// Stop stops the sentinels, then the data nodes. Idempotent.
func (s *Sentinel) Stop() error {
	all := append(append([]*Server(nil), s.sentinels...), s.data...)
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, n := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.Stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// masterAddr asks a sentinel for the primary's address.
func masterAddr(sentinel string) (string, error) {
	v, err := command(sentinel, "", probeTimeout, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMasterSet)
	if err != nil {
		return "", fmt.Errorf("sentinel %s: %w", sentinel, err)
	}
	f, _ := v.([]any)
	if len(f) != 2 {
		return "", fmt.Errorf("sentinel %s: primary address reply %v", sentinel, v)
	}
	host, _ := f[0].(string)
	port, _ := f[1].(string)
	return host + ":" + port, nil
}

// waitReplicaInSync waits until the replica's link is up and it has
// everything the primary has sent.
func waitReplicaInSync(primary, replica string) error {
	deadline := time.Now().Add(sentinelReadyTimeout)
	for {
		synced, why := ReplicaInSync(primary, replica)
		if synced {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testserver: replica %s not in sync with %s within %s: %s", replica, primary, sentinelReadyTimeout, why)
		}
		time.Sleep(sentinelPollInterval)
	}
}

// ReplicaInSync reports whether the replica's link to the primary is up
// and its replication offset has reached the primary's, so that every write
// the primary had acknowledged is on the replica; else it says why not.
func ReplicaInSync(primary, replica string) (bool, string) {
	pInfo, err := commandString(primary, "", probeTimeout, "INFO", "replication")
	if err != nil {
		return false, err.Error()
	}
	rInfo, err := commandString(replica, "", probeTimeout, "INFO", "replication")
	if err != nil {
		return false, err.Error()
	}
	p, r := parseInfo(pInfo), parseInfo(rInfo)
	if r["master_link_status"] != "up" {
		return false, "replica link " + r["master_link_status"]
	}
	want, err1 := strconv.ParseInt(p["master_repl_offset"], 10, 64)
	got, err2 := strconv.ParseInt(r["slave_repl_offset"], 10, 64)
	if err1 != nil || err2 != nil {
		return false, "offsets unreadable"
	}
	if got < want {
		return false, fmt.Sprintf("replica offset %d, primary %d", got, want)
	}
	return true, ""
}

// waitSentinelsReady waits until every sentinel sees the primary up, the
// replica, and the other sentinels.
func (s *Sentinel) waitSentinelsReady() error {
	deadline := time.Now().Add(sentinelReadyTimeout)
	for {
		why := ""
		for _, sn := range s.sentinels {
			v, err := command(sn.Addr(), "", probeTimeout, "SENTINEL", "MASTER", SentinelMasterSet)
			if err != nil {
				why = err.Error()
				break
			}
			f, _ := v.([]any)
			m := map[string]string{}
			for i := 0; i+1 < len(f); i += 2 {
				k, _ := f[i].(string)
				val, _ := f[i+1].(string)
				m[k] = val
			}
			if m["flags"] != "master" || m["num-slaves"] != "1" || m["num-other-sentinels"] != strconv.Itoa(sentinelCount-1) {
				why = fmt.Sprintf("sentinel %s: flags %s, %s replicas, %s other sentinels", sn.Addr(), m["flags"], m["num-slaves"], m["num-other-sentinels"])
				break
			}
		}
		if why == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testserver: sentinels not ready within %s: %s", sentinelReadyTimeout, why)
		}
		time.Sleep(sentinelPollInterval)
	}
}
