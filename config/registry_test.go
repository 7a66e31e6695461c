package config_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/config"
	"github.com/valcache/valcache/internal/testserver"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "storages.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

func TestLoadBuildsEveryStorage(t *testing.T) {
	secured, err := testserver.StartValkey(testserver.Options{Password: "pw-from-env"})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = secured.Stop() })
	host, port := hostPort(t, secured.Addr())
	cluster := servers.Cluster(t).Addrs()
	t.Setenv("VALCACHE_TEST_PASSWORD", "pw-from-env")
	path := writeFile(t, fmt.Sprintf(`
default: sessions
storages:
  sessions:
    use: valkey
    host: %s
    port: %s
    password: ${VALCACHE_TEST_PASSWORD}
    prefix: sess
  shared:
    use: valkey-cluster
    addresses: [%q]
  local:
    use: memory
`, host, port, cluster[0]))
	reg, err := config.Load(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if got := reg.Names(); strings.Join(got, ",") != "sessions,shared,local" {
		t.Fatalf("Names = %v", got)
	}
	ctx := t.Context()
	for _, name := range reg.Names() {
		s, err := reg.Storage(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "k", []byte(name), time.Minute); err != nil {
			t.Fatalf("%s: Set: %v", name, err)
		}
		if v, found, err := s.Get(ctx, "k"); err != nil || !found || string(v) != name {
			t.Fatalf("%s: Get = %q, %v, %v", name, v, found, err)
		}
		// Closing a view leaves the registry's provider open.
		_ = s.Close()
	}
	if d := reg.Default(); d.Prefix() != "sess" {
		t.Fatalf("default storage prefix %q, want sess", d.Prefix())
	}
	if v, found, err := reg.Default().Get(ctx, "k"); err != nil || !found || string(v) != "sessions" {
		t.Fatalf("default storage Get = %q, %v, %v", v, found, err)
	}
	// A cache can be built on a named storage's provider.
	p, err := reg.Provider("shared")
	if err != nil {
		t.Fatal(err)
	}
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "counts"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetWith(ctx, "n", 7, valcache.SetOptions{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if n, ok, err := c.GetIfPresent(ctx, "n"); err != nil || !ok || n != 7 {
		t.Fatalf("cache on the shared storage: %v %v %v", n, ok, err)
	}
	if _, err := reg.Storage("nope"); !errors.Is(err, config.ErrUnknownStorage) {
		t.Fatalf("Storage(nope): got %v, want ErrUnknownStorage", err)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Default().Get(ctx, "k"); !errors.Is(err, valcache.ErrClosed) {
		t.Fatalf("Get after the registry closed: got %v, want ErrClosed", err)
	}
}

func TestOpenFailuresNameTheStorage(t *testing.T) {
	single := servers.Valkey(t).Addr()
	host, port := hostPort(t, single)
	cluster := servers.Cluster(t).Addrs()
	ch, cp := hostPort(t, cluster[0])
	for _, tc := range []struct{ name, body, want string }{
		{"ClusterNamedAsSingle", fmt.Sprintf("storages:\n  x:\n    use: memory\n  s:\n    use: valkey\n    host: %s\n    port: %s\n", ch, cp), "is a cluster node"},
		{"SingleNamedAsCluster", fmt.Sprintf("storages:\n  x:\n    use: memory\n  s:\n    use: valkey-cluster\n    addresses: [\"%s:%s\"]\n", host, port), "is a single node"},
		{"WrongPassword", fmt.Sprintf("storages:\n  x:\n    use: memory\n  s:\n    use: valkey\n    host: %s\n    port: %s\n    username: nobody\n    password: wrong\n", host, port), "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "default: x\n"+tc.body)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, err := config.Load(ctx, path)
			if err == nil || !strings.Contains(err.Error(), path+":5: storage \"s\"") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error naming %s:5, storage s, and %q", err, path, tc.want)
			}
		})
	}
}

// A valkey-sentinel entry reaches the primary the sentinels name, with the
// sentinels' password kept out of the entry's formatting.
func TestLoadSentinelStorage(t *testing.T) {
	s := servers.Sentinel(t)
	addrs := s.Addrs()
	path := writeFile(t, fmt.Sprintf(`
storages:
  ha:
    use: valkey-sentinel
    master_set: %s
    sentinels: [%q, %q]
    dial_timeout: 2s
`, s.MasterSet(), addrs[0], addrs[1]))
	reg, err := config.Load(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	st := reg.Default()
	ctx := t.Context()
	if err := st.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, found, err := st.Get(ctx, "k"); err != nil || !found || string(v) != "v" {
		t.Fatalf("Get = %q, %v, %v", v, found, err)
	}
	primary, err := s.Primary()
	if err != nil {
		t.Fatal(err)
	}
	v, err := testserver.Command(primary.Addr(), "DBSIZE")
	if n, _ := v.(int64); err != nil || n == 0 {
		t.Fatalf("the primary holds %v keys (%v), want the storage's", v, err)
	}
	f, err := config.Parse("x.yaml", []byte("storages:\n  ha:\n    use: valkey-sentinel\n    master_set: m\n    sentinels: [\"a:1\"]\n    sentinel_password: hunter2\n"), config.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if text := fmt.Sprintf("%v %+v %#v", f.Storages[0], f.Storages[0], f.Storages[0]); strings.Contains(text, "hunter2") {
		t.Fatalf("the sentinel password is formatted: %s", text)
	}
}
