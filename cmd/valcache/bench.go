package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
)

// benchConfig is a bench run's workload and where it runs.
type benchConfig struct {
	srv           server
	provider      string
	keys          int
	maxEntries    int
	dist          string
	zipfS, zipfV  float64
	readRatio     float64
	valueSize     int
	concurrency   int
	duration      time.Duration
	ops           int64
	loaderLatency time.Duration
	ttl           time.Duration
	prefill       bool
	namespace     string
	seed          uint64
	jsonOut       bool
	htmlPath      string
}

// Limits on bench flags: a typo should be a usage error, not a run that
// exhausts the machine.
const (
	maxBenchKeys        = 100_000_000
	maxBenchValueSize   = 64 << 20
	maxBenchConcurrency = 10_000
	maxBenchDuration    = 24 * time.Hour
)

func (c *benchConfig) flags(fs *flag.FlagSet) {
	c.srv.register(fs, "")
	fs.StringVar(&c.provider, "provider", "", "`KIND` of provider: memory, valkey or twolevel (default memory, or valkey when a server is named)")
	fs.IntVar(&c.keys, "keys", 10_000, "number of distinct keys `N`")
	fs.IntVar(&c.maxEntries, "max-entries", 0, "bound `N` of the in-process store (memory, and twolevel's L1); 0 means --keys")
	fs.StringVar(&c.dist, "dist", "uniform", "key distribution `D`: uniform or zipf")
	fs.Float64Var(&c.zipfS, "zipf-s", 1.1, "zipf exponent `S` (> 1; larger is more skewed)")
	fs.Float64Var(&c.zipfV, "zipf-v", 1, "zipf offset `V` (>= 1)")
	fs.Float64Var(&c.readRatio, "reads", 0.9, "fraction `F` of operations that are reads (Get with a loader); the rest are writes (Set)")
	fs.IntVar(&c.valueSize, "value-size", 256, "value size in `BYTES`")
	fs.IntVar(&c.concurrency, "concurrency", 16, "number of concurrent workers `N`")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "run for `D` (also the cap when --ops is set)")
	fs.Int64Var(&c.ops, "ops", 0, "stop after `N` operations (0: run for --duration)")
	fs.DurationVar(&c.loaderLatency, "loader-latency", time.Millisecond, "time `D` the loader takes on a miss (the source behind the cache)")
	fs.DurationVar(&c.ttl, "ttl", 10*time.Minute, "TTL `D` of written entries")
	fs.BoolVar(&c.prefill, "prefill", false, "write every key before measuring, so reads start warm")
	fs.StringVar(&c.namespace, "namespace", "valcache-bench", "`NAME` of the namespace used (cleared before and after the run)")
	fs.Uint64Var(&c.seed, "seed", 1, "random `SEED` of the workload")
	fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON")
	fs.StringVar(&c.htmlPath, "html", "", "also write an HTML report with charts to `FILE`")
}

// check returns what is wrong with the flags, for a usage error.
func (c *benchConfig) check() error {
	if c.provider == "" {
		c.provider = "memory"
		if c.srv.set() {
			c.provider = "valkey"
		}
	}
	if c.maxEntries == 0 {
		c.maxEntries = c.keys
	}
	if _, err := c.srv.addrs(); c.srv.set() && err != nil {
		return err
	}
	switch {
	case c.provider != "memory" && c.provider != "valkey" && c.provider != "twolevel":
		return fmt.Errorf("--provider %q: want memory, valkey or twolevel", c.provider)
	case c.provider == "memory" && c.srv.set():
		return errors.New("--provider memory runs in process: drop --valkey/--cluster")
	case c.provider != "memory" && !c.srv.set():
		return fmt.Errorf("--provider %s needs --valkey ADDR or --cluster ADDR,...", c.provider)
	case c.keys < 1 || c.keys > maxBenchKeys:
		return fmt.Errorf("--keys %d: want 1 to %d", c.keys, maxBenchKeys)
	case c.maxEntries < 1:
		return fmt.Errorf("--max-entries %d: want a positive bound", c.maxEntries)
	case c.dist != "uniform" && c.dist != "zipf":
		return fmt.Errorf("--dist %q: want uniform or zipf", c.dist)
	case c.dist == "zipf" && !(c.zipfS > 1):
		return fmt.Errorf("--zipf-s %v: must be greater than 1", c.zipfS)
	case c.dist == "zipf" && !(c.zipfV >= 1):
		return fmt.Errorf("--zipf-v %v: must be at least 1", c.zipfV)
	case !(c.readRatio >= 0 && c.readRatio <= 1):
		return fmt.Errorf("--reads %v: want a fraction from 0 to 1", c.readRatio)
	case c.valueSize < 0 || c.valueSize > maxBenchValueSize:
		return fmt.Errorf("--value-size %d: want 0 to %d", c.valueSize, maxBenchValueSize)
	case c.concurrency < 1 || c.concurrency > maxBenchConcurrency:
		return fmt.Errorf("--concurrency %d: want 1 to %d", c.concurrency, maxBenchConcurrency)
	case c.duration <= 0 || c.duration > maxBenchDuration:
		return fmt.Errorf("--duration %v: want more than 0 and at most %v", c.duration, maxBenchDuration)
	case c.ops < 0:
		return fmt.Errorf("--ops %d is negative", c.ops)
	case c.loaderLatency < 0:
		return fmt.Errorf("--loader-latency %v is negative", c.loaderLatency)
	case c.ttl <= 0:
		return fmt.Errorf("--ttl %v: must be positive", c.ttl)
	case c.namespace == "":
		return errors.New("--namespace is empty")
	}
	return nil
}

func runBench(ctx context.Context, args []string, con console) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(con.stderr)
	var cfg benchConfig
	cfg.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: valcache bench [flags]\n\n"+
			"Runs a workload of reads (Get with a loader) and writes (Set) against a cache and\n"+
			"reports throughput, latency percentiles, hit ratio, loader calls and errors.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(con, "bench", "unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.check(); err != nil {
		return usageError(con, "bench", "%v", err)
	}
	p, where, err := cfg.open(ctx, con.stderr)
	if err != nil {
		return fail(con, "bench", err)
	}
	defer p.Close()
	var progress io.Writer
	if con.terminal {
		progress = con.stderr
	}
	rep, err := runWorkload(ctx, p, where, cfg, progress)
	if err != nil {
		return fail(con, "bench", err)
	}
	if cfg.htmlPath != "" {
		if err := os.WriteFile(cfg.htmlPath, renderHTML(rep), 0o644); err != nil {
			return fail(con, "bench", err)
		}
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(con.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(con, "bench", err)
		}
	} else {
		writeText(con.stdout, rep)
		if cfg.htmlPath != "" {
			fmt.Fprintf(con.stdout, "html report: %s\n", cfg.htmlPath)
		}
	}
	if rep.Errors > 0 {
		return fail(con, "bench", fmt.Errorf("%d operations failed; first: %s", rep.Errors, rep.FirstError))
	}
	return exitOK
}

// open builds the provider the flags name.
func (c *benchConfig) open(ctx context.Context, stderr io.Writer) (driver.Provider, string, error) {
	if c.provider == "memory" {
		p, err := memory.New(memory.Config{MaxEntries: c.maxEntries})
		return p, "in-process provider (otter)", err
	}
	l2, err := c.srv.connect(ctx, "valcache-bench", c.provider == "twolevel", stderr)
	if err != nil {
		return nil, "", err
	}
	where := c.srv.describe(l2)
	if c.provider == "valkey" {
		return l2, where, nil
	}
	l1, err := memory.New(memory.Config{MaxEntries: c.maxEntries})
	if err != nil {
		_ = l2.Close()
		return nil, "", err
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		_ = l1.Close()
		_ = l2.Close()
		return nil, "", err
	}
	return p, "two-level provider (in-process L1) over the " + where, nil
}

// writeText prints the report for a person.
func writeText(w io.Writer, r *benchReport) {
	fmt.Fprintf(w, "valcache bench on the %s\n", r.Provider)
	fmt.Fprintf(w, "workload  %s\n\n", r.Workload.summary())
	fmt.Fprintf(w, "ops       %s in %.2fs: %s ops/s\n", grouped(r.Ops), r.ElapsedSeconds, grouped(int64(r.Throughput)))
	if r.Reads > 0 {
		fmt.Fprintf(w, "reads     %s, hit ratio %.2f%% (%s loader calls)\n", grouped(r.Reads), 100*r.HitRatio, grouped(r.LoaderCalls))
	} else {
		fmt.Fprintf(w, "reads     0\n")
	}
	fmt.Fprintf(w, "writes    %s\n", grouped(r.Writes))
	fmt.Fprintf(w, "errors    %s\n", grouped(r.Errors))
	if r.FirstError != "" {
		fmt.Fprintf(w, "          first: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "\nlatency   %8s %8s %8s %8s %8s %8s\n", "p50", "p90", "p99", "p99.9", "max", "mean")
	for _, row := range []struct {
		name string
		l    latencySummary
	}{{"all", r.Latency}, {"reads", r.ReadLatency}, {"writes", r.WriteLatency}} {
		if row.l.Count == 0 {
			continue
		}
		l := row.l
		fmt.Fprintf(w, "  %-7s %8s %8s %8s %8s %8s %8s\n", row.name, short(l.P50), short(l.P90), short(l.P99), short(l.P999), short(l.Max), short(l.Mean))
	}
}

// short formats a latency with three significant digits.
func short(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", ns)
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(ns)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}

// grouped writes n with thousands separators.
func grouped(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
