package valkeystore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/valcache/valcache"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
)

func TestKeyLayoutIsEscapedAndHashTagged(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: "lay:"})
		// Each case: the escaped namespace that starts the hash tag, and the
		// escaped key that follows the group's closing brace.
		cases := map[driver.Key][2]string{
			{Namespace: "users", ID: "42"}:        {"users", "42"},
			{Namespace: "a:b", ID: "c"}:           {"a%3Ab", "c"},
			{Namespace: "a", ID: "b:c"}:           {"a", "b:c"},
			{Namespace: "n", ID: "{x}%y"}:         {"n", "%7Bx%7D%25y"},
			{Namespace: "{n}", ID: "}"}:           {"%7Bn%7D", "%7D"},
			{Namespace: "n", ID: "uni ž\x00code"}: {"n", "uni ž\x00code"},
		}
		for k, want := range cases {
			if err := p.Set(t.Context(), k, []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
			stored := p.EntryKeyName(k)
			tag, rest, ok := strings.Cut(strings.TrimPrefix(stored, "lay:{"), "}")
			group, _, _ := strings.Cut(strings.TrimPrefix(tag, want[0]+":"), ".")
			if !strings.HasPrefix(stored, "lay:{"+want[0]+":") || !ok || rest != ":"+want[1] || strings.Trim(group, "0123456789") != "" {
				t.Fatalf("key %+v is stored as %q, want lay:{%s:<group>}:%s", k, stored, want[0], want[1])
			}
			c := p.Client()
			got, err := c.Do(t.Context(), c.B().Get().Key(stored).Build()).ToString()
			if err != nil || got != "v" {
				t.Fatalf("key %+v: GET %q = %q, %v; want the value under exactly that name", k, stored, got, err)
			}
			_ = p.Delete(t.Context(), k)
		}
	})
}

func TestEveryWriteHasAnExpiryUnlessAskedOtherwise(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: "ttl:"})
		c := p.Client()
		pttl := func(key string) int64 {
			t.Helper()
			ms, err := c.Do(t.Context(), c.B().Pttl().Key(key).Build()).AsInt64()
			if err != nil {
				t.Fatal(err)
			}
			return ms
		}
		k := driver.Key{Namespace: "n", ID: "precise"}
		if err := p.Set(t.Context(), k, []byte("v"), 1500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		// PX keeps 1.5 s; EX would have rounded it to 1 s or 2 s.
		if ms := pttl(p.EntryKeyName(k)); ms <= 1000 || ms > 1500 {
			t.Fatalf("PTTL after a 1.5s TTL = %dms, want in (1000, 1500]", ms)
		}
		items := []driver.Item{{Key: driver.Key{Namespace: "n", ID: "bulk"}, Value: []byte("v"), TTL: time.Hour}}
		if err := p.SetMany(t.Context(), items); err != nil {
			t.Fatal(err)
		}
		if ms := pttl(p.EntryKeyName(driver.Key{Namespace: "n", ID: "bulk"})); ms <= 0 {
			t.Fatalf("PTTL after SetMany = %d, want an expiry", ms)
		}
		if err := p.Set(t.Context(), driver.Key{Namespace: "n", ID: "forever"}, []byte("v"), driver.NoExpiry); err != nil {
			t.Fatal(err)
		}
		if ms := pttl(p.EntryKeyName(driver.Key{Namespace: "n", ID: "forever"})); ms != -1 {
			t.Fatalf("PTTL after NoExpiry = %d, want -1 (no expiry)", ms)
		}
		_ = p.Clear(t.Context(), "n")
	})
}

func TestBulkCallsSpanEverySlotWithoutCrossSlotErrors(t *testing.T) {
	cl := servers.Cluster(t)
	p := newProvider(t, valkeystore.Config{Addrs: cl.Addrs()})
	if !p.Cluster() {
		t.Fatal("provider did not detect the cluster")
	}
	const n = 5000
	items := make([]driver.Item, n)
	keys := make([]driver.Key, n)
	for i := range items {
		keys[i] = driver.Key{Namespace: "spread", ID: fmt.Sprintf("k%d{x}", i)}
		items[i] = driver.Item{Key: keys[i], Value: []byte(fmt.Sprint(i)), TTL: time.Minute}
	}
	if err := p.SetMany(t.Context(), items); err != nil {
		t.Fatalf("SetMany over many slots: %v", err)
	}
	got, err := p.GetMany(t.Context(), keys)
	if err != nil {
		t.Fatalf("GetMany over many slots: %v", err)
	}
	for i, v := range got {
		if string(v) != fmt.Sprint(i) {
			t.Fatalf("slot %d = %q", i, v)
		}
	}
	// Every primary must hold some of them, or the test spread nothing.
	for _, addr := range cl.Primaries() {
		node := p.Client().Nodes()[addr]
		if node == nil {
			t.Fatalf("no client for primary %s", addr)
		}
		size, err := node.Do(t.Context(), node.B().Dbsize().Build()).AsInt64()
		if err != nil || size == 0 {
			t.Fatalf("primary %s holds %d keys (%v); the keys did not spread", addr, size, err)
		}
	}
	if err := p.DeleteMany(t.Context(), keys[:n/2]); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if err := p.Clear(t.Context(), "spread"); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	got, err = p.GetMany(t.Context(), keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != nil {
			t.Fatalf("key %d survived Clear", i)
		}
	}
}

func TestInvalidConfigIsRejected(t *testing.T) {
	cases := map[string]valkeystore.Config{
		"no address":        {},
		"empty address":     {Addrs: []string{""}},
		"no port":           {Addrs: []string{"localhost"}},
		"negative DB":       {Addrs: []string{"127.0.0.1:1"}, DB: -1},
		"brace in prefix":   {Addrs: []string{"127.0.0.1:1"}, KeyPrefix: "a{b"},
		"negative timeout":  {Addrs: []string{"127.0.0.1:1"}, OperationTimeout: -time.Second},
		"negative TTL":      {Addrs: []string{"127.0.0.1:1"}, DefaultTTL: -time.Hour},
		"negative max size": {Addrs: []string{"127.0.0.1:1"}, MaxValueBytes: -1},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := valkeystore.New(t.Context(), cfg)
			if !errors.Is(err, valkeystore.ErrInvalidConfig) {
				t.Fatalf("got %v (provider %v), want ErrInvalidConfig", err, p)
			}
		})
	}
}

func TestUnreachableServerFailsFastWithTheAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	start := time.Now()
	_, err = valkeystore.New(t.Context(), valkeystore.Config{Addrs: []string{addr}, DialTimeout: time.Second})
	if err == nil {
		t.Fatal("New against a closed port succeeded")
	}
	if !strings.Contains(err.Error(), addr) {
		t.Fatalf("error %q does not name the address %s", err, addr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("New took %v to report an unreachable server", took)
	}
}

func TestWrongPasswordIsAClearError(t *testing.T) {
	s, err := testserver.StartValkey(testserver.Options{Password: "right-password"})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	_, err = valkeystore.New(t.Context(), valkeystore.Config{Addrs: []string{s.Addr()}, Password: "wrong"})
	if err == nil || !strings.Contains(strings.ToUpper(err.Error()), "WRONGPASS") {
		t.Fatalf("New with a wrong password: %v, want an error carrying WRONGPASS", err)
	}
	p := newProvider(t, valkeystore.Config{Addrs: []string{s.Addr()}, Password: "right-password"})
	if err := p.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestDBIsRefusedOnACluster(t *testing.T) {
	_, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: servers.Cluster(t).Addrs(), DB: 2})
	if !errors.Is(err, valkeystore.ErrInvalidConfig) {
		t.Fatalf("DB 2 on a cluster: %v, want ErrInvalidConfig", err)
	}
}

func TestDBSelectsADatabaseOnASingleNode(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	p0 := newProvider(t, valkeystore.Config{Addrs: []string{addr}})
	p3 := newProvider(t, valkeystore.Config{Addrs: []string{addr}, DB: 3})
	k := driver.Key{Namespace: "db", ID: "k"}
	if err := p3.Set(t.Context(), k, []byte("in 3"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, found, err := p0.Get(t.Context(), k); err != nil || found {
		t.Fatalf("DB 0 sees DB 3's key: found=%v err=%v", found, err)
	}
	_ = p3.Delete(t.Context(), k)
}

func TestFlushIsGuarded(t *testing.T) {
	s, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	k := driver.Key{Namespace: "n", ID: "k"}
	guarded := newProvider(t, valkeystore.Config{Addrs: []string{s.Addr()}})
	if err := guarded.Set(t.Context(), k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := guarded.Flush(t.Context()); !errors.Is(err, driver.ErrFlushNotAllowed) {
		t.Fatalf("Flush without AllowUnsafeFLUSHDB: %v, want ErrFlushNotAllowed", err)
	}
	if _, found, _ := guarded.Get(t.Context(), k); !found {
		t.Fatal("a refused Flush removed data")
	}
	allowed := newProvider(t, valkeystore.Config{Addrs: []string{s.Addr()}, AllowUnsafeFLUSHDB: true})
	if err := allowed.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := guarded.Get(t.Context(), k); found {
		t.Fatal("Flush left the key")
	}
}

func TestFlushReachesEveryClusterPrimary(t *testing.T) {
	cl, err := testserver.StartCluster()
	testserver.Require(t, err)
	t.Cleanup(func() { _ = cl.Stop() })
	p := newProvider(t, valkeystore.Config{Addrs: cl.Addrs(), AllowUnsafeFLUSHDB: true})
	keys := make([]driver.Key, 300)
	items := make([]driver.Item, len(keys))
	for i := range keys {
		keys[i] = driver.Key{Namespace: "f", ID: fmt.Sprint(i)}
		items[i] = driver.Item{Key: keys[i], Value: []byte("v"), TTL: time.Minute}
	}
	if err := p.SetMany(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatalf("Flush on a cluster: %v", err)
	}
	got, err := p.GetMany(t.Context(), keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != nil {
			t.Fatalf("key %d survived a cluster Flush", i)
		}
	}
}

func TestNoEvictionPolicyWithALimitIsWarnedAbout(t *testing.T) {
	cases := map[string]struct {
		args []string
		warn bool
	}{
		"noeviction with limit":    {[]string{"--maxmemory", "64mb", "--maxmemory-policy", "noeviction"}, true},
		"noeviction without limit": {[]string{"--maxmemory-policy", "noeviction"}, false},
		"allkeys-lru with limit":   {[]string{"--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := testserver.StartValkey(testserver.Options{Args: tc.args})
			testserver.Require(t, err)
			t.Cleanup(func() { _ = s.Stop() })
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			newProvider(t, valkeystore.Config{Addrs: []string{s.Addr()}, Logger: log})
			if warned := strings.Contains(logs.String(), "noeviction"); warned != tc.warn {
				t.Fatalf("warned=%v, want %v; log: %s", warned, tc.warn, logs.String())
			}
		})
	}
}

func TestServerLossFailsWithinDeadlineAndRecovers(t *testing.T) {
	s, err := testserver.StartValkey(testserver.Options{})
	testserver.Require(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	p := newProvider(t, valkeystore.Config{Addrs: []string{s.Addr()}, OperationTimeout: 300 * time.Millisecond})
	k := driver.Key{Namespace: "n", ID: "k"}
	if err := p.Set(t.Context(), k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, _, err := p.Get(context.Background(), k); err == nil {
		t.Fatal("Get succeeded with the server down")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Get with the server down took %v; the operation timeout is 300ms", took)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := p.Set(context.Background(), k, []byte("again"), time.Minute)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("provider did not recover after the server came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, found, err := p.Get(t.Context(), k); err != nil || !found || string(v) != "again" {
		t.Fatalf("after recovery: %q %v %v", v, found, err)
	}
}

func TestClientIsTheSharedConnection(t *testing.T) {
	p := newProvider(t, valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}, ClientName: "valcache-test"})
	c := p.Client()
	name, err := c.Do(t.Context(), c.B().ClientGetname().Build()).ToString()
	if err != nil || name != "valcache-test" {
		t.Fatalf("CLIENT GETNAME = %q, %v; want the configured client name", name, err)
	}
}

func TestReplicaReadsAreServedByReplicas(t *testing.T) {
	cl, err := testserver.StartCluster()
	testserver.Require(t, err)
	t.Cleanup(func() { _ = cl.Stop() })
	writer := newProvider(t, valkeystore.Config{Addrs: cl.Addrs()})
	wc, err := valcache.New(writer, valcache.Options[int, string]{Namespace: "rr"})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]int, 50)
	for i := range keys {
		keys[i] = i
		if err := wc.Set(t.Context(), i, "v"); err != nil {
			t.Fatal(err)
		}
	}
	waitReplicasOnline(t, cl)
	// Seeds are the primaries: valkey-go reuses its connection to a seed for
	// the node's later role, without READONLY, so a replica given as a seed
	// answers reads with MOVED and they end on the primary after all.
	p := newProvider(t, valkeystore.Config{Addrs: cl.Primaries(), ReplicaReads: true})
	rc, err := valcache.New(p, valcache.Options[int, string]{Namespace: "rr"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, found, err := rc.GetIfPresent(t.Context(), k); err != nil || !found {
			t.Fatalf("read of %v through a replica: found=%v err=%v", k, found, err)
		}
	}
	primaries := map[string]bool{}
	for _, a := range cl.Primaries() {
		primaries[a] = true
	}
	// Each read is a GET of the entry, for a replica, and a GET of the
	// namespace's version, which must stay on a primary.
	var replicaGets, primaryGets int64
	for addr, node := range p.Client().Nodes() {
		info, err := node.Do(t.Context(), node.B().Info().Section("commandstats").Build()).ToString()
		if err != nil {
			t.Fatal(err)
		}
		calls := getCalls(info)
		if primaries[addr] {
			primaryGets += calls
		} else {
			replicaGets += calls
		}
	}
	if replicaGets < int64(len(keys)) {
		t.Fatalf("replicas served %d GETs for %d entry reads", replicaGets, len(keys))
	}
	if primaryGets == 0 {
		t.Fatal("no version was read from a primary")
	}
	// Field entries (sessions) are read from primaries, so a request sees
	// what the one before it wrote.
	for i := range 20 {
		k := driver.Key{Namespace: "rr-fields", ID: strconv.Itoa(i)}
		if _, err := writer.UpdateFields(t.Context(), k, map[string][]byte{"f": []byte("v")}, nil, time.Minute, true); err != nil {
			t.Fatal(err)
		}
		if _, found, err := p.GetFields(t.Context(), k); err != nil || !found {
			t.Fatalf("GetFields right after the write: found=%v err=%v", found, err)
		}
	}
	var replicaHGetAlls, primaryHGetAlls int64
	for addr, node := range p.Client().Nodes() {
		info, err := node.Do(t.Context(), node.B().Info().Section("commandstats").Build()).ToString()
		if err != nil {
			t.Fatal(err)
		}
		if calls := cmdCalls(info, "hgetall"); primaries[addr] {
			primaryHGetAlls += calls
		} else {
			replicaHGetAlls += calls
		}
	}
	if replicaHGetAlls != 0 || primaryHGetAlls < 20 {
		t.Fatalf("field entry reads: %d on replicas, %d on primaries; want 0 and 20", replicaHGetAlls, primaryHGetAlls)
	}
}

// getCalls reads cmdstat_get's call count from INFO commandstats.
func getCalls(info string) int64 { return cmdCalls(info, "get") }

// cmdCalls reads a command's call count from INFO commandstats.
func cmdCalls(info, cmd string) int64 {
	_, rest, ok := strings.Cut(info, "cmdstat_"+cmd+":calls=")
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
	return n
}

// waitReplicasOnline waits until every node's CLUSTER SHARDS reports every
// node online: Valkey reports a replica that has replicated nothing yet as
// "loading", clients route no reads to it, and each node has its own view.
func waitReplicasOnline(t *testing.T, cl *testserver.Cluster) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range cl.Addrs() {
		host, port, _ := net.SplitHostPort(addr)
		for {
			out, err := exec.Command("valkey-cli", "-h", host, "-p", port, "CLUSTER", "SHARDS").CombinedOutput()
			if err != nil {
				t.Fatalf("CLUSTER SHARDS on %s: %v: %s", addr, err, out)
			}
			text := string(out)
			if !strings.Contains(text, "loading") && strings.Count(text, "online") == 6 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replicas not online in the view of %s:\n%s", addr, text)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
