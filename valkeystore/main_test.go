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
	if os.Getenv(strictRoleEnv) != "" {
		os.Exit(runStrictReader()) // a reader process of the strict-reads test
	}
	if role := os.Getenv(fleetRoleEnv); role != "" {
		os.Exit(runFleetChild(role)) // a child process of a fleet test, not a test run
	}
	code := m.Run()
	servers.Stop()
	stopExampleServer()
	os.Exit(code)
}

type backend = testserver.Backend

var backends = servers.Backends()

func forEachBackend(t *testing.T, run func(t *testing.T, b backend)) {
	servers.ForEachBackend(t, run)
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
