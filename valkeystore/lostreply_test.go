package valkeystore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/valkeystore"
)

// lossyProxy relays connections to a server, and when armed, loses the
// reply of the next call it recognises: a script call (EVALSHA), or an
// election by SET NX GET once armed with armNX. It forwards the call, so the
// server runs it, then drops that connection instead of relaying the reply.
type lossyProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	nx     atomic.Bool // the call to lose is a SET … NX rather than an EVALSHA
	lost   atomic.Int32
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newLossyProxy(t *testing.T, target string) *lossyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lp := &lossyProxy{ln: ln, target: target}
	lp.wg.Add(1)
	go lp.accept()
	t.Cleanup(lp.close)
	return lp
}

func (lp *lossyProxy) addr() string { return lp.ln.Addr().String() }

// pattern is what the call to lose is recognised by.
func (lp *lossyProxy) pattern() []byte {
	if lp.nx.Load() {
		return []byte("\r\nNX\r\n")
	}
	return []byte("EVALSHA")
}

// armNX arms the proxy to lose the reply of the next SET … NX.
func (lp *lossyProxy) armNX() {
	lp.nx.Store(true)
	lp.armed.Store(true)
}

func (lp *lossyProxy) track(c net.Conn) {
	lp.mu.Lock()
	lp.conns = append(lp.conns, c)
	lp.mu.Unlock()
}

func (lp *lossyProxy) close() {
	_ = lp.ln.Close()
	lp.mu.Lock()
	for _, c := range lp.conns {
		_ = c.Close()
	}
	lp.mu.Unlock()
	lp.wg.Wait()
}

func (lp *lossyProxy) accept() {
	defer lp.wg.Done()
	for {
		client, err := lp.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.DialTimeout("tcp", lp.target, 5*time.Second)
		if err != nil {
			_ = client.Close()
			continue
		}
		lp.track(client)
		lp.track(server)
		var dropping atomic.Bool
		lp.wg.Add(2)
		go func() { // client to server, watching for the call to lose
			defer lp.wg.Done()
			defer func() { _ = server.Close() }()
			buf := make([]byte, 64<<10)
			var tail []byte // the end of the last read, for a name split across reads
			for {
				n, err := client.Read(buf)
				if n > 0 {
					seen := append(tail, buf[:n]...)
					if lp.armed.Load() && bytes.Contains(seen, lp.pattern()) && lp.armed.CompareAndSwap(true, false) {
						dropping.Store(true) // before the call reaches the server
						time.AfterFunc(200*time.Millisecond, func() { _ = client.Close(); _ = server.Close() })
						lp.lost.Add(1)
					}
					tail = append(tail[:0], seen[max(0, len(seen)-8):]...)
					if _, werr := server.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server to client, unless the connection is being dropped
			defer lp.wg.Done()
			defer func() { _ = client.Close() }()
			buf := make([]byte, 64<<10)
			for {
				n, err := server.Read(buf)
				if n > 0 && !dropping.Load() {
					if _, werr := client.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					if err != io.EOF {
						return
					}
					return
				}
			}
		}()
	}
}

// A reply lost with its connection after the server ran the call: an
// election sent again with the same token finds its own placeholder and is
// the loader (instead of waiting out its own load's lease), and a write of
// the loaded value sent again finds it written and says so.
func TestCallsWhoseReplyWasLostAreSentAgainSafely(t *testing.T) {
	srv := servers.Valkey(t)
	lp := newLossyProxy(t, srv.Addr())
	p := newProvider(t, valkeystore.Config{Addrs: []string{lp.addr()}, KeyPrefix: "lost:", SkipPolicyCheck: true})
	direct := newProvider(t, valkeystore.Config{Addrs: []string{srv.Addr()}, KeyPrefix: "lost:", SkipPolicyCheck: true})
	ctx := t.Context()
	// Load the scripts on the server, so that the next calls run them at
	// once (EVALSHA) rather than being refused first (NOSCRIPT).
	warm := driver.Key{Namespace: "lost", ID: fmt.Sprintf("warm-%d", time.Now().UnixNano())}
	if token, ok, _, err := p.AcquireLoad(ctx, warm, time.Minute, nil); err != nil || !ok {
		t.Fatalf("warming AcquireLoad: %v %v", ok, err)
	} else if _, err := p.SetLoaded(ctx, warm, token, []byte("w"), time.Minute); err != nil {
		t.Fatalf("warming SetLoaded: %v", err)
	}

	key := driver.Key{Namespace: "lost", ID: fmt.Sprintf("cold-%d", time.Now().UnixNano())}
	lp.armNX() // an absent key is elected with SET NX GET, no script
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	token, acquired, current, err := p.AcquireLoad(actx, key, time.Minute, nil)
	cancel()
	if lp.lost.Load() != 1 {
		t.Fatalf("the proxy lost %d replies, want 1", lp.lost.Load())
	}
	if err != nil || !acquired || current != nil {
		t.Fatalf("AcquireLoad whose first reply was lost: acquired=%v current=%q err=%v, want the load", acquired, current, err)
	}
	// The key holds this load's placeholder, and nobody else's: only this
	// token can write the value.
	if wrote, err := direct.SetLoaded(ctx, key, "someone-else", []byte("x"), time.Minute); err != nil || wrote {
		t.Fatalf("another token's SetLoaded: wrote=%v err=%v", wrote, err)
	}

	lp.nx.Store(false)
	lp.armed.Store(true)
	if _, err := p.SetLoaded(ctx, key, token, []byte("loaded"), time.Minute); err == nil {
		t.Fatal("SetLoaded whose reply was lost reported no error")
	}
	if lp.lost.Load() != 2 {
		t.Fatalf("the proxy lost %d replies, want 2", lp.lost.Load())
	}
	wrote, err := p.SetLoaded(ctx, key, token, []byte("loaded"), time.Minute)
	if err != nil || !wrote {
		t.Fatalf("SetLoaded sent again after its write landed: wrote=%v err=%v, want it reported written", wrote, err)
	}
	if b, found, err := direct.Get(ctx, key); err != nil || !found || string(b) != "loaded" {
		t.Fatalf("the key holds %q (found %v, %v), want the loaded value", b, found, err)
	}

	// The same for an election that takes over the out-of-date bytes seen.
	stale := driver.Key{Namespace: "lost", ID: fmt.Sprintf("stale-%d", time.Now().UnixNano())}
	if err := direct.Set(ctx, stale, []byte("out of date"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := p.AcquireLoad(ctx, warm, time.Minute, []byte("w")); err != nil { // loads the replacing script
		t.Fatal(err)
	}
	lp.armed.Store(true)
	actx, cancel = context.WithTimeout(ctx, 5*time.Second)
	_, acquired, current, err = p.AcquireLoad(actx, stale, time.Minute, []byte("out of date"))
	cancel()
	if lp.lost.Load() != 3 {
		t.Fatalf("the proxy lost %d replies, want 3", lp.lost.Load())
	}
	if err != nil || !acquired || current != nil {
		t.Fatalf("AcquireLoad over stale bytes whose first reply was lost: acquired=%v current=%q err=%v, want the load", acquired, current, err)
	}
}
