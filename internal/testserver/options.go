package testserver

import (
	"strconv"
	"strings"
)

// Options configures a single server started by StartValkey or StartRedis.
type Options struct {
	// Password, when non-empty, is set as requirepass for the default user,
	// so connections must AUTH before running commands.
	Password string
	// Args are extra "--name value" style arguments appended after the
	// package's own, so they can override its defaults.
	Args []string
	// TLS, when set, makes the server also listen for TLS on a port of its
	// own (Server.TLSAddr), with this certificate and key, not asking
	// clients for certificates. The plaintext port stays, for the package's
	// own probes.
	TLS *TLSFiles
}

// TLSFiles names a PEM certificate (chain) and its private key.
type TLSFiles struct {
	CertFile string
	KeyFile  string
}

// nodeConfig is everything needed to (re)launch one server process; it is
// kept on the Server so Restart reproduces exactly the same command line.
type nodeConfig struct {
	bin     string
	dir     string
	port    int
	busPort int // cluster bus port; 0 means not a cluster node
	tlsPort int // TLS port; 0 means none
	opts    Options
	// sentinel, when set, makes the process a sentinel, configured by a
	// file (sentinels rewrite theirs) rather than by arguments.
	sentinel *sentinelSpec
}

// sentinelSpec is what a sentinel monitors, and how quickly it acts.
type sentinelSpec struct {
	masterSet string
	primary   string // host:port
	quorum    int
}

// sentinelConf is the configuration file of a sentinel: failures are
// noticed after a second and a failover may be retried after three, so
// that tests see one within a few seconds.
func (c nodeConfig) sentinelConf() string {
	host, port, _ := strings.Cut(c.sentinel.primary, ":")
	return strings.Join([]string{
		"port " + strconv.Itoa(c.port),
		"bind 127.0.0.1",
		"daemonize no",
		"dir " + c.dir,
		"logfile " + logPath(c.dir),
		"sentinel monitor " + c.sentinel.masterSet + " " + host + " " + port + " " + strconv.Itoa(c.sentinel.quorum),
		"sentinel down-after-milliseconds " + c.sentinel.masterSet + " 1000",
		"sentinel failover-timeout " + c.sentinel.masterSet + " 3000",
		"sentinel parallel-syncs " + c.sentinel.masterSet + " 1",
		"",
	}, "\n")
}

// sentinelConfPath is where a sentinel's file is kept.
func sentinelConfPath(dir string) string { return dir + "/sentinel.conf" }

// args builds the command line. Persistence is off and the server stays in
// the foreground so the process we started is the server itself. The
// diskless-sync delay (default 5 s, waiting for more replicas to share one
// transfer) is zeroed because it would otherwise dominate cluster start-up.
func (c nodeConfig) args() []string {
	if c.sentinel != nil {
		return []string{sentinelConfPath(c.dir), "--sentinel"}
	}
	a := []string{
		"--port", strconv.Itoa(c.port),
		"--bind", "127.0.0.1",
		"--dir", c.dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--repl-diskless-sync-delay", "0",
		"--logfile", logPath(c.dir),
	}
	if c.busPort != 0 {
		a = append(a,
			"--cluster-enabled", "yes",
			"--cluster-config-file", c.dir+"/nodes.conf",
			"--cluster-node-timeout", "2000",
			"--cluster-port", strconv.Itoa(c.busPort),
		)
	}
	if c.opts.TLS != nil {
		a = append(a,
			"--tls-port", strconv.Itoa(c.tlsPort),
			"--tls-cert-file", c.opts.TLS.CertFile,
			"--tls-key-file", c.opts.TLS.KeyFile,
			"--tls-auth-clients", "no",
		)
	}
	if c.opts.Password != "" {
		a = append(a, "--requirepass", c.opts.Password)
	}
	return append(a, c.opts.Args...)
}

// addr is the loopback address clients use.
func (c nodeConfig) addr() string {
	return "127.0.0.1:" + strconv.Itoa(c.port)
}
