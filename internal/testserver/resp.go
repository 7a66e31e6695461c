package testserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// This file is a deliberately tiny RESP2 client, just enough to probe the
// servers (PING, AUTH, INFO, CLUSTER INFO/NODES, SHUTDOWN). The package must
// not depend on the client library whose tests it serves.

// serverError is an error reply (-ERR ..., -NOAUTH ...) from the server.
type serverError string

func (e serverError) Error() string { return string(e) }

// respConn is one connection; every call runs under a single deadline set
// at dial time so no probe can hang.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialRESP connects to addr; the whole conversation must finish within timeout.
func dialRESP(addr string, timeout time.Duration) (*respConn, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	return &respConn{conn: conn, r: bufio.NewReader(conn)}, nil
}

func (c *respConn) Close() error { return c.conn.Close() }

// do sends args as an array of bulk strings and reads one reply. Replies map
// to string (simple and bulk), int64, []any, or nil (null); an error reply is
// returned as a serverError.
func (c *respConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		return nil, err
	}
	return readReply(c.r)
}

// readReply parses one RESP2 reply.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("testserver: malformed RESP line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return body, nil
	case '-':
		return nil, serverError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err // $-1 is null
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err // *-1 is null
		}
		elems := make([]any, n)
		for i := range elems {
			if elems[i], err = readReply(r); err != nil {
				return nil, err
			}
		}
		return elems, nil
	}
	return nil, fmt.Errorf("testserver: unsupported RESP type %q", kind)
}

// command runs one command on a fresh connection, authenticating first when
// password is set. It is the probe used for readiness, INFO and SHUTDOWN.
func command(addr, password string, timeout time.Duration, args ...string) (any, error) {
	c, err := dialRESP(addr, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if password != "" {
		if _, err := c.do("AUTH", password); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	return c.do(args...)
}

// commandString is command for replies that must be a string (PING, INFO).
func commandString(addr, password string, timeout time.Duration, args ...string) (string, error) {
	v, err := command(addr, password, timeout, args...)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", errors.New("testserver: " + args[0] + ": reply is not a string")
	}
	return s, nil
}

// Command sends one command to addr on a connection of its own and returns
// the reply: a string, an int64, nil, or a []any of those. Tests use it to
// act on a server as an outsider would (CLIENT KILL, INFO, DEBUG).
func Command(addr string, args ...string) (any, error) {
	return command(addr, "", probeTimeout, args...)
}
