package twolevel_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	if role := os.Getenv(childRoleEnv); role != "" {
		os.Exit(runChild(role)) // a child process of a coherence test, not a test run
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

// build makes a two-level provider over a fresh L1 and a Valkey provider
// with the given config (TrackAllReads is set for Tracking coherence).
func build(ctx context.Context, vcfg valkeystore.Config, cfg twolevel.Config) (*twolevel.Provider, error) {
	if cfg.Coherence == twolevel.Tracking {
		vcfg.TrackAllReads = true
	}
	l2, err := valkeystore.New(ctx, vcfg)
	if err != nil {
		return nil, err
	}
	l1, err := memory.New(memory.Config{MaxEntries: 10_000})
	if err != nil {
		l2.Close()
		return nil, err
	}
	p, err := twolevel.New(l1, l2, cfg)
	if err != nil {
		l1.Close()
		l2.Close()
		return nil, err
	}
	return p, nil
}

func newProvider(t *testing.T, vcfg valkeystore.Config, cfg twolevel.Config) *twolevel.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := build(ctx, vcfg, cfg)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
