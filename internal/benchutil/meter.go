package benchutil

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valcache/valcache/internal/testserver"
	"github.com/valkey-io/valkey-go"
)

// A Meter reads something before and after a benchmark's timed loop and
// reports what the loop cost per operation, with b.ReportMetric. Begin runs
// before the timer starts and End after it stops, so their own work is not
// timed and their allocations are not counted.
type Meter interface {
	Begin(b *testing.B)
	End(b *testing.B, goroutines int)
}

// minPerOp is the smallest rate of one command worth a metric of its own
// (one call in a hundred operations); rarer ones count only in cmds/op.
const minPerOp = 0.01

// ServerCommands counts the commands a set of servers runs during the
// timed loop, from INFO commandstats read on every node before and after
// it (see testserver.CommandStats for what the server counts: a script's
// inner commands too, under their own names). It reports
//
//   - cmds/op: every command the servers ran, per operation;
//   - NAME/op (GET/op, EVALSHA/op, CLIENT|CACHING/op, ...): each command run
//     at least once per hundred operations.
//
// The counters are diffed rather than reset, so nothing else is disturbed.
// The readings' own INFO commands are taken out of the counts, and so are
// the commands sent whatever a benchmark does (see background): PING,
// which valkey-go sends on every connection idle for a second (the other
// side's client, during a side-by-side run), and a replica's REPLCONF
// acknowledgements. No benchmarked operation sends either. Anything else
// that any client of these servers runs meanwhile is counted, so a
// counting benchmark should have the servers to itself while it runs:
// benchmarks in one binary run one after another, and each of this
// project's test binaries starts servers of its own.
//
// On a cluster, give every node. A replica counts the writes it applies
// from its primary (so a write counts once per copy), and does so a moment
// after the primary: after filling a cluster, wait for the replicas
// (testserver.Cluster.WaitReplicated) before measuring. Reads are not
// replicated, so a read benchmark's counts are what the clients sent.
type ServerCommands struct {
	addrs  []string
	shares []string // addresses whose share of reads is reported, or nil
	before []map[string]int64
	after  []map[string]int64
}

// CountCommands returns a ServerCommands over the servers at addrs.
func CountCommands(addrs ...string) *ServerCommands {
	return &ServerCommands{addrs: slices.Clone(addrs)}
}

// readCommands are the commands that read entries: what a hit, a batch
// read or a script-based read sends. A script's inner GETs count under get
// as well as under the script's own command.
var readCommands = []string{"get", "mget", "getex", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}

// WithReadShares also reports, for each of primaries (which must be among
// the counted addresses), its share of all the read commands counted
// (readCommands), as primary0-share, primary1-share, ... in the order
// given, and the largest of them as max-share. Reads spread evenly over n
// primaries give each 1/n; a key every operation reads shows up as one
// primary's share above that.
func (s *ServerCommands) WithReadShares(primaries []string) *ServerCommands {
	s.shares = slices.Clone(primaries)
	return s
}

// Begin implements Meter.
func (s *ServerCommands) Begin(b *testing.B) {
	s.before = s.read(b)
}

// End implements Meter.
func (s *ServerCommands) End(b *testing.B, _ int) {
	s.after = s.read(b)
	perNode := s.Diff()
	total := map[string]int64{}
	for _, d := range perNode {
		for cmd, n := range d {
			total[cmd] += n
		}
	}
	ops := float64(b.N)
	var all int64
	for cmd, n := range total {
		all += n
		if float64(n)/ops >= minPerOp {
			b.ReportMetric(float64(n)/ops, strings.ToUpper(cmd)+"/op")
		}
	}
	b.ReportMetric(float64(all)/ops, "cmds/op")
	if s.shares != nil {
		s.reportShares(b, perNode)
	}
}

// background are the commands servers and clients send on their own,
// whatever the benchmark does: PING on idle connections (valkey-go, every
// second) and on the replication link, and REPLCONF, with which a replica
// acknowledges its primary every second.
var background = map[string]bool{"ping": true, "replconf": true}

// Diff returns, per counted address (in the order given), how many times
// each command ran between Begin and End, less the readings' own commands
// and the background commands.
func (s *ServerCommands) Diff() []map[string]int64 {
	out := make([]map[string]int64, len(s.addrs))
	for i := range s.addrs {
		d := map[string]int64{}
		for cmd, n := range s.after[i] {
			if n -= s.before[i][cmd]; cmd == "info" {
				n-- // the first reading's INFO; the second does not count itself
			}
			if n > 0 && !background[cmd] {
				d[cmd] = n
			}
		}
		out[i] = d
	}
	return out
}

func (s *ServerCommands) reportShares(b *testing.B, perNode []map[string]int64) {
	reads := make(map[string]int64, len(s.addrs))
	var all int64
	for i, addr := range s.addrs {
		for _, cmd := range readCommands {
			reads[addr] += perNode[i][cmd]
			all += perNode[i][cmd]
		}
	}
	if all == 0 {
		return
	}
	var most float64
	for i, addr := range s.shares {
		share := float64(reads[addr]) / float64(all)
		most = max(most, share)
		b.ReportMetric(share, fmt.Sprintf("primary%d-share", i))
	}
	b.ReportMetric(most, "max-share")
}

func (s *ServerCommands) read(b *testing.B) []map[string]int64 {
	out := make([]map[string]int64, len(s.addrs))
	for i, addr := range s.addrs {
		stats, err := testserver.CommandStats(addr)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = stats
	}
	return out
}

// SocketWrites counts the writes a valkey-go client makes on its
// connections; install it with ClientOption. With one goroutine calling,
// each write is a batch of commands that the caller then waits for, so
// writes per operation are round trips per operation, which End reports
// as roundtrips/op. With more goroutines valkey-go merges their commands
// into shared writes, so the count says nothing about one operation's
// round trips, and End reports nothing.
type SocketWrites struct {
	n     atomic.Int64
	start int64
}

// ClientOption makes the client dial counted connections. It fits
// valkeystore.Config.ClientOption.
func (w *SocketWrites) ClientOption(o *valkey.ClientOption) {
	o.DialCtxFn = func(ctx context.Context, addr string, d *net.Dialer, cfg *tls.Config) (net.Conn, error) {
		var c net.Conn
		var err error
		if cfg != nil {
			c, err = (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", addr)
		} else {
			c, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		return countedConn{Conn: c, n: &w.n}, nil
	}
}

// Begin implements Meter.
func (w *SocketWrites) Begin(*testing.B) { w.start = w.n.Load() }

// End implements Meter.
func (w *SocketWrites) End(b *testing.B, goroutines int) {
	if goroutines == 1 {
		b.ReportMetric(float64(w.n.Load()-w.start)/float64(b.N), "roundtrips/op")
	}
}

type countedConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countedConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}
