package valkeystore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	if role := os.Getenv(coordRoleEnv); role != "" {
		os.Exit(runCoordChild(role)) // a child process of a coordination test
	}
	if role := os.Getenv(fleetRoleEnv); role != "" {
		os.Exit(runFleetChild(role)) // a child process of a fleet test, not a test run
	}
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

// backend is one kind of server the provider is tested against.
type backend struct {
	name  string
	addrs func(t *testing.T) []string
}

var backends = []backend{
	{"ValkeySingle", func(t *testing.T) []string { return []string{servers.Valkey(t).Addr()} }},
	{"ValkeyCluster", func(t *testing.T) []string { return servers.Cluster(t).Addrs() }},
	{"Redis7", func(t *testing.T) []string { return []string{servers.Redis(t).Addr()} }},
}

func forEachBackend(t *testing.T, run func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { run(t, b) })
	}
}

func newProvider(t *testing.T, cfg valkeystore.Config) *valkeystore.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := valkeystore.New(ctx, cfg)
	if err != nil {
		t.Fatalf("valkeystore.New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
