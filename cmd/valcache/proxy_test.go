package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes buffer a running command writes to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningProxy is a proxy command running in the background.
type runningProxy struct {
	url, admin string
	stop       func() int // cancels the command and returns its exit code
}

var addrLine = regexp.MustCompile(`listening on (http://[0-9.:]+)`)
var adminLine = regexp.MustCompile(`admin on (http://[0-9.:]+)`)

func startProxy(t *testing.T, args ...string) *runningProxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, append([]string{"proxy"}, args...), console{stdout: &out, stderr: &errOut}) }()
	p := &runningProxy{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := addrLine.FindStringSubmatch(out.String()); m != nil {
			p.url = m[1]
			if m := adminLine.FindStringSubmatch(out.String()); m != nil {
				p.admin = m[1]
			}
			if p.admin != "" || !strings.Contains(strings.Join(args, " "), "--admin") {
				break
			}
		}
		select {
		case c := <-code:
			t.Fatalf("the proxy exited with %d: %s", c, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy did not start: %q %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	result := 0
	p.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case result = <-code:
			case <-time.After(20 * time.Second):
				t.Fatal("the proxy did not stop")
			}
		})
		return result
	}
	t.Cleanup(func() { p.stop() })
	return p
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func countingOrigin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Surrogate-Key", "page")
		_, _ = io.WriteString(w, "page "+r.URL.Path)
	}))
	t.Cleanup(o.Close)
	return o, &hits
}

// TestProxyCachesAndPurges runs the proxy command in process: a second
// request is a hit, the admin listener purges and reports, and the command
// stops cleanly (exit 0, no goroutine left) when asked to.
func TestProxyCachesAndPurges(t *testing.T) {
	o, hits := countingOrigin(t)
	check := leakCheck(t)
	p := startProxy(t, "--origin", o.URL, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0")
	_, body := get(t, p.url+"/a")
	if body != "page /a" {
		t.Fatalf("body %q", body)
	}
	var resp *http.Response
	deadline := time.Now().Add(5 * time.Second)
	for { // the first response is stored just after its client has it
		resp, body = get(t, p.url+"/a")
		if strings.Contains(resp.Header.Get("Cache-Status"), "hit") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(resp.Header.Get("Cache-Status"), "hit") || body != "page /a" || resp.Header.Get("Surrogate-Key") != "" {
		t.Fatalf("second request: %v %q", resp.Header, body)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("origin requests: %d", n)
	}
	pr, err := http.Post(p.admin+"/purge?tag=page", "", nil)
	if err != nil || pr.StatusCode != http.StatusNoContent {
		t.Fatalf("purge: %v %v", pr, err)
	}
	pr.Body.Close()
	if resp, _ := get(t, p.url+"/a"); strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
		t.Fatal("served from storage after the purge")
	}
	sresp, stats := get(t, p.admin+"/stats")
	var st struct{ Requests, Hits uint64 }
	if err := json.Unmarshal([]byte(stats), &st); err != nil || sresp.StatusCode != 200 || st.Requests < 3 || st.Hits < 1 {
		t.Fatalf("stats: %d %s (%v)", sresp.StatusCode, stats, err)
	}
	bad, err := http.Post(p.admin+"/purge?url=relative", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("purge of a relative URL: %d", bad.StatusCode)
	}
	if code := p.stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	check()
}

// TestProxySharedOnValkey runs two proxies over one Valkey server: what
// one fetched, the other serves.
func TestProxySharedOnValkey(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	o, hits := countingOrigin(t)
	ns := "proxy-test-" + time.Now().Format("150405.000000")
	a := startProxy(t, "--origin", o.URL, "--listen", "127.0.0.1:0", "--valkey", addr, "--namespace", ns)
	b := startProxy(t, "--origin", o.URL, "--listen", "127.0.0.1:0", "--valkey", addr, "--namespace", ns, "--provider", "valkey")
	// Both proxies answer to one name, as a fleet behind a load balancer.
	do := func(base string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+"/shared", nil)
		req.Host = "site.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	do(a.url)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(do(b.url).Header.Get("Cache-Status"), "hit") {
		if time.Now().After(deadline) {
			t.Fatal("the second proxy never served the first one's response")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("origin requests: %d", n)
	}
}

// TestProxyUsage checks the exit codes of bad invocations.
func TestProxyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"proxy"}, exitUsage, "--origin URL is required"},
		{[]string{"proxy", "--origin", "ftp://x"}, exitUsage, "absolute http or https URL"},
		{[]string{"proxy", "--origin", "http://x", "--provider", "disk"}, exitUsage, "want memory, valkey or twolevel"},
		{[]string{"proxy", "--origin", "http://x", "--provider", "valkey"}, exitUsage, "needs --valkey"},
		{[]string{"proxy", "--origin", "http://x", "--provider", "memory", "--valkey", "127.0.0.1:1"}, exitUsage, "drop --valkey"},
		{[]string{"proxy", "--origin", "http://x", "extra"}, exitUsage, "unexpected argument"},
		{[]string{"proxy", "--origin", "http://x", "--listen", "256.0.0.1:0"}, exitError, "valcache proxy:"},
		{[]string{"proxy", "-h"}, exitOK, "--origin URL"},
	} {
		code, _, errOut := runCmd(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}
