package valkeystore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/ratelimit"
	"github.com/valcache/valcache/valkeystore"
)

// Coordination tests run several OS processes of this test binary against
// one server, like the fleet tests; children read their orders from the
// environment and print one JSON report.
const (
	coordRoleEnv  = "VALCACHE_COORD_ROLE" // "ratelimit" or "lock"
	coordAddrsEnv = "VALCACHE_COORD_ADDRS"
	coordNameEnv  = "VALCACHE_COORD_NAME"
	coordStartEnv = "VALCACHE_COORD_START"
	coordProcs    = 4
	rateAllowed   = 37 // the quota of the rate-limit test
	rateCallers   = 8  // goroutines per process
	rateCalls     = 25 // calls per goroutine: 4·8·25 = 800 requests
	lockRounds    = 15 // acquisitions per goroutine
	lockCallers   = 3  // goroutines per process
)

// coordReport is a child's report. Sections are the (sequence, fence)
// pairs of its critical sections.
type coordReport struct {
	Allowed  int         `json:"allowed"`
	Sections [][2]uint64 `json:"sections"`
	Errors   []string    `json:"errors"`
}

func runCoordChild(role string) int {
	ctx := context.Background()
	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: strings.Split(os.Getenv(coordAddrsEnv), ",")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.Close()
	name := os.Getenv(coordNameEnv)
	start, _ := strconv.ParseInt(os.Getenv(coordStartEnv), 10, 64)
	time.Sleep(time.Until(time.Unix(0, start)))
	var rep coordReport
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		rep.Errors = append(rep.Errors, err.Error())
		mu.Unlock()
	}
	var wg sync.WaitGroup
	switch role {
	case "ratelimit":
		lim, err := ratelimit.New(p, ratelimit.Config{Namespace: name, Limit: ratelimit.PerHour(rateAllowed)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for range rateCallers {
			wg.Go(func() {
				for range rateCalls {
					res, err := lim.Allow(ctx, "shared")
					if err != nil {
						fail(err)
						return
					}
					if res.Allowed {
						mu.Lock()
						rep.Allowed++
						mu.Unlock()
					}
				}
			})
		}
	case "lock":
		locks, err := lock.New(p, lock.Config{Namespace: name})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for range lockCallers {
			wg.Go(func() {
				for range lockRounds {
					seq, fence, err := criticalSection(ctx, p, locks, name)
					if err != nil {
						fail(err)
						return
					}
					mu.Lock()
					rep.Sections = append(rep.Sections, [2]uint64{seq, fence})
					mu.Unlock()
				}
			})
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 1
	}
	wg.Wait()
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	return 0
}

// criticalSection takes the lock and, inside, claims a marker key that
// only one holder at a time may hold (SET NX) and draws the next number of
// a sequence, so that the parent can order every section of every process.
func criticalSection(ctx context.Context, p *valkeystore.Provider, locks *lock.Locker, name string) (uint64, uint64, error) {
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	lease, err := locks.Acquire(actx, "shared", lock.Options{TTL: 10 * time.Second})
	if err != nil {
		return 0, 0, err
	}
	cl := p.Client()
	inside := "coord:" + name + ":inside"
	if err := cl.Do(ctx, cl.B().Set().Key(inside).Value(lease.Token()).Nx().Build()).Error(); err != nil {
		_ = lease.Release(ctx)
		return 0, 0, fmt.Errorf("someone else is inside the critical section (fence %d): %w", lease.Fence(), err)
	}
	seq, err := cl.Do(ctx, cl.B().Incr().Key("coord:"+name+":seq").Build()).AsInt64()
	time.Sleep(time.Millisecond)
	if derr := cl.Do(ctx, cl.B().Del().Key(inside).Build()).Error(); err == nil {
		err = derr
	}
	if rerr := lease.Release(ctx); err == nil {
		err = rerr
	}
	return uint64(seq), lease.Fence(), err
}

func coordChildren(t *testing.T, role string, addrs []string, name string) []coordReport {
	t.Helper()
	start := time.Now().Add(2 * time.Second) // children begin in step
	cmds := make([]*exec.Cmd, coordProcs)
	outs := make([]*bufio.Scanner, coordProcs)
	for i := range coordProcs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), coordRoleEnv+"="+role, coordAddrsEnv+"="+strings.Join(addrs, ","),
			coordNameEnv+"="+name, coordStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		cmds[i], outs[i] = cmd, bufio.NewScanner(stdout)
	}
	reps := make([]coordReport, coordProcs)
	for i := range coordProcs {
		got := false
		for outs[i].Scan() {
			if json.Unmarshal(outs[i].Bytes(), &reps[i]) == nil {
				got = true
				break
			}
		}
		if err := cmds[i].Wait(); err != nil || !got {
			t.Fatalf("child %d: exit %v, report found %v", i, err, got)
		}
		if len(reps[i].Errors) > 0 {
			t.Fatalf("child %d: %v", i, reps[i].Errors)
		}
	}
	return reps
}

func TestRateLimitAcrossProcessesAllowsExactlyTheQuota(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		name := fmt.Sprintf("rl-%d", time.Now().UnixNano())
		total := 0
		for _, rep := range coordChildren(t, "ratelimit", b.Addrs(t), name) {
			total += rep.Allowed
		}
		t.Logf("%d processes x %d goroutines x %d requests: %d allowed", coordProcs, rateCallers, rateCalls, total)
		if total != rateAllowed {
			t.Fatalf("%d of %d requests allowed, want exactly %d", total, coordProcs*rateCallers*rateCalls, rateAllowed)
		}
	})
}

func TestLockAcrossProcessesExcludesWithIncreasingFences(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		name := fmt.Sprintf("lk-%d", time.Now().UnixNano())
		var sections [][2]uint64
		for _, rep := range coordChildren(t, "lock", b.Addrs(t), name) {
			sections = append(sections, rep.Sections...)
		}
		if want := coordProcs * lockCallers * lockRounds; len(sections) != want {
			t.Fatalf("%d critical sections, want %d", len(sections), want)
		}
		bySeq := map[uint64]uint64{}
		for _, s := range sections {
			if _, dup := bySeq[s[0]]; dup {
				t.Fatalf("sequence number %d drawn twice", s[0])
			}
			bySeq[s[0]] = s[1]
		}
		for seq := uint64(2); seq <= uint64(len(sections)); seq++ {
			if bySeq[seq] <= bySeq[seq-1] {
				t.Fatalf("section %d has fence %d, section %d had %d: fences must increase", seq, bySeq[seq], seq-1, bySeq[seq-1])
			}
		}
	})
}

func TestLockRemovedByAnotherClientCancelsTheLease(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		addrs := b.Addrs(t)
		holder := newProvider(t, valkeystore.Config{Addrs: addrs})
		other := newProvider(t, valkeystore.Config{Addrs: addrs})
		ns := fmt.Sprintf("lost-%d", time.Now().UnixNano())
		locks, err := lock.New(holder, lock.Config{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		for _, auto := range []bool{false, true} {
			name := fmt.Sprintf("auto-%v", auto)
			lease, err := locks.Acquire(t.Context(), name, lock.Options{TTL: time.Minute, AutoExtend: auto})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // let the watcher settle on the lock
			cl := other.Client()
			key := other.LockKeyName(driver.Key{Namespace: ns, ID: name})
			if n, err := cl.Do(t.Context(), cl.B().Del().Key(key).Build()).AsInt64(); err != nil || n != 1 {
				t.Fatalf("DEL %s = %d %v", key, n, err)
			}
			select {
			case <-lease.Context().Done():
			case <-time.After(5 * time.Second):
				t.Fatalf("AutoExtend %v: the lease was not cancelled within 5s of its key's removal", auto)
			}
			if cause := context.Cause(lease.Context()); !errors.Is(cause, lock.ErrLockLost) {
				t.Fatalf("cause %v, want ErrLockLost", cause)
			}
			if err := lease.Release(t.Context()); !errors.Is(err, lock.ErrLockLost) {
				t.Fatalf("Release of a lost lease: %v", err)
			}
		}
	})
}

func TestLeaseEndsWhenItsProviderCloses(t *testing.T) {
	p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	locks, err := lock.New(p, lock.Config{Namespace: fmt.Sprintf("close-%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := locks.Acquire(t.Context(), "k", lock.Options{TTL: time.Minute, AutoExtend: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	select {
	case <-lease.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the lease outlived its provider by 5s")
	}
	if err := lease.Release(context.Background()); !errors.Is(err, driver.ErrClosed) && !errors.Is(err, lock.ErrLockLost) {
		t.Fatalf("Release after Close: %v", err)
	}
}
