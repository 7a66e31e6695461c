package testserver

import (
	"sync"
	"testing"
)

// Shared starts each kind of server at most once per test binary, on first
// use, so that a package's tests share servers instead of paying a cluster
// start each. Declare one in the test package, and call Stop from TestMain
// after m.Run:
//
//	var servers testserver.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		servers.Stop()
//		os.Exit(code)
//	}
type Shared struct {
	mu       sync.Mutex
	valkey   *Server
	redis    *Server
	cluster  *Cluster
	sentinel *Sentinel
	// A failed start is remembered, so every test reports it without retrying.
	valkeyErr, redisErr, clusterErr, sentinelErr error
}

// Valkey returns the shared Valkey single node, starting it if needed.
func (s *Shared) Valkey(tb testing.TB) *Server {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.valkey == nil && s.valkeyErr == nil {
		s.valkey, s.valkeyErr = StartValkey(Options{})
	}
	Require(tb, s.valkeyErr)
	return s.valkey
}

// Redis returns the shared Redis 7 single node, starting it if needed.
func (s *Shared) Redis(tb testing.TB) *Server {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.redis == nil && s.redisErr == nil {
		s.redis, s.redisErr = StartRedis(Options{})
	}
	Require(tb, s.redisErr)
	return s.redis
}

// Cluster returns the shared Valkey Cluster, starting it if needed.
func (s *Shared) Cluster(tb testing.TB) *Cluster {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cluster == nil && s.clusterErr == nil {
		s.cluster, s.clusterErr = StartCluster()
	}
	Require(tb, s.clusterErr)
	return s.cluster
}

// Sentinel returns the shared Sentinel setup, starting it if needed. It is
// not among Backends, whose clients are given plain addresses; a test that
// fails it over should start a setup of its own.
func (s *Shared) Sentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sentinel == nil && s.sentinelErr == nil {
		s.sentinel, s.sentinelErr = StartSentinel()
	}
	Require(tb, s.sentinelErr)
	return s.sentinel
}

// Stop stops every server that was started.
func (s *Shared) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.valkey != nil {
		_ = s.valkey.Stop()
	}
	if s.redis != nil {
		_ = s.redis.Stop()
	}
	if s.cluster != nil {
		_ = s.cluster.Stop()
	}
	if s.sentinel != nil {
		_ = s.sentinel.Stop()
	}
}

// Backend is one kind of server a package's tests run against.
type Backend struct {
	Name  string
	Addrs func(tb testing.TB) []string // the addresses clients are given
}

// Backends lists the servers of the suite: a Valkey single node, a Valkey
// Cluster and Redis 7, each started on first use.
func (s *Shared) Backends() []Backend {
	return []Backend{
		{"ValkeySingle", func(tb testing.TB) []string { return []string{s.Valkey(tb).Addr()} }},
		{"ValkeyCluster", func(tb testing.TB) []string { return s.Cluster(tb).Addrs() }},
		{"Redis7", func(tb testing.TB) []string { return []string{s.Redis(tb).Addr()} }},
	}
}

// ForEachBackend runs run as a subtest per backend.
func (s *Shared) ForEachBackend(t *testing.T, run func(t *testing.T, b Backend)) {
	for _, b := range s.Backends() {
		t.Run(b.Name, func(t *testing.T) { run(t, b) })
	}
}
