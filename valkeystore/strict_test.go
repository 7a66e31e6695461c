package valkeystore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/valkeystore"
)

// The strict-reads test runs reader processes that answer reads on their
// standard input, one line per read, so that the parent can ask for a read
// only after its own write or invalidation has returned: whatever a reader
// answers then must already reflect that change.
const (
	strictRoleEnv   = "VALCACHE_STRICT_ROLE" // "reader"
	strictAddrsEnv  = "VALCACHE_STRICT_ADDRS"
	strictPrefixEnv = "VALCACHE_STRICT_PREFIX"
	strictEachEnv   = "VALCACHE_STRICT_EACH_TIME" // "1": ReadVersionsEachTime
)

func strictOptions(prefix string, eachTime bool, addrs []string) valkeystore.Config {
	return valkeystore.Config{Addrs: addrs, KeyPrefix: prefix, ReadVersionsEachTime: eachTime}
}

// runStrictReader answers "get KEY" with the value or "-" for a miss, and
// "many K1,K2,..." with the values found, in order, "-" for each miss.
func runStrictReader() int {
	ctx := context.Background()
	cfg := strictOptions(os.Getenv(strictPrefixEnv), os.Getenv(strictEachEnv) == "1", strings.Split(os.Getenv(strictAddrsEnv), ","))
	p, err := valkeystore.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.Close()
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "strict"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		op, arg, _ := strings.Cut(in.Text(), " ")
		switch op {
		case "get":
			v, found, err := c.GetIfPresent(ctx, arg)
			switch {
			case err != nil:
				fmt.Fprintf(out, "error %v\n", err)
			case found:
				fmt.Fprintln(out, v)
			default:
				fmt.Fprintln(out, "-")
			}
		case "many":
			keys := strings.Split(arg, ",")
			got, err := c.GetManyIfPresent(ctx, keys)
			if err != nil {
				fmt.Fprintf(out, "error %v\n", err)
				break
			}
			answer := make([]string, len(keys))
			for i, k := range keys {
				if v, ok := got[k]; ok {
					answer[i] = v
				} else {
					answer[i] = "-"
				}
			}
			fmt.Fprintln(out, strings.Join(answer, ","))
		default:
			return 0
		}
		if err := out.Flush(); err != nil {
			return 1
		}
	}
	return 0
}

type strictReader struct {
	stdin io.WriteCloser
	out   *bufio.Scanner
	cmd   *exec.Cmd
}

func startStrictReader(t *testing.T, addrs []string, prefix string, eachTime bool) *strictReader {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	each := "0"
	if eachTime {
		each = "1"
	}
	cmd.Env = append(os.Environ(), strictRoleEnv+"=reader", strictAddrsEnv+"="+strings.Join(addrs, ","),
		strictPrefixEnv+"="+prefix, strictEachEnv+"="+each)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &strictReader{stdin: stdin, out: bufio.NewScanner(stdout), cmd: cmd}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return r
}

// ask sends one request and returns the answer line.
func (r *strictReader) ask(t *testing.T, line string) string {
	t.Helper()
	if _, err := fmt.Fprintln(r.stdin, line); err != nil {
		t.Fatalf("reader: %v", err)
	}
	if !r.out.Scan() {
		t.Fatalf("reader exited: %v", r.out.Err())
	}
	return r.out.Text()
}

// TestEveryChangeIsSeenByEveryProcessOnceItReturns checks the strict
// guarantee across processes: once Set, Delete, InvalidateTags or Clear has
// returned in one process, no read started afterwards in another process
// returns the old state. The readers have read every key just before the
// change, so what they follow in process is warm and must be dropped in
// time; the same runs with ReadVersionsEachTime.
func TestEveryChangeIsSeenByEveryProcessOnceItReturns(t *testing.T) {
	for _, eachTime := range []bool{false, true} {
		t.Run(fmt.Sprintf("ReadVersionsEachTime=%v", eachTime), func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				checkStrictAcrossProcesses(t, b.Addrs(t), eachTime)
			})
		})
	}
}

func checkStrictAcrossProcesses(t *testing.T, addrs []string, eachTime bool) {
	prefix := fmt.Sprintf("strict%d:", time.Now().UnixNano())
	p := newProvider(t, strictOptions(prefix, eachTime, addrs))
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "strict"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	readers := make([]*strictReader, 3)
	for i := range readers {
		readers[i] = startStrictReader(t, addrs, prefix, eachTime)
	}
	expect := func(round int, what, line, want string) {
		t.Helper()
		for i, r := range readers {
			if got := r.ask(t, line); got != want {
				t.Fatalf("round %d, %s: reader %d answered %q to %q, want %q", round, what, i, got, line, want)
			}
		}
	}
	const rounds = 60
	for round := range rounds {
		v := fmt.Sprintf("v%d", round)
		// Set over a value every reader has just read.
		if err := c.Set(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		expect(round, "after Set", "get k", v)
		// Delete.
		if err := c.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		expect(round, "after Delete", "get k", "-")
		// InvalidateTags of a tag whose version every reader follows.
		if err := c.SetWith(ctx, "tagged", v, valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		expect(round, "after a tagged Set", "get tagged", v)
		if err := c.InvalidateTags(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		expect(round, "after InvalidateTags", "get tagged", "-")
		// Clear, seen by single reads and by bulk reads spanning groups.
		many := make(map[string]string, 8)
		names := make([]string, 0, 8)
		for i := range 8 {
			k := fmt.Sprintf("m%d", i)
			many[k] = v
			names = append(names, k)
		}
		if err := c.SetMany(ctx, many); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "c", v); err != nil {
			t.Fatal(err)
		}
		expect(round, "after SetMany", "many "+strings.Join(names, ","), strings.TrimSuffix(strings.Repeat(v+",", 8), ","))
		expect(round, "after Set", "get c", v)
		if err := c.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		expect(round, "after Clear", "get c", "-")
		expect(round, "after Clear", "many "+strings.Join(names, ","), strings.TrimSuffix(strings.Repeat("-,", 8), ","))
	}
}
