package valkeystore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
	"go.uber.org/goleak"
)

// TestCloseWithTrafficInFlightLeavesNothing closes providers while four
// goroutines are calling them, 200 times over, on a server of its own: no
// goroutine of the provider or of its client, and no connection to the
// server, may be left. valkey-go dials connections lazily, from within a
// call; a call that is dialing when Close runs must not leave its new
// connection behind.
func TestCloseWithTrafficInFlightLeavesNothing(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	const name = "closerace"
	before := goleak.IgnoreCurrent()
	start := time.Now()
	for cycle := range 200 {
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("only %d cycles within 2 minutes", cycle)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{srv.Addr()}, ClientName: name})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		closeUnderTraffic(t, p, cycle)
	}
	eventuallyNothingLeft(t, srv.Addr(), name, before)
}

// closeUnderTraffic runs four goroutines of calls on p and closes it once
// the goroutines have made cycle%8 calls between them, so that Close meets
// calls at every stage, the first dials included.
func closeUnderTraffic(t *testing.T, p driver.Provider, cycle int) {
	t.Helper()
	var calls atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() { traffic(t, p, g, &calls) })
	}
	for i := 0; calls.Load() < int64(cycle%8) && i < 5000; i++ {
		time.Sleep(100 * time.Microsecond)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

// traffic calls p until p reports ErrClosed, at most 10 000 times.
func traffic(t *testing.T, p driver.Provider, g int, calls *atomic.Int64) {
	k := driver.Key{Namespace: "closerace", ID: string(rune('a' + g))}
	for i := range 10_000 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var err error
		switch i % 3 {
		case 0:
			err = p.Set(ctx, k, []byte("v"), time.Minute)
		case 1:
			_, _, err = p.Get(ctx, k)
		default:
			err = p.Delete(ctx, k)
		}
		cancel()
		calls.Add(1)
		if errors.Is(err, driver.ErrClosed) {
			return
		}
		if err != nil {
			t.Errorf("traffic: %v", err)
			return
		}
	}
}

// eventuallyNothingLeft waits for every goroutine started since before to
// end and for the server to see every connection named name closed.
func eventuallyNothingLeft(t *testing.T, addr, name string, before goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		gerr := goleak.Find(before)
		conns := namedConns(t, addr, name)
		if gerr == nil && conns == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("15s after the last Close: %d connections named %q open on the server; goroutines: %v", conns, name, gerr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// namedConns counts the server's connections named name, from CLIENT LIST.
func namedConns(t *testing.T, addr, name string) int {
	t.Helper()
	reply, err := testserver.Command(addr, "CLIENT", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := reply.(string)
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			n++
		}
	}
	return n
}
