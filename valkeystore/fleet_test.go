package valkeystore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/valkeystore"
)

// Fleet tests run several OS processes of this test binary against one
// server. The children read their orders from the environment.
const (
	fleetRoleEnv  = "VALCACHE_FLEET_ROLE" // "stampede", "hold" or "increment"
	fleetAddrsEnv = "VALCACHE_FLEET_ADDRS"
	fleetKeyEnv   = "VALCACHE_FLEET_KEY"
	fleetStartEnv = "VALCACHE_FLEET_START" // Unix nanoseconds at which to begin
	fleetCallers  = 100
	loaderLatency = 200 * time.Millisecond
)

// childReport is what a stampede child prints, as one JSON line.
type childReport struct {
	Waits  []time.Duration `json:"waits"`
	Errors []string        `json:"errors"`
}

func runFleetChild(role string) int {
	ctx := context.Background()
	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: strings.Split(os.Getenv(fleetAddrsEnv), ","), KeyPrefix: "fleet:"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.Close()
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "fleet", LoadTimeout: 2 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	key := os.Getenv(fleetKeyEnv)
	counter := "fleet:loads:" + key
	load := func(ctx context.Context, k string) (string, error) {
		cl := p.Client()
		if err := cl.Do(ctx, cl.B().Incr().Key(counter).Build()).Error(); err != nil {
			return "", err
		}
		if role == "hold" {
			fmt.Println("LOADING")
			time.Sleep(time.Hour) // killed while holding the load
		}
		time.Sleep(loaderLatency)
		return "value-of-" + k, nil
	}
	start, _ := strconv.ParseInt(os.Getenv(fleetStartEnv), 10, 64)
	time.Sleep(time.Until(time.Unix(0, start)))
	if role == "increment" {
		return incrementChild(ctx, p, key)
	}
	if role == "hold" {
		_, _ = c.Get(ctx, key, load)
		return 0
	}
	var mu sync.Mutex
	var rep childReport
	var wg sync.WaitGroup
	for range fleetCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			v, err := c.Get(ctx, key, load)
			mu.Lock()
			defer mu.Unlock()
			rep.Waits = append(rep.Waits, time.Since(began))
			if err != nil || v != "value-of-"+key {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%q %v", v, err))
			}
		}()
	}
	wg.Wait()
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	return 0
}

func fleetChild(t *testing.T, role string, addrs []string, key string, start time.Time) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fleetRoleEnv+"="+role, fleetAddrsEnv+"="+strings.Join(addrs, ","),
		fleetKeyEnv+"="+key, fleetStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10))
	cmd.Stderr = os.Stderr
	return cmd
}

func loadCount(t *testing.T, p *valkeystore.Provider, key string) int64 {
	cl := p.Client()
	n, err := cl.Do(t.Context(), cl.B().Get().Key("fleet:loads:"+key).Build()).AsInt64()
	if err != nil {
		t.Fatalf("reading the load counter: %v", err)
	}
	return n
}

func TestOneLoadAcrossProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t)
		p := newProvider(t, valkeystore.Config{Addrs: addrs})
		key := fmt.Sprintf("cold-%d", time.Now().UnixNano())
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
		if n := loadCount(t, p, key); n != 1 {
			t.Fatalf("the loader ran %d times for %d processes x %d callers", n, procs, fleetCallers)
		}
		slices.Sort(waits)
		p50, p99, worst := waits[len(waits)/2], waits[len(waits)*99/100], waits[len(waits)-1]
		t.Logf("%d callers in %d processes, loader %v: 1 load; wait p50 %v, p99 %v, max %v",
			len(waits), procs, loaderLatency, p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))
		if worst > loaderLatency+time.Second {
			t.Fatalf("a caller waited %v for a %v load", worst, loaderLatency)
		}
	})
}

func TestAKilledLoaderIsReplacedAfterItsLease(t *testing.T) {
	addrs := []string{servers.Valkey(t).Addr()}
	p := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "fleet:"})
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "fleet", LoadTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("held-%d", time.Now().UnixNano())
	holder := fleetChild(t, "hold", addrs, key, time.Now())
	stdout, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	if sc := bufio.NewScanner(stdout); !sc.Scan() || sc.Text() != "LOADING" {
		t.Fatal("the holder never started its load")
	}
	acquired := time.Now()
	result := make(chan error, 1)
	go func() {
		v, err := c.Get(context.Background(), key, func(context.Context, string) (string, error) { return "taken over", nil })
		if err == nil && v != "taken over" {
			err = fmt.Errorf("got %q", v)
		}
		result <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nobody took the load over after the holder was killed")
	}
	took := time.Since(acquired)
	lease := 2*time.Second + time.Second // LoadTimeout + the lease margin
	t.Logf("holder killed; load taken over after %v (lease %v)", took.Round(time.Millisecond), lease)
	if took < lease-200*time.Millisecond {
		t.Fatalf("the load was taken over after %v, before the holder's lease of %v ran out", took, lease)
	}
	if took > lease+2*time.Second {
		t.Fatalf("the load was taken over only after %v, long after the lease of %v", took, lease)
	}
}

const incrementers, incrementsEach = 10, 20

// incrementChild adds incrementers*incrementsEach to key with Compute.
func incrementChild(ctx context.Context, p *valkeystore.Provider, key string) int {
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "fleet-counter"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	inc := func(old int, _ bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range incrementers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range incrementsEach {
				for {
					_, _, err := c.Compute(ctx, key, inc, valcache.ComputeOptions{})
					if err == nil {
						break
					}
					if !errors.Is(err, valcache.ErrComputeConflict) {
						fmt.Fprintln(os.Stderr, err)
						failed.Add(1)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return 1
	}
	return 0
}

func TestComputeIncrementsFromSeveralProcessesReachTheExactTotal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t)
		key := fmt.Sprintf("counter-%d", time.Now().UnixNano())
		start := time.Now().Add(2 * time.Second)
		const procs = 4
		cmds := make([]*exec.Cmd, procs)
		for i := range procs {
			cmds[i] = fleetChild(t, "increment", addrs, key, start)
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("child %d: %v", i, err)
			}
		}
		p := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "fleet:"})
		c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "fleet-counter"})
		if err != nil {
			t.Fatal(err)
		}
		got, found, err := c.GetIfPresent(t.Context(), key)
		want := procs * incrementers * incrementsEach
		if err != nil || !found || got != want {
			t.Fatalf("counter = %d (found %v, err %v) after %d increments from %d processes", got, found, err, want, procs)
		}
		t.Logf("%d processes x %d goroutines x %d increments: total %d, exact", procs, incrementers, incrementsEach, got)
	})
}

func TestAFailedFleetLoadAnswersItsWaitersOnce(t *testing.T) {
	addrs := []string{servers.Valkey(t).Addr()}
	p1 := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "fail:"})
	p2 := newProvider(t, valkeystore.Config{Addrs: addrs, KeyPrefix: "fail:"})
	// The lease (LoadTimeout and a second) is far longer than the bound the
	// waiter is held to below, so the bound tells a waiter told of the
	// failure from one that waited the lease out, with room for a busy
	// machine.
	opts := valcache.Options[string, string]{Namespace: "f", LoadTimeout: 10 * time.Second}
	leader, err := valcache.New(p1, opts)
	if err != nil {
		t.Fatal(err)
	}
	waiter, err := valcache.New(p2, opts) // another client: another process, as far as the server can tell
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	inLoad := make(chan struct{})
	failing := func(context.Context, string) (string, error) {
		if calls.Add(1) == 1 {
			close(inLoad)
		}
		time.Sleep(300 * time.Millisecond)
		return "", errors.New("source down")
	}
	leaderErr := make(chan error, 1)
	go func() { _, err := leader.Get(context.Background(), "k", failing); leaderErr <- err }()
	<-inLoad
	began := time.Now()
	_, err = waiter.Get(context.Background(), "k", failing)
	var lf *driver.LoadFailedError
	if !errors.As(err, &lf) || !strings.Contains(lf.Reason, "source down") {
		t.Fatalf("the waiter got %v; want the failed load's error", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("the waiter took %v to learn of the failure, as if it had waited for the lease", took)
	}
	if err := <-leaderErr; err == nil {
		t.Fatal("the leader's load succeeded")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the failing source was called %d times for one leader and one waiter", n)
	}
	// A new call tries afresh: errors are not cached.
	if v, err := waiter.Get(context.Background(), "k", func(context.Context, string) (string, error) { return "back", nil }); err != nil || v != "back" {
		t.Fatalf("a new Get after the failure: %q %v", v, err)
	}
}
