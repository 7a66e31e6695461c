package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/sibling"
	"github.com/valcache/valcache/lock"
	"github.com/valcache/valcache/ratelimit"
	"github.com/valcache/valcache/session"
	"github.com/valcache/valcache/valkeystore"
)

type part struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// fixture is what inspectFixture wrote.
type fixture struct {
	flags   []string // reaching the store, under the fixture's prefix
	parts   *valcache.Cache[int, part]
	other   *valcache.Cache[string, string]
	session string // the id of a session, stored as a hash
}

// loginSession logs a user in through package session's middleware, as the
// example web application does, and returns the session's id.
func loginSession(t *testing.T, p *valkeystore.Provider) string {
	t.Helper()
	m, err := session.New(p, session.Config{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		if err := s.SetString(r.Context(), "theme", "dark"); err != nil {
			t.Error(err)
		}
		if err := s.Login(r.Context(), "alice"); err != nil {
			t.Error(err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	id := ""
	for _, c := range rec.Result().Cookies() { // the last one set: Login gives a new id
		if c.Name == session.DefaultCookieName {
			id = c.Value
		}
	}
	if id == "" {
		t.Fatal("no session cookie")
	}
	return id
}

// inspectFixture writes entries the way an application would, under a
// prefix of the test's own, with a session, a lock and a rate limit beside
// them, and returns the flags that reach them.
func inspectFixture(t *testing.T, addrFlags ...string) fixture {
	t.Helper()
	prefix := fmt.Sprintf("it%d:", time.Now().UnixNano())
	addrs := []string{addrFlags[1]}
	if addrFlags[0] == "--cluster" {
		addrs = strings.Split(addrFlags[1], ",")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: addrs, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	parts, err := valcache.New(p, valcache.Options[int, part]{Namespace: "parts", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err := valcache.New(p, valcache.Options[string, string]{Namespace: "other", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 20; i++ {
		if err := parts.Set(ctx, i, part{ID: i, Name: fmt.Sprintf("part %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := parts.SetWith(ctx, 99, part{ID: 99, Name: "bolt"}, valcache.SetOptions{Tags: []string{"supplier:3"}}); err != nil {
		t.Fatal(err)
	}
	if err := other.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	locks, err := lock.New(p, lock.Config{Namespace: "jobs"})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := locks.TryAcquire(ctx, "nightly", lock.Options{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lease.Release(context.Background()) })
	limits, err := ratelimit.New(p, ratelimit.Config{Namespace: "api", Limit: ratelimit.PerMinute(10)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := limits.Allow(ctx, "203.0.113.7"); err != nil {
		t.Fatal(err)
	}
	return fixture{append(addrFlags, "--prefix", prefix), parts, other, loginSession(t, p)}
}

// namespaceRows reads the table namespaces prints: the columns after the
// name, by namespace.
func namespaceRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "NAMESPACE") {
		t.Fatalf("namespaces:\n%s", out)
	}
	rows := map[string][]string{}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 9 {
			t.Fatalf("namespaces row %q has %d columns, want 9", line, len(f))
		}
		rows[f[0]] = f[1:]
	}
	return rows
}

// Columns of namespaceRows.
const (
	colEntries = iota
	colValueBytes
	colTags
	colFieldEntries
	colLocks
	colRateLimits
	colIndexKeys
	colMemory
)

func inspect(t *testing.T, input, sub string, flags []string, args ...string) (int, string, string) {
	t.Helper()
	return runWithInput(t, input, append(append([]string{"inspect", sub}, flags...), args...)...)
}

func TestInspectOnValkey(t *testing.T) {
	fx := inspectFixture(t, "--valkey", servers.Valkey(t).Addr())
	flags, parts, other := fx.flags, fx.parts, fx.other
	ctx := t.Context()

	code, out, errOut := inspect(t, "", "namespaces", flags)
	if code != exitOK {
		t.Fatalf("namespaces with a session present: exit %d; %s", code, errOut)
	}
	rows := namespaceRows(t, out)
	want := map[string]map[int]string{
		"other":         {colEntries: "1", colTags: "0"},
		"parts":         {colEntries: "21", colTags: "1", colFieldEntries: "0"},
		"session":       {colEntries: "0", colFieldEntries: "1"},
		"session.users": {colTags: "1"}, // the user's generation
		"jobs":          {colLocks: "1"},
		"api":           {colRateLimits: "1"},
	}
	if len(rows) != len(want) {
		t.Errorf("namespaces %v, want %d of them:\n%s", rows, len(want), out)
	}
	for ns, cols := range want {
		for col, v := range cols {
			if r := rows[ns]; r == nil || r[col] != v {
				t.Errorf("namespace %s: column %d is %v, want %s:\n%s", ns, col, r, v, out)
			}
		}
		if r := rows[ns]; r != nil && (r[colMemory] == "?" || r[colMemory] == "0B") {
			t.Errorf("namespace %s: memory %s", ns, r[colMemory])
		}
	}
	code, out, _ = inspect(t, "", "namespaces", append(flags, "--json"))
	var list []struct {
		Name         string `json:"name"`
		Entries      int    `json:"entries"`
		FieldEntries int    `json:"field_entries"`
		Fields       int    `json:"fields"`
		MemoryBytes  *int64 `json:"memory_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != exitOK || err != nil || len(list) != len(want) {
		t.Fatalf("namespaces --json: exit %d, %v: %s", code, err, out)
	}
	for _, n := range list {
		if (n.Name == "parts" && n.Entries != 21) || (n.Name == "session" && (n.FieldEntries != 1 || n.Fields < 5)) || n.MemoryBytes == nil || *n.MemoryBytes <= 0 {
			t.Errorf("namespaces --json: %+v", n)
		}
	}

	code, out, errOut = inspect(t, "", "show", flags, "session", fx.session)
	if code != exitOK {
		t.Fatalf("show of a session: exit %d; %s", code, errOut)
	}
	for _, want := range []string{"{session:", "}:" + fx.session + "\n", "type       hash, ", `field      "=theme" = "dark"`, "field entry"} {
		if !strings.Contains(out, want) {
			t.Errorf("show of a session lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = inspect(t, "", "show", append(flags, "--json"), "session", fx.session)
	var shownSession shownEntry
	if err := json.Unmarshal([]byte(out), &shownSession); code != exitOK || err != nil || shownSession.Type != "hash" || len(shownSession.Fields) < 5 {
		t.Fatalf("show --json of a session: exit %d, %v: %s", code, err, out)
	}

	code, out, errOut = inspect(t, "", "show", flags, "parts", "99")
	if code != exitOK {
		t.Fatalf("show: exit %d; %s", code, errOut)
	}
	for _, want := range []string{"{parts:", "}:99\n", "current    yes", "codec      msgpack", "stamp      tag supplier:3 ", `"name":"bolt"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ = inspect(t, "", "show", flags, "parts", "12345"); code != exitOK || !strings.Contains(out, "no such entry") {
		t.Errorf("show of an absent key: exit %d:\n%s", code, out)
	}

	// Refused confirmation: nothing changes.
	code, _, errOut = inspect(t, "n\n", "invalidate", flags, "parts", "supplier:3")
	if code != exitError || !strings.Contains(errOut, "[y/N]") || !strings.Contains(errOut, "not confirmed") {
		t.Fatalf("refused invalidate: exit %d; %q", code, errOut)
	}
	if _, found, err := parts.GetIfPresent(ctx, 99); err != nil || !found {
		t.Fatalf("entry 99 after a refused invalidation: found %v, %v", found, err)
	}
	// No answer at all (stdin closed) is no too.
	if code, _, _ = inspect(t, "", "clear", flags, "parts"); code != exitError {
		t.Fatalf("clear with no answer: exit %d", code)
	}
	if _, found, _ := parts.GetIfPresent(ctx, 1); !found {
		t.Fatal("clear went ahead without confirmation")
	}

	code, out, errOut = inspect(t, "y\n", "invalidate", flags, "parts", "supplier:3")
	if code != exitOK || !strings.Contains(out, "invalidated 1 tag(s)") {
		t.Fatalf("invalidate: exit %d; %s%s", code, out, errOut)
	}
	if _, found, err := parts.GetIfPresent(ctx, 99); err != nil || found {
		t.Fatalf("entry 99 after invalidating its tag: found %v, %v", found, err)
	}
	if _, found, _ := parts.GetIfPresent(ctx, 1); !found {
		t.Fatal("an untagged entry went with the tag")
	}
	code, out, _ = inspect(t, "", "show", append(flags, "--json"), "parts", "99")
	var shown shownEntry
	if err := json.Unmarshal([]byte(out), &shown); code != exitOK || err != nil {
		t.Fatalf("show --json: exit %d, %v: %s", code, err, out)
	}
	if !shown.Found || shown.Current == nil || *shown.Current || len(shown.Stamps) != 2 || shown.Stamps[1].Current {
		t.Errorf("an invalidated entry shown as %+v", shown)
	}

	code, out, errOut = inspect(t, "", "clear", append(flags, "--yes"), "parts")
	if code != exitOK || !strings.Contains(out, `cleared namespace "parts" (21 entries)`) {
		t.Fatalf("clear: exit %d; %s%s", code, out, errOut)
	}
	if _, found, _ := parts.GetIfPresent(ctx, 1); found {
		t.Error("an entry survived clear")
	}
	if v, found, _ := other.GetIfPresent(ctx, "k"); !found || v != "v" {
		t.Error("clear took another namespace's entry")
	}
	// Clearing deletes the namespace's keys, version copies included: the
	// namespace is gone from the list, or listed without entries.
	_, out, _ = inspect(t, "", "namespaces", flags)
	if r := namespaceRows(t, out)["parts"]; r != nil && r[colEntries] != "0" {
		t.Errorf("after clear, namespaces:\n%s", out)
	}
	if r := namespaceRows(t, out)["session"]; r == nil || r[colFieldEntries] != "1" {
		t.Errorf("clearing parts took the session:\n%s", out)
	}

	code, out, errOut = inspect(t, "", "server", flags)
	if code != exitOK {
		t.Fatalf("server: exit %d; %s", code, errOut)
	}
	for _, want := range []string{"(master)", "server            valkey 8", "eviction policy   ", "memory            ", "tracking"} {
		if !strings.Contains(out, want) {
			t.Errorf("server lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = inspect(t, "", "server", append(flags, "--json"))
	var nodes []sibling.NodeInfo
	if err := json.Unmarshal([]byte(out), &nodes); code != exitOK || err != nil || len(nodes) != 1 || nodes[0].UsedMemory <= 0 {
		t.Fatalf("server --json: exit %d, %v: %s", code, err, out)
	}
}

func TestInspectOnACluster(t *testing.T) {
	fx := inspectFixture(t, "--cluster", strings.Join(servers.Cluster(t).Addrs(), ","))
	flags, parts := fx.flags, fx.parts
	code, out, errOut := inspect(t, "", "namespaces", flags)
	if code != exitOK || !strings.Contains(out, "parts") {
		t.Fatalf("namespaces with a session present: exit %d; %s%s", code, out, errOut)
	}
	rows := namespaceRows(t, out)
	if r := rows["parts"]; r == nil || r[colEntries] != "21" {
		t.Errorf("parts counted across primaries as %v", r)
	}
	if r := rows["session"]; r == nil || r[colFieldEntries] != "1" {
		t.Errorf("the session counted as %v:\n%s", r, out)
	}
	if code, out, _ = inspect(t, "", "show", flags, "session", fx.session); code != exitOK || !strings.Contains(out, `field      "=theme" = "dark"`) {
		t.Errorf("show of a session on a cluster: exit %d:\n%s", code, out)
	}
	code, out, errOut = inspect(t, "", "clear", append(flags, "--yes"), "parts")
	if code != exitOK {
		t.Fatalf("clear: exit %d; %s%s", code, out, errOut)
	}
	for i := 1; i <= 20; i++ {
		if _, found, _ := parts.GetIfPresent(t.Context(), i); found {
			t.Fatalf("entry %d survived clear on a cluster", i)
		}
	}
	if code, out, _ = inspect(t, "", "server", flags); code != exitOK || strings.Count(out, "(master)") != 3 {
		t.Errorf("server on a cluster: exit %d:\n%s", code, out)
	}
}

func TestInspectUsageAndFailures(t *testing.T) {
	for _, args := range [][]string{
		{"inspect"},
		{"inspect", "bogus"},
		{"inspect", "show", "onlyns"},
		{"inspect", "clear"},
		{"inspect", "namespaces", "extra"},
		{"inspect", "invalidate", "ns"},
		{"inspect", "server", "--yes"}, // only destructive subcommands take --yes
		{"inspect", "show", "--valkey", "127.0.0.1:1", "--cluster", "127.0.0.1:2", "n", "k"},
	} {
		if code, _, errOut := runCmd(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
	code, _, errOut := runCmd(t, "inspect", "namespaces", "--valkey", "127.0.0.1:1")
	if code != exitError || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Errorf("unreachable server: exit %d, stderr %q; want one line naming it", code, errOut)
	}
}
