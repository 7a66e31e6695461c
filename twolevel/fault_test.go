package twolevel_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
	"go.uber.org/goleak"
)

// TestServerDownAndBack stops the server during reads: copies keep being
// served within StaleIfError, writes fail with a clear error (at once once
// the circuit is open), and everything recovers when the server returns,
// without a new provider; no goroutine is left after Close.
func TestServerDownAndBack(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	before := goleak.IgnoreCurrent()

	const staleFor = 2 * time.Second
	p, err := build(t.Context(), valkeystore.Config{
		Addrs:            []string{srv.Addr()},
		KeyPrefix:        "fault:",
		OperationTimeout: 300 * time.Millisecond,
		DialTimeout:      300 * time.Millisecond,
	}, twolevel.Config{StaleIfError: staleFor, BreakerFailures: 3, BreakerCooldown: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := newCache[string](t, p, "fault")
	ctx := t.Context()
	const n = 20
	for i := range n {
		k := strconv.Itoa(i)
		if err := c.Set(ctx, k, "v"+k); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := c.GetIfPresent(ctx, k); err != nil || !ok {
			t.Fatalf("read %s: %v %v", k, ok, err)
		}
	}

	// A copy whose tag another instance invalidated is never served, not
	// even while the server is down.
	other, err := build(ctx, valkeystore.Config{Addrs: []string{srv.Addr()}, KeyPrefix: "fault:"}, twolevel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	oc := newCache[string](t, other, "fault")
	if err := c.SetWith(ctx, "tagged", "t", valcache.SetOptions{Tags: []string{"g"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.GetIfPresent(ctx, "tagged"); err != nil || !ok {
		t.Fatalf("read tagged: %v %v", ok, err)
	}
	if err := oc.InvalidateTags(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the invalidation reaches this instance", func() bool {
		_, ok, _ := c.GetIfPresent(ctx, "tagged")
		return !ok
	})

	// Taken before the kill: the provider cannot lose the server earlier,
	// so reads until down+staleFor/2 are within the bound for sure.
	down := time.Now()
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	// Reads are answered from the copies while they are within the bound.
	for round := 0; time.Since(down) < staleFor/2; round++ {
		for i := range n {
			k := strconv.Itoa(i)
			v, ok, err := c.GetIfPresent(ctx, k)
			if err != nil || !ok || v != "v"+k {
				t.Fatalf("round %d, %s while down: %q, %v, %v", round, k, v, ok, err)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, ok, _ := c.GetIfPresent(ctx, "tagged"); ok {
		t.Fatalf("served %q, invalidated before the server went down", v)
	}
	// Writes fail; once the breaker has counted its failures they fail at
	// once with ErrUnavailable.
	var werr error
	for i := range 5 {
		if werr = c.Set(ctx, "w", "x"); werr == nil {
			t.Fatalf("write %d succeeded with the server down", i)
		}
	}
	if !errors.Is(werr, driver.ErrUnavailable) || p.CircuitState() != driver.CircuitOpen {
		t.Fatalf("write error %v, breaker %v; want ErrUnavailable with the circuit open", werr, p.CircuitState())
	}
	// Past the bound, copies are no longer served. The bound runs from
	// when the provider noticed the loss, which on a busy machine may be
	// well after the kill: wait out the bound from the kill, then poll.
	time.Sleep(time.Until(down.Add(staleFor)))
	eventually(t, 20*time.Second, "reads past StaleIfError fail", func() bool {
		_, _, err := c.GetIfPresent(ctx, "0")
		return err != nil
	})

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "writes work again", func() bool { return c.Set(ctx, "w", "back") == nil })
	if v, ok, err := c.GetIfPresent(ctx, "w"); err != nil || !ok || v != "back" {
		t.Fatalf("read after recovery: %q, %v, %v", v, ok, err)
	}
	if _, ok, err := c.GetIfPresent(ctx, "0"); err != nil || ok {
		t.Fatalf("an entry of before the restart (the server kept nothing) read as %v, %v", ok, err)
	}
	if p.CircuitState() != driver.CircuitClosed {
		t.Fatalf("breaker %v after recovery", p.CircuitState())
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(8 * time.Second)
	for {
		// The restarted server's process is watched by a goroutine of the
		// test's own, not of the provider.
		err := goleak.Find(before, goleak.IgnoreAnyFunction("github.com/valcache/valcache/internal/testserver.startProcess.func1"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left 8s after Close: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
