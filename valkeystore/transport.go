package valkeystore

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/valkey-io/valkey-go"
)

// ErrTLSMismatch is wrapped by the error New returns when Config.TLS and
// the server's port disagree: TLS against a plaintext port, or plaintext
// against a TLS port.
var ErrTLSMismatch = errors.New("valkeystore: TLS mismatch")

// probeTimeout bounds each probe of a port's transport.
const probeTimeout = 500 * time.Millisecond

// checkPlaintextPorts fails when TLS is configured but an address answers
// a plaintext PING. A TLS client's handshake against such a port is read by
// the server as the start of an inline command that never ends, so neither
// side says anything until the dial timeout, which then reads as a plain
// timeout. One PING on a connection of its own tells it at once; a TLS
// port answers it with an alert or by closing, which is no RESP reply.
// Custom dialers (ClientOption's DialCtxFn) are left alone, and so are
// sentinels, whose TLS is configured apart from the data nodes'.
func checkPlaintextPorts(ctx context.Context, opt *valkey.ClientOption, dialTimeout time.Duration) error {
	if opt.TLSConfig == nil || opt.DialCtxFn != nil || opt.Sentinel.MasterSet != "" {
		return nil
	}
	for _, addr := range opt.InitAddress {
		if speaksPlaintext(ctx, addr, min(dialTimeout, probeTimeout)) {
			return fmt.Errorf("%w: connect to %s: TLS handshake failed: the port answers in plaintext, so the server may not speak TLS there (leave TLS unset, or use the server's tls-port)", ErrTLSMismatch, addr)
		}
	}
	return nil
}

// explainConnectError says when a failed connect without TLS met a port that
// speaks TLS: the server then drops the connection, which the client reports
// as a reset or EOF. Only looked into after a failure, so a working connect
// costs nothing.
func explainConnectError(ctx context.Context, opt *valkey.ClientOption, dialTimeout time.Duration, err error) error {
	if opt.TLSConfig != nil || opt.DialCtxFn != nil || opt.Sentinel.MasterSet != "" {
		return err
	}
	for _, addr := range opt.InitAddress {
		if speaksTLS(ctx, addr, min(dialTimeout, probeTimeout)) {
			return fmt.Errorf("%w: %s speaks TLS and the client does not (set TLS): %w", ErrTLSMismatch, addr, err)
		}
	}
	return err
}

// speaksPlaintext reports whether addr replies to a plaintext PING with a
// RESP simple string or error (+PONG, -NOAUTH, -ERR ...).
func speaksPlaintext(ctx context.Context, addr string, timeout time.Duration) bool {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	b, err := bufio.NewReader(conn).ReadByte()
	return err == nil && (b == '+' || b == '-')
}

// speaksTLS reports whether a TLS handshake with addr completes. The
// certificate is not checked: the question is only which protocol the port
// speaks, and nothing is sent over the connection.
func speaksTLS(ctx context.Context, addr string, timeout time.Duration) bool {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: &tls.Config{InsecureSkipVerify: true}}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}
