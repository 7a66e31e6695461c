package valkeystore_test

import (
	"context"
	"crypto/tls"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
	"github.com/valkey-io/valkey-go"
)

// TestACancelledCallerDoesNotFailCallsSharingItsReconnect: valkey-go
// reconnects lazily, with the context of the call that finds the
// connection gone, and hands that connection (or that call's error) to
// every call that needs it meanwhile. A caller that gives up during the
// reconnect must not fail the others with its context.Canceled.
func TestACancelledCallerDoesNotFailCallsSharingItsReconnect(t *testing.T) {
	srv := servers.Valkey(t)
	name := "dialshare-" + strings.ReplaceAll(t.Name(), "/", "-")
	var dials atomic.Int32
	dialing := make(chan struct{}, 1)
	p := newProvider(t, valkeystore.Config{
		Addrs:      []string{srv.Addr()},
		ClientName: name,
		// Long enough that the impatient caller's dial ends by its
		// cancellation, not its deadline, on a loaded machine.
		OperationTimeout: time.Minute,
		ClientOption: func(o *valkey.ClientOption) {
			o.PipelineMultiplex = -1 // one connection, so every call shares its reconnect
			o.DialCtxFn = func(ctx context.Context, dst string, d *net.Dialer, _ *tls.Config) (net.Conn, error) {
				if dials.Add(1) == 2 { // the first reconnect waits until its caller gives up
					dialing <- struct{}{}
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return d.DialContext(ctx, "tcp", dst)
			}
		},
	})
	k := driver.Key{Namespace: "dialshare", ID: "k"}
	if err := p.Set(t.Context(), k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := killClients(t, srv.Addr(), name); n == 0 {
		t.Fatal("no connection to kill")
	}

	// The impatient caller reads until one of its reads is the reconnect.
	impatient, giveUp := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	defer func() { giveUp(); <-stopped }()
	go func() {
		defer close(stopped)
		for i := 0; i < 1000 && impatient.Err() == nil; i++ {
			_, _, _ = p.Get(impatient, k)
		}
	}()
	select {
	case <-dialing:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect within 10s of the kill")
	}

	// Patient callers need the same connection, and wait for the dial:
	// writes, which valkey-go itself never sends again, one of them a
	// pipeline.
	got := make(chan error, 2)
	patient := func(call func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got <- call(ctx)
	}
	go patient(func(ctx context.Context) error { return p.Set(ctx, k, []byte("w"), time.Minute) })
	go patient(func(ctx context.Context) error {
		return p.SetMany(ctx, []driver.Item{{Key: k, Value: []byte("w"), TTL: time.Minute}})
	})
	waitForStacks(t, 2, "(*mux)._pipe", "(*WaitGroup).Wait")
	giveUp()
	for range 2 {
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("a caller with 10s left failed because another gave up: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("a patient caller did not return")
		}
	}
}

// waitForStacks polls until n goroutines have stacks holding every one of
// parts.
func waitForStacks(t *testing.T, n int, parts ...string) {
	t.Helper()
	buf := make([]byte, 4<<20)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		found := 0
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(g, p)
			}
			if all {
				found++
			}
		}
		if found >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d goroutines in %v within 10s", n, parts)
}

// killClients closes the server side of every connection named name, as a
// network fault or an operator's CLIENT KILL would.
func killClients(t *testing.T, addr, name string) int {
	t.Helper()
	reply, err := testserver.Command(addr, "CLIENT", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := reply.(string)
	killed := 0
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for field := range strings.FieldsSeq(line) {
			if id, ok := strings.CutPrefix(field, "id="); ok {
				if _, err := testserver.Command(addr, "CLIENT", "KILL", "ID", id); err == nil {
					killed++
				}
			}
		}
	}
	return killed
}
