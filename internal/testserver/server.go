package testserver

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is one running valkey-server or redis-server process on a loopback
// port, with its own temp dir. Methods are safe for concurrent use so a test
// may Stop from t.Cleanup while a helper goroutine Kills or Restarts.
type Server struct {
	cfg nodeConfig // port and dir never change after start; Restart reuses them

	mu      sync.Mutex
	proc    *process // the current process; may have exited (after Kill)
	product string   // "valkey" or "redis", from INFO server
	version string   // from INFO server at the last (re)start
	stopped bool     // Stop was called; dir is gone
	paused  bool     // Pause was called and Resume not yet
}

// StartValkey starts valkey-server and returns once it answers PING.
func StartValkey(opts Options) (*Server, error) {
	return startNode("valkey-server", opts, false)
}

// StartRedis starts redis-server and returns once it answers PING. The suite
// uses it to check compatibility with Redis 7, so anything else (an older
// Redis, or a distribution's redis-server that is really Valkey) is an error
// naming what was found rather than a silently different test.
func StartRedis(opts Options) (*Server, error) {
	s, err := startNode("redis-server", opts, false)
	if err != nil {
		return nil, err
	}
	if s.product != "redis" || !strings.HasPrefix(s.version, "7.") {
		found := s.product + " " + s.version
		s.Stop()
		return nil, fmt.Errorf("testserver: redis-server is %s, need Redis 7.x (run scripts/install-deps.sh)", found)
	}
	return s, nil
}

// Addr returns the "127.0.0.1:PORT" clients connect to. It stays the same
// across Kill and Restart.
func (s *Server) Addr() string { return s.cfg.addr() }

// TLSAddr returns the "127.0.0.1:PORT" of the TLS port, or "" when the
// server was started without Options.TLS.
func (s *Server) TLSAddr() string {
	if s.cfg.tlsPort == 0 {
		return ""
	}
	return "127.0.0.1:" + strconv.Itoa(s.cfg.tlsPort)
}

// Version returns the server version reported by INFO server (for Valkey,
// valkey_version, not the redis_version compatibility field).
func (s *Server) Version() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Stop shuts the server down with SHUTDOWN NOSAVE NOW (SIGKILL if that does
// not end it in time), waits for the exit and removes its dir. Calling it
// again, or after Kill, is fine.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	var errs []error
	if err := s.resumeLocked(); err != nil {
		errs = append(errs, err)
	}
	if s.proc != nil && !s.proc.exited() {
		errs = append(errs, s.shutdown())
	}
	if err := os.RemoveAll(s.cfg.dir); err != nil {
		errs = append(errs, fmt.Errorf("testserver: remove %s: %w", s.cfg.dir, err))
	}
	return errors.Join(errs...)
}

// shutdown asks the server to exit and falls back to SIGKILL. NOW skips the
// wait for lagging replicas, which would otherwise stall cluster teardown.
func (s *Server) shutdown() error {
	_, err := command(s.cfg.addr(), s.cfg.opts.Password, probeTimeout, "SHUTDOWN", "NOSAVE", "NOW")
	var refused serverError
	if !errors.As(err, &refused) && s.proc.wait(stopTimeout) {
		return nil // a successful SHUTDOWN just closes the connection
	}
	return s.proc.kill()
}

// Kill ends the process with SIGKILL, as a crash would, keeping its dir and
// port so Restart can bring it back. A no-op if it is not running.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	return s.proc.kill()
}

// Restart starts the server again on the same port, dir and options, and
// returns once it answers PING. A still-running process is killed first.
// A freshly freed port can be briefly unavailable, so binding is retried a
// few times. After Stop there is nothing to restart and it returns an error.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("testserver: Restart of %s after Stop", s.cfg.addr())
	}
	if s.proc != nil {
		if err := s.proc.kill(); err != nil {
			return err
		}
	}
	s.paused = false
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		if err = s.launch(); err == nil || !errors.Is(err, errPortTaken) {
			return err
		}
		time.Sleep(rebindPause)
	}
	return err
}

// Pause stops the process with SIGSTOP, as a server that hangs (a long
// fork, a stalled disk, a frozen VM) would look to its clients: its port
// and connections stay open, the kernel still accepts new connections, but
// nothing is answered. Resume lets it go on; Stop, Kill and Restart work on
// a paused server too.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.stopped {
		return fmt.Errorf("testserver: Pause of %s, which is not running", s.cfg.addr())
	}
	if err := s.proc.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	s.paused = true
	return nil
}

// Resume continues a paused server with SIGCONT. A no-op if it is not paused.
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumeLocked()
}

func (s *Server) resumeLocked() error {
	if !s.paused || s.proc == nil {
		return nil
	}
	if err := s.proc.signal(syscall.SIGCONT); err != nil {
		return err
	}
	s.paused = false
	return nil
}
