package testserver

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Bounds on every wait, so a broken server fails a test instead of hanging it.
const (
	startAttempts = 5                      // fresh-port retries when a port was taken
	readyTimeout  = 10 * time.Second       // process start until it answers PING
	probeTimeout  = time.Second            // one readiness/INFO round trip
	probeInterval = 20 * time.Millisecond  // pause between readiness probes
	stopTimeout   = 5 * time.Second        // SHUTDOWN until the process has exited
	rebindPause   = 100 * time.Millisecond // Restart: pause before retrying the same port
)

// errPortTaken marks a launch that failed only because a port was in use.
var errPortTaken = errors.New("port already in use")

// startNode creates a private temp dir and launches bin on freshly picked
// ports, retrying with new ports when another process grabbed one.
// cluster selects a cluster node, which needs a second (bus) port.
func startNode(name string, opts Options, cluster bool) (*Server, error) {
	return startProcessNode(name, opts, cluster, nil)
}

// startProcessNode is startNode, for a sentinel too: its file is written
// anew for each port tried.
func startProcessNode(name string, opts Options, cluster bool, sentinel *sentinelSpec) (*Server, error) {
	bin, err := lookBinary(name)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "valcache-"+name+"-*")
	if err != nil {
		return nil, fmt.Errorf("testserver: temp dir: %w", err)
	}
	s := &Server{cfg: nodeConfig{bin: bin, dir: dir, opts: opts, sentinel: sentinel}}
	nports := 1
	if cluster {
		nports++
	}
	if opts.TLS != nil {
		nports++
	}
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(nports)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.cfg.port, ports = ports[0], ports[1:]
		if cluster {
			s.cfg.busPort, ports = ports[0], ports[1:]
		}
		if opts.TLS != nil {
			s.cfg.tlsPort = ports[0]
		}
		if sentinel != nil {
			if err := os.WriteFile(sentinelConfPath(dir), []byte(s.cfg.sentinelConf()), 0o600); err != nil {
				os.RemoveAll(dir)
				return nil, fmt.Errorf("testserver: write sentinel config: %w", err)
			}
		}
		err = s.launch()
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == startAttempts {
			os.RemoveAll(dir)
			return nil, err
		}
		// A stale nodes.conf or log from the failed try must not leak into the next.
		os.Remove(dir + "/nodes.conf")
		os.Remove(logPath(dir))
	}
}

// launch starts the process for s.cfg and waits until it answers. On failure
// the process is gone and the error carries the log tail; it wraps
// errPortTaken when the cause was a port in use. The caller holds s.mu or
// owns s exclusively.
func (s *Server) launch() error {
	since := logSize(s.cfg.dir)
	p, err := startProcess(s.cfg.bin, s.cfg.args(), s.cfg.dir)
	if err != nil {
		return err
	}
	info, err := waitReady(p, s.cfg.addr(), s.cfg.opts.Password)
	if err != nil {
		p.kill()
		if bindFailed(s.cfg.dir, since) {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return fmt.Errorf("testserver: %s on %s: %w%s", s.cfg.bin, s.cfg.addr(), err, logTail(s.cfg.dir))
	}
	s.proc = p
	s.product, s.version = serverIdentity(info)
	return nil
}

// waitReady polls until the server answers PING and INFO server shows our
// own pid (a foreign server that won a port race also answers PING), and
// returns that INFO. It gives up when the process exits or readyTimeout passes.
func waitReady(p *process, addr, password string) (map[string]string, error) {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for {
		if p.exited() {
			return nil, fmt.Errorf("server exited during start (%v)", p.waitErr)
		}
		info, err := probe(addr, password)
		if err == nil && info["process_id"] == strconv.Itoa(p.cmd.Process.Pid) {
			return info, nil
		}
		if err == nil {
			err = fmt.Errorf("another process (pid %s) answers on %s", info["process_id"], addr)
		}
		last = err
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no PING reply within %s: last error: %v", readyTimeout, last)
		}
		time.Sleep(probeInterval)
	}
}

// probe sends [AUTH] PING and INFO server on one connection.
func probe(addr, password string) (map[string]string, error) {
	c, err := dialRESP(addr, probeTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if password != "" {
		if _, err := c.do("AUTH", password); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	pong, err := c.do("PING")
	if err != nil {
		return nil, fmt.Errorf("PING: %w", err)
	}
	if pong != "PONG" {
		return nil, fmt.Errorf("PING: unexpected reply %v", pong)
	}
	v, err := c.do("INFO", "server")
	if err != nil {
		return nil, fmt.Errorf("INFO server: %w", err)
	}
	text, _ := v.(string)
	return parseInfo(text), nil
}
