package httpcache

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// Multi-process tests run several OS processes of this test binary, each a
// cache instance with its own front server over one Valkey server. The
// children read their orders from the environment.
const (
	childRoleEnv     = "HTTPCACHE_TEST_ROLE" // "coalesce"
	childAddrEnv     = "HTTPCACHE_TEST_ADDR"
	childKindEnv     = "HTTPCACHE_TEST_KIND" // "valkey" or "twolevel"
	childNSEnv       = "HTTPCACHE_TEST_NAMESPACE"
	childOriginEnv   = "HTTPCACHE_TEST_ORIGIN"
	childStartEnv    = "HTTPCACHE_TEST_START" // Unix nanoseconds at which to begin
	fleetClients     = 50
	fleetProcesses   = 4
	fleetOriginDelay = 300 * time.Millisecond
)

// childReport is what a child prints, as one JSON line.
type childReport struct {
	OK        int      `json:"ok"`
	Collapsed int      `json:"collapsed"`
	Errors    []string `json:"errors"`
}

func runChild(role string) int {
	if role != "coalesce" {
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 2
	}
	ctx := context.Background()
	var p driver.Provider
	addrs := []string{os.Getenv(childAddrEnv)}
	l2, err := valkeystore.New(ctx, valkeystore.Config{Addrs: addrs, KeyPrefix: "httpcache-test:", TrackAllReads: os.Getenv(childKindEnv) == "twolevel"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p = l2
	if os.Getenv(childKindEnv) == "twolevel" {
		l1, err := memory.New(memory.Config{MaxEntries: 1000})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if p, err = twolevel.New(l1, l2, twolevel.Config{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	defer p.Close()
	c, err := New(p, Config{Namespace: os.Getenv(childNSEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	target, _ := url.Parse(os.Getenv(childOriginEnv))
	srv := httptest.NewServer(NewProxy(c, target))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: fleetClients}, Timeout: 20 * time.Second}

	start, _ := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64)
	time.Sleep(time.Until(time.Unix(0, start)))
	var mu sync.Mutex
	var rep childReport
	var wg sync.WaitGroup
	for range fleetClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/fleet", nil)
			req.Host = "fleet.example" // every instance answers to one name
			resp, err := client.Do(req)
			if err != nil {
				mu.Lock()
				rep.Errors = append(rep.Errors, err.Error())
				mu.Unlock()
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				rep.Errors = append(rep.Errors, err.Error())
			case resp.StatusCode != http.StatusOK || string(body) != "fleet":
				rep.Errors = append(rep.Errors, fmt.Sprintf("%d %q", resp.StatusCode, body))
			default:
				rep.OK++
				if cs := resp.Header.Get("Cache-Status"); cs != "" && (contains(cs, "collapsed") || contains(cs, "; hit")) {
					rep.Collapsed++
				}
			}
		}()
	}
	wg.Wait()
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	return 0
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestCoalescingAcrossProcesses has 4 processes with 50 concurrent clients
// each ask for one cold URL at the same moment: the origin, which takes
// 300 ms to answer, gets one request, and all 200 clients its response.
func TestCoalescingAcrossProcesses(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	for _, kind := range []string{"valkey", "twolevel"} {
		t.Run(kind, func(t *testing.T) {
			o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(fleetOriginDelay)
				w.Header().Set("Cache-Control", "max-age=60")
				_, _ = io.WriteString(w, "fleet")
			})
			ns := uniqueNamespace(t)
			start := time.Now().Add(3 * time.Second) // the children start in step
			outs := make([]*bufio.Scanner, fleetProcesses)
			cmds := make([]*exec.Cmd, fleetProcesses)
			for i := range fleetProcesses {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), childRoleEnv+"=coalesce", childAddrEnv+"="+addr, childKindEnv+"="+kind,
					childNSEnv+"="+ns, childOriginEnv+"="+o.URL, childStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10))
				cmd.Stderr = os.Stderr
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
				outs[i], cmds[i] = bufio.NewScanner(stdout), cmd
			}
			served, collapsed := 0, 0
			for i := range fleetProcesses {
				var rep childReport
				got := false
				for outs[i].Scan() {
					if json.Unmarshal(outs[i].Bytes(), &rep) == nil {
						got = true
						break
					}
				}
				if !got {
					t.Fatalf("child %d printed no report", i)
				}
				if len(rep.Errors) > 0 {
					t.Fatalf("child %d: %d served, errors %v", i, rep.OK, rep.Errors)
				}
				served += rep.OK
				collapsed += rep.Collapsed
			}
			if served != fleetProcesses*fleetClients {
				t.Fatalf("%d clients served, want %d", served, fleetProcesses*fleetClients)
			}
			o.expectHits(t, 1)
			if collapsed != served-1 {
				t.Fatalf("%d responses said they were collapsed or hits, want all but the one that asked (%d)", collapsed, served-1)
			}
		})
	}
}
