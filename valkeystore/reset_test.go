package valkeystore_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/valcache/valcache/valkeystore"
)

// resetRounds is how many cold loads TestOneLoadAcrossProcessesThroughAReset
// runs per server: each must load exactly once.
const resetRounds = 6

// Every process's connections are killed (CLIENT KILL) while one process
// loads a cold key and the others wait for it, and again, several times,
// as the loader writes its value and the waiters wake to look at the key:
// the calls that meet the reset connections are sent again on new ones
// within their budget, and every caller gets the one load's value; the
// loader runs once for the fleet, in every round.
func TestOneLoadAcrossProcessesThroughAReset(t *testing.T) {
	for _, b := range backends {
		if b.Name == "Redis7" {
			continue // the same client and scripts as the Valkey single node
		}
		t.Run(b.Name, func(t *testing.T) {
			addrs := b.Addrs(t)
			p := newProvider(t, valkeystore.Config{Addrs: addrs})
			var waits []time.Duration
			for round := range resetRounds {
				key := fmt.Sprintf("reset-%d-%d", round, time.Now().UnixNano())
				waits = append(waits, resetRound(t, p, addrs, key)...)
				if n := loadCount(t, p, key); n != 1 {
					t.Fatalf("round %d: the loader ran %d times for one cold key across processes whose connections were reset", round, n)
				}
			}
			slices.Sort(waits)
			t.Logf("%d rounds, every process's connections killed at %v into a %v load: 1 load each round; wait p50 %v, max %v",
				resetRounds, resetAts, loaderLatency, waits[len(waits)/2].Round(time.Millisecond), waits[len(waits)-1].Round(time.Millisecond))
		})
	}
}

// resetAts are when, after the processes start, their connections are
// killed: while the elected process is in its loader and the others wait,
// and then as it writes its value (loaderLatency in) and the waiters wake
// and look at the key again, with calls in flight.
var resetAts = []time.Duration{
	100 * time.Millisecond,
	loaderLatency, loaderLatency + 5*time.Millisecond, loaderLatency + 10*time.Millisecond, loaderLatency + 20*time.Millisecond,
}

// resetRound runs four stampede processes on key, kills every client
// connection of every node at each of resetAts into the load, and returns
// the callers' waits.
func resetRound(t *testing.T, p *valkeystore.Provider, addrs []string, key string) []time.Duration {
	t.Helper()
	start := time.Now().Add(2 * time.Second) // children start in step
	const procs = 4
	outs := make([]*bufio.Scanner, procs)
	cmds := make([]*exec.Cmd, procs)
	for i := range procs {
		cmds[i] = fleetChild(t, "stampede", addrs, key, start)
		stdout, err := cmds[i].StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = bufio.NewScanner(stdout)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	cl := p.Client()
	for _, at := range resetAts {
		time.Sleep(time.Until(start.Add(at)))
		for addr, node := range cl.Nodes() {
			if err := node.Do(t.Context(), cl.B().ClientKill().TypeNormal().Build()).Error(); err != nil {
				t.Errorf("CLIENT KILL on %s: %v", addr, err)
			}
		}
	}
	var waits []time.Duration
	for i := range procs {
		var rep childReport
		for outs[i].Scan() {
			if err := json.Unmarshal(outs[i].Bytes(), &rep); err == nil {
				break
			}
		}
		if err := cmds[i].Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
		if len(rep.Errors) > 0 || len(rep.Waits) != fleetCallers {
			t.Fatalf("child %d: %d results, errors %v", i, len(rep.Waits), rep.Errors)
		}
		waits = append(waits, rep.Waits...)
	}
	if worst := slices.Max(waits); worst > loaderLatency+valkeystore.DefaultOperationTimeout+time.Second {
		t.Fatalf("a caller waited %v for a %v load", worst, loaderLatency)
	}
	return waits
}
