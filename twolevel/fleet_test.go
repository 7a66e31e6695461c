package twolevel_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

const (
	fleetReaders = 3
	fleetUpdates = 10_000
	fleetKills   = 5 // times the readers' connections are killed during a run
)

// TestFleetCoherence runs one writer process and three reader processes on
// one server. For every change the writer made and every reader, the lag is
// how long after the writer's call returned that reader still started reads
// that returned the old value; it is logged as p50/p99/max. Midway, every
// reader connection is killed several times (CLIENT KILL): changes made
// while a reader is disconnected are never pushed to it, and its copies
// must stop being served anyway.
func TestFleetCoherence(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes for several seconds")
	}
	for _, b := range backends[:2] {
		t.Run(b.Name, func(t *testing.T) {
			addrs := b.Addrs(t)
			nodes := serverAddrs(t, b)
			env := append(os.Environ(), childAddrsEnv+"="+joinAddrs(addrs))
			readers := make([]*fleetChild, fleetReaders)
			for i := range readers {
				readers[i] = startChild(t, append(env, childRoleEnv+"=reader"), true)
			}
			start := time.Now().Add(1500 * time.Millisecond)
			writer := startChild(t, append(env,
				childRoleEnv+"=writer",
				childUpdatesEnv+"="+strconv.Itoa(fleetUpdates),
				childStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10)), false)

			time.Sleep(time.Until(start.Add(500 * time.Millisecond)))
			killed := 0
			for range fleetKills {
				for _, addr := range nodes {
					killed += killClient(t, addr, "reader")
				}
				time.Sleep(300 * time.Millisecond)
			}
			w := writer.wait(t)
			time.Sleep(300 * time.Millisecond)
			var reps []childReport
			for _, r := range readers {
				reps = append(reps, r.stop(t))
			}
			if len(w.Errors) > 0 {
				t.Fatalf("writer errors: %v", w.Errors[:min(5, len(w.Errors))])
			}
			if len(w.Updates) < fleetUpdates {
				t.Fatalf("writer made %d updates, want at least %d", len(w.Updates), fleetUpdates)
			}
			if killed < fleetKills {
				t.Fatalf("killed %d reader connections, want at least %d", killed, fleetKills)
			}
			lags, stale := fleetLags(w.Updates, reps)
			reads := 0
			for _, r := range reps {
				reads += r.Reads
			}
			slices.Sort(lags)
			seen := lags[len(lags)-stale:]
			t.Logf("%d updates × %d readers, %d reads, %d connection kills: lag p50 %v, p99 %v, max %v over all pairs; %d pairs saw a stale read, lag among them p50 %v, p99 %v",
				len(w.Updates), len(reps), reads, killed, pct(lags, 50), pct(lags, 99), lags[len(lags)-1], stale, pct(seen, 50), pct(seen, 99))
			// Coherence, not speed: a copy the push (or the loss of the
			// connection) failed to drop would be served until its L1TTL,
			// minutes; a few seconds is a push in flight on a starved CPU.
			if m := lags[len(lags)-1]; m > 5*time.Second {
				t.Fatalf("a reader served an old value %v after the change returned", m)
			}
		})
	}
}

// fleetLags returns, for every (update, reader) pair, how long after the
// update returned the reader still started a read returning the old value
// (0 when it never did), and how many pairs had such a read.
func fleetLags(updates []update, reps []childReport) ([]time.Duration, int) {
	byKey := map[string][]update{}
	for _, u := range updates {
		byKey[u.Key] = append(byKey[u.Key], u)
	}
	var lags []time.Duration
	stale := 0
	for _, r := range reps {
		spans := map[string][]span{}
		for _, s := range r.Spans {
			spans[s.Key] = append(spans[s.Key], s)
		}
		for key, us := range byKey {
			for _, u := range us {
				var lag time.Duration
				for _, s := range spans[key] {
					old := (u.Invalidated && s.Value == u.Value) || (!u.Invalidated && s.Value >= 0 && s.Value < u.Value)
					if old && s.Last > u.At {
						lag = max(lag, time.Duration(s.Last-u.At))
					}
				}
				if lag > 0 {
					stale++
				}
				lags = append(lags, lag)
			}
		}
	}
	return lags, stale
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func joinAddrs(addrs []string) string {
	var b bytes.Buffer
	for i, a := range addrs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a)
	}
	return b.String()
}

type fleetChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout bytes.Buffer
	stderr bytes.Buffer
}

func startChild(t *testing.T, env []string, withStdin bool) *fleetChild {
	t.Helper()
	c := &fleetChild{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Env = env
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if withStdin {
		var err error
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

func (c *fleetChild) wait(t *testing.T) childReport {
	t.Helper()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, c.stderr.String())
	}
	var rep childReport
	if err := json.Unmarshal(c.stdout.Bytes(), &rep); err != nil {
		t.Fatalf("child report: %v\n%s", err, c.stderr.String())
	}
	return rep
}

func (c *fleetChild) stop(t *testing.T) childReport {
	t.Helper()
	_ = c.stdin.Close()
	return c.wait(t)
}
