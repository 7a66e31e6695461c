package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/memory"
)

// tinyBench is a workload small enough for a test: an operation budget,
// with a duration cap far above what it needs.
var tinyBench = []string{"bench", "--ops", "3000", "--keys", "200", "--concurrency", "4", "--loader-latency", "100us", "--value-size", "64", "--duration", "60s"}

func TestBenchInProcessWritesTextAndHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	args := append(append([]string{}, tinyBench...), "--dist", "zipf", "--zipf-s", "1.2", "--html", path)
	defer leakCheck(t)()
	code, out, errOut := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("a run whose stderr is not a terminal drew progress: %q", errOut)
	}
	for _, want := range []string{
		"valcache bench on the in-process provider",
		"200 keys zipf (s=1.2, v=1), 90% reads, 64 B values, 4 workers",
		"ops       3,000 in ",
		"hit ratio ",
		"errors    0",
		"p99.9",
		"html report: " + path,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkHTMLReport(t, page, -1)
}

func TestBenchJSONOnValkey(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"valkey", func(t *testing.T) []string { return []string{"--valkey", servers.Valkey(t).Addr()} }, "Valkey single node"},
		{"twolevel", func(t *testing.T) []string {
			return []string{"--provider", "twolevel", "--valkey", servers.Valkey(t).Addr(), "--prefill"}
		}, "two-level provider"},
		{"cluster", func(t *testing.T) []string {
			return []string{"--cluster", strings.Join(servers.Cluster(t).Addrs(), ","), "--dist", "zipf"}
		}, "Valkey cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.html")
			args := append(append(append([]string{}, tinyBench...), tc.args(t)...), "--json", "--html", path, "--namespace", "bench-"+tc.name)
			done := leakCheck(t)
			code, out, errOut := runCmd(t, args...)
			done()
			if code != exitOK {
				t.Fatalf("exit %d; stderr: %s", code, errOut)
			}
			var rep benchReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("--json output is not a report: %v\n%s", err, out)
			}
			checkReport(t, &rep, 3000, 200)
			if !strings.Contains(rep.Provider, tc.want) {
				t.Errorf("provider %q, want %q in it", rep.Provider, tc.want)
			}
			if tc.name == "twolevel" && rep.LoaderCalls != 0 {
				t.Errorf("prefilled run called the loader %d times", rep.LoaderCalls)
			}
			page, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkHTMLReport(t, page, len(rep.Timeline))
		})
	}
}

// checkReport checks what must hold of any run of ops operations on keys.
func checkReport(t *testing.T, r *benchReport, ops, keys int64) {
	t.Helper()
	if r.Ops != ops || r.Reads+r.Writes != ops || r.Errors != 0 || r.FirstError != "" {
		t.Errorf("ops %d = reads %d + writes %d, errors %d (%s); want %d ops", r.Ops, r.Reads, r.Writes, r.Errors, r.FirstError, ops)
	}
	if r.Reads == 0 || r.Writes == 0 {
		t.Errorf("a 90%% read mix gave %d reads and %d writes", r.Reads, r.Writes)
	}
	// Every miss of a read loads, at most once per key between writes; a
	// write makes a key present, so loads cannot exceed reads.
	if r.LoaderCalls > r.Reads || r.HitRatio < 0 || r.HitRatio > 1 {
		t.Errorf("loader calls %d for %d reads, hit ratio %v", r.LoaderCalls, r.Reads, r.HitRatio)
	}
	if want := float64(r.Reads-r.LoaderCalls) / float64(r.Reads); r.HitRatio != want {
		t.Errorf("hit ratio %v, want %v", r.HitRatio, want)
	}
	l := r.Latency
	if l.Count != ops || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
		t.Errorf("latency summary out of order: %+v", l)
	}
	if r.ReadLatency.Count != r.Reads || r.WriteLatency.Count != r.Writes {
		t.Errorf("read/write latency counts %d/%d for %d/%d", r.ReadLatency.Count, r.WriteLatency.Count, r.Reads, r.Writes)
	}
	var binned uint64
	for _, b := range r.Histogram {
		binned += b.Count
	}
	if binned != uint64(ops) {
		t.Errorf("histogram holds %d operations, want %d", binned, ops)
	}
	var timed int64
	for _, p := range r.Timeline {
		timed += p.Ops
	}
	if len(r.Timeline) == 0 || timed != ops {
		t.Errorf("timeline of %d points holds %d operations, want %d", len(r.Timeline), timed, ops)
	}
	if r.Workload.Keys != int(keys) || r.Throughput <= 0 || r.ElapsedSeconds <= 0 {
		t.Errorf("workload %+v, throughput %v, elapsed %v", r.Workload, r.Throughput, r.ElapsedSeconds)
	}
}

// checkHTMLReport parses the page as XML (which it is written to be) and
// checks that each chart is there with its data: one dot per throughput
// point (when points >= 0), bars for the latency histogram, and the five
// percentiles.
func checkHTMLReport(t *testing.T, page []byte, points int) {
	t.Helper()
	if bytes.Contains(page, []byte("<script")) || bytes.Contains(page, []byte("src=")) || bytes.Contains(page, []byte("href=")) {
		t.Error("the report loads something from elsewhere")
	}
	dec := xml.NewDecoder(bytes.NewReader(page))
	dec.Strict = true
	type chart struct{ circles, rects, polyPoints int }
	charts := map[string]*chart{}
	var current *chart
	depth, svgDepth := 0, 0
	var sawBody bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the report is not well formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			attr := func(name string) string {
				for _, a := range el.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			switch el.Name.Local {
			case "body":
				sawBody = true
			case "svg":
				current, svgDepth = &chart{}, depth
				charts[attr("id")] = current
			case "circle":
				current.circles++
			case "rect":
				if h, err := strconv.ParseFloat(attr("height"), 64); err != nil || h < 0 {
					t.Errorf("bar with height %q", attr("height"))
				}
				current.rects++
			case "polyline":
				for _, pair := range strings.Fields(attr("points")) {
					x, y, ok := strings.Cut(pair, ",")
					_, errX := strconv.ParseFloat(x, 64)
					_, errY := strconv.ParseFloat(y, 64)
					if !ok || errX != nil || errY != nil {
						t.Errorf("bad polyline point %q", pair)
					}
					current.polyPoints++
				}
			}
		case xml.EndElement:
			if el.Name.Local == "svg" && depth == svgDepth {
				current = nil
			}
			depth--
		}
	}
	if !sawBody || depth != 0 {
		t.Fatalf("body seen %v, depth at end %d", sawBody, depth)
	}
	tp, lat, pct := charts["throughput-chart"], charts["latency-chart"], charts["percentile-chart"]
	if tp == nil || lat == nil || pct == nil {
		t.Fatalf("charts missing: %v", charts)
	}
	if tp.circles < 1 || tp.polyPoints != tp.circles || (points >= 0 && tp.circles != points) {
		t.Errorf("throughput chart: %d dots, %d line points; want %d", tp.circles, tp.polyPoints, points)
	}
	if lat.rects < 2 {
		t.Errorf("latency chart has %d bars", lat.rects)
	}
	if pct.circles != 5 || pct.polyPoints != 5 {
		t.Errorf("percentile chart: %d dots, %d line points; want 5", pct.circles, pct.polyPoints)
	}
}

func TestBenchDurationModeDrawsProgressOnATerminal(t *testing.T) {
	p, err := memory.New(memory.Config{MaxEntries: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg := benchConfig{provider: "memory", keys: 100, dist: "uniform", readRatio: 0.5, valueSize: 8, concurrency: 2,
		duration: 1200 * time.Millisecond, ttl: time.Minute, namespace: "progress", seed: 3, loaderLatency: 50 * time.Microsecond}
	var progress bytes.Buffer
	rep, err := runWorkload(t.Context(), p, "test", cfg, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "ops/s") || !strings.HasSuffix(progress.String(), "\r\033[K") {
		t.Errorf("progress %q: want a status line, erased at the end", progress.String())
	}
	if rep.Ops == 0 || rep.ElapsedSeconds < 1.2 || len(rep.Timeline) < 5 {
		t.Errorf("a 1.2s run: %d ops in %vs, %d points", rep.Ops, rep.ElapsedSeconds, len(rep.Timeline))
	}
}

func TestHalveKeepsOperationsAndRates(t *testing.T) {
	var pts []timePoint
	for i := 1; i <= 5; i++ {
		pts = append(pts, timePoint{EndSeconds: float64(i), Ops: int64(10 * i), OpsPerSeconds: float64(10 * i)})
	}
	got := halve(pts)
	want := []timePoint{{2, 30, 15}, {4, 70, 35}, {5, 50, 50}}
	if len(got) != len(want) {
		t.Fatalf("halve: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("point %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--dist", "pareto"},
		{"--dist", "zipf", "--zipf-s", "1"},
		{"--reads", "1.5"},
		{"--keys", "0"},
		{"--concurrency", "0"},
		{"--duration", "0s"},
		{"--ops", "-1"},
		{"--provider", "valkey"},
		{"--provider", "memory", "--valkey", "127.0.0.1:1"},
		{"--provider", "disk"},
		{"--nope"},
		{"extra"},
	} {
		code, _, errOut := runCmd(t, append([]string{"bench"}, args...)...)
		if code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
	code, _, errOut := runCmd(t, "bench", "--valkey", "127.0.0.1:1", "--ops", "1")
	if code != exitError || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("unreachable server: exit %d, stderr %q; want one line", code, errOut)
	}
}
