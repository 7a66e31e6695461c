package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/testserver"
	"go.uber.org/goleak"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runWithInput(t, "", args...)
}

// runWithInput runs the command with stdin holding input, as from a pipe.
func runWithInput(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, console{stdin: strings.NewReader(input), stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

// leakCheck snapshots the goroutines now (start shared servers before) and
// returns a check that every goroutine started since has ended, waiting a
// little for connections valkey-go closes on its own schedule.
func leakCheck(t *testing.T) func() {
	t.Helper()
	before := goleak.IgnoreCurrent()
	return func() {
		t.Helper()
		deadline := time.Now().Add(8 * time.Second)
		for {
			err := goleak.Find(before)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("goroutines left after the command returned: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func checkDemoOutput(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{
		"GetIfPresent(2) -> found=false",
		"3 hits (1000 is absent)",
		"present at once=true, present after 200ms=false",
		"Delete(1) -> present=false",
		`InvalidateTags("supplier:3") -> 1 left (203 of supplier:9 kept=true)`,
		"Clear(demo:products) -> 0 products left; demo:views[\"1\"] still 12 (present=true)",
		"50 loads, 950 hits",
		"loader ran 1 time(s) for 200 concurrent callers; 200 got the value",
		"counter = 200 (expected 200)",
		"done:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// checkCoherence checks the two-level step ran and measured a lag.
func checkCoherence(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, "B reads its in-process copy:") || !strings.Contains(out, "A writes 120: B sees A's write after ") {
		t.Errorf("demo output lacks the two-level coherence step:\n%s", out)
	}
}

func TestDemoRunsInProcessWithNoServer(t *testing.T) {
	defer leakCheck(t)()
	code, out, errOut := runCmd(t, "demo")
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	if !strings.Contains(out, "in-process provider") {
		t.Fatalf("demo does not say where it runs:\n%s", out)
	}
	checkDemoOutput(t, out)
	if !strings.Contains(out, "needs a server") {
		t.Errorf("the in-process demo does not say the two-level step needs a server:\n%s", out)
	}
}

func TestDemoRunsOnValkey(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	defer leakCheck(t)()
	code, out, errOut := runCmd(t, "demo", "--valkey", addr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	if !strings.Contains(out, "Valkey single node at "+addr) {
		t.Fatalf("demo does not name the server:\n%s", out)
	}
	checkDemoOutput(t, out)
	checkCoherence(t, out)
}

func TestDemoRunsOnACluster(t *testing.T) {
	addrs := strings.Join(servers.Cluster(t).Addrs(), ",")
	code, out, errOut := runCmd(t, "demo", "--cluster", addrs)
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	if !strings.Contains(out, "Valkey cluster at "+addrs) {
		t.Fatalf("demo does not name the cluster:\n%s", out)
	}
	checkDemoOutput(t, out)
	checkCoherence(t, out)
}

func TestDemoOnAnUnreachableServerFailsWithOneClearLine(t *testing.T) {
	code, _, errOut := runCmd(t, "demo", "--valkey", "127.0.0.1:1")
	if code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if lines := strings.Count(strings.TrimSpace(errOut), "\n") + 1; lines != 1 || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Fatalf("stderr should be one line naming the address, got %d lines: %q", lines, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, _ := runCmd(t); code != exitUsage {
		t.Fatalf("no command: exit %d, want %d", code, exitUsage)
	}
	if code, _, errOut := runCmd(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "demo", "--nope"); code != exitUsage {
		t.Fatalf("unknown flag: exit %d, want %d", code, exitUsage)
	}
	if code, out, _ := runCmd(t, "help"); code != exitOK || !strings.Contains(out, "demo") || !strings.Contains(out, "bench") || !strings.Contains(out, "inspect") {
		t.Fatalf("help: exit %d, output %q", code, out)
	}
	if code, _, errOut := runCmd(t, "demo", "--valkey", "127.0.0.1:1", "--cluster", "127.0.0.1:2"); code != exitUsage || !strings.Contains(errOut, "not both") {
		t.Fatalf("both --valkey and --cluster: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "demo", "extra"); code != exitUsage || !strings.Contains(errOut, "unexpected argument") {
		t.Fatalf("extra argument: exit %d, stderr %q", code, errOut)
	}
	for _, cmd := range [][]string{{"demo", "-h"}, {"bench", "-h"}, {"inspect", "show", "-h"}, {"inspect", "help"}} {
		code, out, errOut := runCmd(t, cmd...)
		if code != exitOK || !strings.Contains(out+errOut, "usage: valcache") {
			t.Errorf("%v: exit %d, output %q", cmd, code, out+errOut)
		}
	}
}
