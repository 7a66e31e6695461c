package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/session"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

type client struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := *srv.Client()
	c.Jar, c.Timeout = jar, 15*time.Second
	return &client{t: t, srv: srv, c: &c}
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.c.PostForm(c.srv.URL+path, form)
	} else {
		resp, err = c.c.Get(c.srv.URL + path)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, strings.TrimSpace(string(body))
}

func (c *client) want(method, path string, form url.Values, status int, body string) *http.Response {
	c.t.Helper()
	resp, got := c.do(method, path, form)
	if resp.StatusCode != status || (body != "" && got != body) {
		c.t.Fatalf("%s %s = %d %q, want %d %q", method, path, resp.StatusCode, got, status, body)
	}
	return resp
}

func (c *client) sessionID() string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == session.DefaultCookieName {
			return k.Value
		}
	}
	return ""
}

func login(user, password string) url.Values {
	return url.Values{"user": {user}, "password": {password}}
}

// TestWebappEndToEnd runs the application from its shipped config.yaml on
// a Valkey single node, and from the same file switched to a cluster, and
// drives it over HTTPS with a cookie jar.
func TestWebappEndToEnd(t *testing.T) {
	t.Run("ValkeySingle", func(t *testing.T) {
		host, port, _ := strings.Cut(servers.Valkey(t).Addr(), ":")
		t.Setenv("VALKEY_HOST", host)
		t.Setenv("VALKEY_PORT", port)
		t.Setenv("VALKEY_PASSWORD", "")
		drive(t, "config.yaml")
	})
	t.Run("ValkeyCluster", func(t *testing.T) {
		shipped, err := os.ReadFile("config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		single := "    use: valkey\n    host: ${VALKEY_HOST}\n    port: ${VALKEY_PORT}\n"
		if !strings.Contains(string(shipped), single) {
			t.Fatal("config.yaml no longer has the main storage this test rewrites")
		}
		cluster := fmt.Sprintf("    use: valkey-cluster\n    addresses: [%q]\n", servers.Cluster(t).Addrs()[0])
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(string(shipped), single, cluster, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("VALKEY_PASSWORD", "")
		drive(t, path)
	})
}

func drive(t *testing.T, path string) {
	a, err := open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewTLSServer(a.Handler())
	defer srv.Close()
	alice := newClient(t, srv)

	// A guest session counts visits.
	alice.want("GET", "/", nil, 200, "hello guest; visits: 1")
	alice.want("GET", "/", nil, 200, "hello guest; visits: 2")
	guestID := alice.sessionID()

	// Logging in renews the id and keeps the data.
	alice.want("POST", "/login", login("alice", "wrong"), 401, "")
	resp := alice.want("POST", "/login", login("alice", "wonderland"), 200, "logged in as alice")
	if resp.Header.Get("RateLimit-Limit") != "5" {
		t.Fatalf("login response RateLimit-Limit = %q, want 5", resp.Header.Get("RateLimit-Limit"))
	}
	if id := alice.sessionID(); id == guestID || id == "" {
		t.Fatalf("login kept the session id %q", id)
	}
	alice.want("GET", "/", nil, 200, "hello alice; visits: 3")

	// Products go through the cache: the catalogue is asked once each.
	alice.want("GET", "/products/1", nil, 200, `{"id":1,"name":"teapot","cents":2500}`)
	alice.want("GET", "/products/1", nil, 200, `{"id":1,"name":"teapot","cents":2500}`)
	alice.want("GET", "/products/99", nil, 404, "no such product")
	alice.want("GET", "/products/99", nil, 404, "no such product")
	if n := a.catalogue.loads.Load(); n != 2 {
		t.Fatalf("catalogue asked %d times for two products read twice each, want 2", n)
	}

	// Logging out everywhere ends alice's other session too.
	phone := newClient(t, srv)
	phone.want("POST", "/login", login("alice", "wonderland"), 200, "logged in as alice")
	phone.want("GET", "/", nil, 200, "hello alice; visits: 1")
	alice.want("POST", "/logout-everywhere", nil, 200, "logged out everywhere")
	phone.want("GET", "/", nil, 200, "hello guest; visits: 1")
	alice.want("GET", "/", nil, 200, "hello guest; visits: 1")

	// Login attempts are limited per address: a burst of 5, then one every
	// 12 s. Three were made; keep trying until one is refused.
	bob := newClient(t, srv)
	allowed := 3
	for {
		resp, _ = bob.do("POST", "/login", login("bob", "builder"))
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %s", resp.Status)
		}
		if allowed++; allowed > 10 {
			t.Fatal("10 login attempts from one address and none refused")
		}
	}
	if allowed < 5 {
		t.Fatalf("login refused after %d attempts, within the burst of 5", allowed)
	}
	if resp.Header.Get("Retry-After") == "" || resp.Header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("refused login lacks Retry-After or RateLimit-Remaining: %v", resp.Header)
	}
	bob.want("GET", "/", nil, 200, "hello bob; visits: 1")

	// Logging out ends the session and clears the cookie.
	bob.want("POST", "/logout", nil, 200, "logged out")
	if bob.sessionID() != "" {
		t.Fatal("logout left the session cookie")
	}
	bob.want("GET", "/", nil, 200, "hello guest; visits: 1")
}

func TestConfigRefersToDefinedStorages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	body := "storages:\n  main:\n    use: memory\nwebapp:\n  sessions:\n    storage: sesions\n  login_limit:\n    per_minute: 5\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := readConfig(path)
	if err == nil || !strings.Contains(err.Error(), `webapp.sessions.storage: storage "sesions" is not defined`) {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte(body+"  colour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readConfig(path); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("an unknown key in the webapp section: got %v", err)
	}
}
