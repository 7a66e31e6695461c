package valkeystore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/cachetest"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
)

func sentinelConfig(s *testserver.Sentinel) valkeystore.Config {
	return valkeystore.Config{Sentinel: &valkeystore.SentinelConfig{MasterSet: s.MasterSet(), Addrs: s.Addrs()}}
}

// The conformance kit on a primary found through Sentinel.
func TestConformanceSentinel(t *testing.T) {
	s := servers.Sentinel(t)
	cachetest.Run(t, cachetest.Harness{
		New: func(t *testing.T) driver.Provider {
			cfg := sentinelConfig(s)
			cfg.MaxValueBytes = testValueLimit
			p, err := valkeystore.New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("valkeystore.New: %v", err)
			}
			return p
		},
		MaxValueBytes: testValueLimit,
	})
}

// Sentinel settings that cannot work are refused at New.
func TestSentinelConfigChecked(t *testing.T) {
	for name, cfg := range map[string]valkeystore.Config{
		"no master set": {Sentinel: &valkeystore.SentinelConfig{Addrs: []string{"127.0.0.1:1"}}},
		"no sentinels":  {Sentinel: &valkeystore.SentinelConfig{MasterSet: "m"}},
		"both addrs":    {Addrs: []string{"127.0.0.1:1"}, Sentinel: &valkeystore.SentinelConfig{MasterSet: "m", Addrs: []string{"127.0.0.1:2"}}},
		"bad address":   {Sentinel: &valkeystore.SentinelConfig{MasterSet: "m", Addrs: []string{"nowhere"}}},
	} {
		if _, err := valkeystore.New(t.Context(), cfg); !errors.Is(err, valkeystore.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
}

// A failover under a provider: kill -9 the primary; while the sentinels
// promote the replica, calls fail (with ErrUnavailable) or succeed within
// their budget; afterwards they work again on the same provider, and
// values acknowledged and replicated before the kill are read back.
func TestSentinelFailover(t *testing.T) {
	s, err := testserver.StartSentinel()
	testserver.Require(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	cfg := sentinelConfig(s)
	cfg.KeyPrefix = "failover:"
	cfg.OperationTimeout, cfg.AtomicTimeout, cfg.DialTimeout = time.Second, time.Second, time.Second
	cfg.Sentinel.RefreshInterval = time.Second
	p := newProvider(t, cfg)
	c, err := valcache.New(p, valcache.Options[int, string]{Namespace: "failover"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const n = 50
	for i := range n {
		if err := c.Set(ctx, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	primary, err := s.Primary()
	if err != nil {
		t.Fatal(err)
	}
	replica := s.Nodes()[1]
	waitInSync(t, primary.Addr(), replica.Addr())
	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}

	// During the failover: every call ends within its budget (plus the
	// shared deadline's tick and scheduling), failing as unavailable or
	// succeeding.
	const budget = time.Second
	done := make(chan struct{})
	type outcome struct {
		took time.Duration
		err  error
	}
	outcomes := make(chan outcome, 10000)
	go func() {
		defer close(done)
		stop := time.Now().Add(60 * time.Second)
		for i := 0; time.Now().Before(stop); i++ {
			start := time.Now()
			err := c.Set(ctx, 1000+i%10, "during")
			outcomes <- outcome{time.Since(start), err}
			if err == nil && i > 0 {
				if next, err := s.Primary(); err == nil && next != primary {
					return
				}
			}
			if err != nil {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()
	next, err := s.WaitFailover(primary, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	close(outcomes)
	failed := 0
	for o := range outcomes {
		if o.took > budget+2*time.Second {
			t.Errorf("a call during the failover took %v, over its budget of %v", o.took, budget)
		}
		if o.err != nil {
			failed++
			if !errors.Is(o.err, valcache.ErrUnavailable) {
				t.Errorf("a call during the failover: %v, want ErrUnavailable", o.err)
			}
		}
	}
	t.Logf("promoted %s; %d calls failed during the failover", next.Addr(), failed)

	// Afterwards: writes and reads work on the same provider, and every
	// value replicated before the kill is there.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.Set(ctx, -1, "after")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write after the failover within 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := range n {
		v, ok, err := c.GetIfPresent(ctx, i)
		if err != nil || !ok || v != fmt.Sprint("v", i) {
			t.Fatalf("value %d acknowledged before the failover: %q %v %v", i, v, ok, err)
		}
	}
	if v, ok, err := c.GetIfPresent(ctx, -1); err != nil || !ok || v != "after" {
		t.Fatalf("value written after the failover: %q %v %v", v, ok, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.Ping(cctx); err != nil {
		t.Fatalf("Ping after the failover: %v", err)
	}
}

// waitInSync waits, within a generous bound, until the replica has every
// write the primary acknowledged.
func waitInSync(t *testing.T, primary, replica string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, why := testserver.ReplicaInSync(primary, replica)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica not in sync within 30s: %s", why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
