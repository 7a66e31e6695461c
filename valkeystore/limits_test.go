package valkeystore_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
)

// connectionsReceived reads total_connections_received from INFO stats,
// not counting the connection that asks.
func connectionsReceived(t *testing.T, addr string) int {
	t.Helper()
	v, err := testserver.Command(addr, "INFO", "stats")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := v.(string)
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_connections_received:"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n - 1
		}
	}
	t.Fatalf("no total_connections_received in INFO stats:\n%s", text)
	return 0
}

// A value over the server's proto-max-bulk-len fails alone with
// ErrValueTooLarge, before it is sent: the connection, and the calls
// sharing it, are left alone.
func TestValueOverServerBulkLimitIsTooLarge(t *testing.T) {
	const serverLimit = 16 << 20
	srv, err := testserver.StartValkey(testserver.Options{Args: []string{"--proto-max-bulk-len", "16mb"}})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	p := newProvider(t, valkeystore.Config{Addrs: []string{srv.Addr()}, KeyPrefix: "bulk:"})
	c, err := valcache.New(p, valcache.Options[string, []byte]{Namespace: "bulk"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.Set(ctx, "small", []byte("v")); err != nil {
		t.Fatal(err)
	}
	before := connectionsReceived(t, srv.Addr())
	err = c.Set(ctx, "big", make([]byte, 20<<20))
	var tl *valcache.ValueTooLargeError
	if !errors.Is(err, valcache.ErrValueTooLarge) || !errors.As(err, &tl) || tl.Limit != serverLimit {
		t.Fatalf("Set of 20 MiB against a 16 MiB proto-max-bulk-len: %v, want ErrValueTooLarge with limit %d", err, serverLimit)
	}
	if v, ok, err := c.GetIfPresent(ctx, "small"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("read after the refused Set: %q %v %v", v, ok, err)
	}
	// The probe that read before is one connection more.
	if after := connectionsReceived(t, srv.Addr()); after != before+1 {
		t.Errorf("the refused Set made the client reconnect: %d connections received before, %d after", before, after-1)
	}
}

// capturing keeps the messages of the records logged through it.
type capturing struct {
	mu   sync.Mutex
	msgs []string
}

func (c *capturing) Enabled(context.Context, slog.Level) bool { return true }
func (c *capturing) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r.Level.String()+" "+r.Message)
	return nil
}
func (c *capturing) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capturing) WithGroup(string) slog.Handler      { return c }

func (c *capturing) count(sub string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// A user that may not run CONFIG still connects; the limit is left as
// configured, and that is said once, at Info.
func TestBulkLimitUnreadableIsSaidOnce(t *testing.T) {
	srv, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	if _, err := testserver.Command(srv.Addr(), "ACL", "SETUSER", "noconfig", "on", ">pw", "~*", "&*", "+@all", "-config"); err != nil {
		t.Fatal(err)
	}
	logs := &capturing{}
	p := newProvider(t, valkeystore.Config{
		Addrs: []string{srv.Addr()}, Username: "noconfig", Password: "pw", KeyPrefix: "acl:",
		MaxValueBytes: 1 << 20, Logger: slog.New(logs),
	})
	if n := logs.count("INFO valkeystore: start-up check of proto-max-bulk-len skipped"); n != 1 {
		t.Errorf("%d Info records about proto-max-bulk-len, want 1: %v", n, logs.msgs)
	}
	err = p.Set(t.Context(), driver.Key{Namespace: "ns", ID: "k"}, bytes.Repeat([]byte("x"), 1<<20+1), time.Minute)
	if !errors.Is(err, valcache.ErrValueTooLarge) {
		t.Fatalf("Set over the configured limit: %v", err)
	}
}

// TLS against a plaintext port fails New at once, saying so, instead of
// after the dial timeout with a bare deadline error; plaintext against a
// TLS port says the port speaks TLS.
func TestTLSMismatchIsNamed(t *testing.T) {
	files, pool, err := testserver.SelfSignedTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := testserver.StartValkey(testserver.Options{TLS: files})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	const dial = 30 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 2*dial)
	defer cancel()

	p := newProvider(t, valkeystore.Config{Addrs: []string{srv.TLSAddr()}, TLS: &tls.Config{RootCAs: pool}, KeyPrefix: "tls:"})
	if err := p.Set(ctx, driver.Key{Namespace: "ns", ID: "k"}, []byte("v"), time.Minute); err != nil {
		t.Fatalf("Set over TLS: %v", err)
	}

	start := time.Now()
	_, err = valkeystore.New(ctx, valkeystore.Config{Addrs: []string{srv.Addr()}, TLS: &tls.Config{RootCAs: pool}, DialTimeout: dial})
	if !errors.Is(err, valkeystore.ErrTLSMismatch) || !strings.Contains(err.Error(), "TLS handshake failed") || !strings.Contains(err.Error(), "may not speak TLS") {
		t.Errorf("TLS against a plaintext port: %v, want ErrTLSMismatch saying the handshake failed", err)
	}
	if waited := time.Since(start); waited >= dial {
		t.Errorf("TLS against a plaintext port failed only after the dial timeout (%v)", waited)
	}

	_, err = valkeystore.New(ctx, valkeystore.Config{Addrs: []string{srv.TLSAddr()}, DialTimeout: dial})
	if !errors.Is(err, valkeystore.ErrTLSMismatch) || !strings.Contains(err.Error(), "speaks TLS") {
		t.Errorf("plaintext against a TLS port: %v, want ErrTLSMismatch saying the port speaks TLS", err)
	}
}
