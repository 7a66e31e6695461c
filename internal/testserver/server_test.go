package testserver

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startValkey starts a server for one test and stops it at cleanup.
func startValkey(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := StartValkey(opts)
	Require(t, err)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// ping sends an unauthenticated PING.
func ping(addr string) (string, error) {
	return commandString(addr, "", time.Second, "PING")
}

func TestValkeyAnswersPing(t *testing.T) {
	t.Parallel()
	s := startValkey(t, Options{})
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("Addr = %q, want loopback", s.Addr())
	}
	if got, err := ping(s.Addr()); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	if !strings.HasPrefix(s.Version(), "8.") {
		t.Errorf("Version = %q, want 8.x", s.Version())
	}
}

func TestRedisAnswersPing(t *testing.T) {
	t.Parallel()
	s, err := StartRedis(Options{})
	Require(t, err)
	defer s.Stop()
	if got, err := ping(s.Addr()); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	if !strings.HasPrefix(s.Version(), "7.") {
		t.Errorf("Version = %q, want 7.x", s.Version())
	}
}

func TestPasswordRejectsUnauthenticated(t *testing.T) {
	t.Parallel()
	s := startValkey(t, Options{Password: "s3cret"})
	_, err := ping(s.Addr())
	var se serverError
	if !errors.As(err, &se) || !strings.HasPrefix(string(se), "NOAUTH") {
		t.Fatalf("unauthenticated PING error = %v, want NOAUTH reply", err)
	}
	if got, err := commandString(s.Addr(), "s3cret", time.Second, "PING"); err != nil || got != "PONG" {
		t.Fatalf("authenticated PING = %q, %v", got, err)
	}
}

func TestArgsAreApplied(t *testing.T) {
	t.Parallel()
	s := startValkey(t, Options{Args: []string{"--maxmemory", "12mb"}})
	v, err := command(s.Addr(), "", time.Second, "CONFIG", "GET", "maxmemory")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.([]any); len(got) != 2 || got[1] != "12582912" {
		t.Fatalf("CONFIG GET maxmemory = %v", v)
	}
}

func TestKillAndRestartKeepAddr(t *testing.T) {
	t.Parallel()
	s := startValkey(t, Options{Password: "pw"})
	addr := s.Addr()
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if _, err := ping(addr); err == nil {
		t.Fatal("killed server still answers")
	}
	if err := s.Kill(); err != nil {
		t.Fatalf("second Kill: %v", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Addr() != addr {
		t.Fatalf("Addr changed from %s to %s", addr, s.Addr())
	}
	if got, err := commandString(addr, "pw", time.Second, "PING"); err != nil || got != "PONG" {
		t.Fatalf("PING after Restart = %q, %v", got, err)
	}
	// Restart of a running server replaces the process.
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart while running: %v", err)
	}
}

func TestStopIsIdempotent(t *testing.T) {
	t.Parallel()
	s, err := StartValkey(Options{})
	Require(t, err)
	dir := s.cfg.dir
	for i := range 2 {
		if err := s.Stop(); err != nil {
			t.Fatalf("Stop #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dir %s still exists: %v", dir, err)
	}
	if _, err := ping(s.Addr()); err == nil {
		t.Error("stopped server still answers")
	}
	if err := s.Kill(); err != nil {
		t.Errorf("Kill after Stop: %v", err)
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart after Stop succeeded")
	}
}

func TestStartFailureShowsLog(t *testing.T) {
	t.Parallel()
	if _, err := lookBinary("valkey-server"); err != nil {
		Require(t, err)
	}
	_, err := StartValkey(Options{Args: []string{"--no-such-directive", "x"}})
	if err == nil {
		t.Fatal("start with a bad directive succeeded")
	}
	if !strings.Contains(err.Error(), "no-such-directive") {
		t.Fatalf("error lacks the log tail: %v", err)
	}
}

// A distribution may ship redis-server as an alias of Valkey; StartRedis must
// refuse it and say what it found. Not parallel: it changes PATH.
func TestStartRedisRejectsValkey(t *testing.T) {
	valkey, err := lookBinary("valkey-server")
	Require(t, err)
	dir := t.TempDir()
	if err := os.Symlink(valkey, filepath.Join(dir, "redis-server")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	s, err := StartRedis(Options{})
	if err == nil {
		s.Stop()
		t.Fatal("StartRedis accepted Valkey")
	}
	if !strings.Contains(err.Error(), "valkey 8.") {
		t.Fatalf("error does not name the found version: %v", err)
	}
}

// launch must classify a taken port as errPortTaken, the signal for startNode
// to retry on fresh ports and for Restart to retry the same one.
func TestLaunchDetectsPortInUse(t *testing.T) {
	t.Parallel()
	bin, err := lookBinary("valkey-server")
	Require(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &Server{cfg: nodeConfig{bin: bin, dir: t.TempDir(), port: ln.Addr().(*net.TCPAddr).Port}}
	err = s.launch()
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("launch on a taken port: %v, want errPortTaken", err)
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("error lacks the log tail: %v", err)
	}
}

// A paused server keeps its port but answers nothing until resumed, and a
// paused server still stops.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	s := startValkey(t, Options{})
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if got, err := commandString(s.Addr(), "", 300*time.Millisecond, "PING"); err == nil {
		t.Fatalf("a paused server answered PING with %q", got)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if got, err := ping(s.Addr()); err != nil || got != "PONG" {
		t.Fatalf("PING after Resume = %q, %v", got, err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop of a paused server: %v", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatalf("Resume after Stop: %v", err)
	}
}

// A Sentinel setup fails over when its primary dies: the sentinels name
// the replica, which reports itself the primary.
func TestSentinelFailsOver(t *testing.T) {
	t.Parallel()
	s, err := StartSentinel()
	Require(t, err)
	defer s.Stop()
	primary, err := s.Primary()
	if err != nil {
		t.Fatal(err)
	}
	if primary != s.Nodes()[0] {
		t.Fatalf("primary %s, want the first node %s", primary.Addr(), s.Nodes()[0].Addr())
	}
	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}
	next, err := s.WaitFailover(primary, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if next != s.Nodes()[1] {
		t.Fatalf("promoted %s, want the replica %s", next.Addr(), s.Nodes()[1].Addr())
	}
}
