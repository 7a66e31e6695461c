package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/valkeystore"
)

type part struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// inspectFixture writes entries the way an application would, under a
// prefix of the test's own, and returns the flags that reach them.
func inspectFixture(t *testing.T, addrFlags ...string) (flags []string, parts *valcache.Cache[int, part], other *valcache.Cache[string, string]) {
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
	parts, err = valcache.New(p, valcache.Options[int, part]{Namespace: "parts", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err = valcache.New(p, valcache.Options[string, string]{Namespace: "other", TTL: time.Hour})
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
	return append(addrFlags, "--prefix", prefix), parts, other
}

func inspect(t *testing.T, input, sub string, flags []string, args ...string) (int, string, string) {
	t.Helper()
	return runWithInput(t, input, append(append([]string{"inspect", sub}, flags...), args...)...)
}

func TestInspectOnValkey(t *testing.T) {
	flags, parts, other := inspectFixture(t, "--valkey", servers.Valkey(t).Addr())
	ctx := t.Context()

	code, out, errOut := inspect(t, "", "namespaces", flags)
	if code != exitOK {
		t.Fatalf("namespaces: exit %d; %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAMESPACE") ||
		strings.Fields(lines[1])[0] != "other" || strings.Fields(lines[1])[1] != "1" ||
		strings.Fields(lines[2])[0] != "parts" || strings.Fields(lines[2])[1] != "21" || strings.Fields(lines[2])[3] != "1" {
		t.Fatalf("namespaces:\n%s", out)
	}
	code, out, _ = inspect(t, "", "namespaces", append(flags, "--json"))
	var list []struct {
		Name    string `json:"name"`
		Entries int    `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != exitOK || err != nil || len(list) != 2 || list[1].Entries != 21 {
		t.Fatalf("namespaces --json: exit %d, %v: %s", code, err, out)
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
	_, out, _ = inspect(t, "", "namespaces", append(flags, "--json"))
	var after []struct {
		Name    string `json:"name"`
		Entries int    `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &after); err != nil {
		t.Fatalf("namespaces --json after clear: %v: %s", err, out)
	}
	for _, n := range after {
		if n.Name == "parts" && n.Entries != 0 {
			t.Errorf("after clear, namespaces: %s", out)
		}
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
	var nodes []valkeystore.NodeInfo
	if err := json.Unmarshal([]byte(out), &nodes); code != exitOK || err != nil || len(nodes) != 1 || nodes[0].UsedMemory <= 0 {
		t.Fatalf("server --json: exit %d, %v: %s", code, err, out)
	}
}

func TestInspectOnACluster(t *testing.T) {
	flags, parts, _ := inspectFixture(t, "--cluster", strings.Join(servers.Cluster(t).Addrs(), ","))
	code, out, errOut := inspect(t, "", "namespaces", flags)
	if code != exitOK || !strings.Contains(out, "parts") {
		t.Fatalf("namespaces: exit %d; %s%s", code, out, errOut)
	}
	if f := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[2]); f[0] != "parts" || f[1] != "21" {
		t.Errorf("parts counted across primaries as %v", f)
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
