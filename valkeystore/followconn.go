package valkeystore

import (
	"context"
	"crypto/tls"
	"net"
	"sync"

	"github.com/valkey-io/valkey-go"
)

// watchConnections makes every connection the client dials end the
// follower's epoch when it is made and when it fails or closes. Pushes may
// be lost with a connection, and a new connection tracks nothing, so what
// was followed before cannot be trusted after either. Ending the epoch
// inside Read, before the error reaches the client, means no reply on a
// replacement connection can be delivered before the epoch has ended.
func watchConnections(opt *valkey.ClientOption, f *follower) {
	dial := opt.DialCtxFn
	legacy := opt.DialFn
	opt.DialFn = nil
	opt.DialCtxFn = func(ctx context.Context, dst string, dialer *net.Dialer, cfg *tls.Config) (net.Conn, error) {
		var conn net.Conn
		var err error
		switch {
		case dial != nil:
			conn, err = dial(ctx, dst, dialer, cfg)
		case legacy != nil:
			conn, err = legacy(dst, dialer, cfg)
		case cfg != nil:
			conn, err = (&tls.Dialer{NetDialer: dialer, Config: cfg}).DialContext(ctx, "tcp", dst)
		default:
			conn, err = dialer.DialContext(ctx, "tcp", dst)
		}
		if err != nil {
			return nil, err
		}
		f.invalidateAll()
		return &watchedConn{Conn: conn, f: f}, nil
	}
}

// watchedConn ends the follower's epoch once, on its first failed read or
// on Close.
type watchedConn struct {
	net.Conn
	f    *follower
	once sync.Once
}

func (c *watchedConn) lost() { c.once.Do(c.f.invalidateAll) }

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.lost()
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.lost()
	return c.Conn.Close()
}
