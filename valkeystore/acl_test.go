package valkeystore_test

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/valkeystore"
)

// minimalACL is the user docs/config.md ("ACL: what valcache needs")
// recommends, after the user name and password; keep the two the same.
var minimalACL = []string{
	"resetkeys", "~vc:*", "~index:*", "resetchannels",
	"-@all", "+@read", "+@write", "+@scripting", "+@transaction", "+@connection", "-@dangerous",
	"+time", "+cluster|shards", "+cluster|slots", "+role", "+config|get",
}

// aclUser creates a user with rules on addr and returns its name; its
// password is "pw".
func aclUser(t *testing.T, addr string, rules []string) string {
	t.Helper()
	name := "valcache-" + rand.Text()[:8]
	args := append([]string{"ACL", "SETUSER", name, "reset", "on", ">pw"}, rules...)
	if _, err := testserver.Command(addr, args...); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	t.Cleanup(func() { _, _ = testserver.Command(addr, "ACL", "DELUSER", name) })
	return name
}

// The documented minimal user runs a cache, with its start-up checks, and
// nothing it does is refused.
func TestMinimalACLUserWorks(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	user := aclUser(t, addr, minimalACL)
	logs := &capturing{}
	p := newProvider(t, valkeystore.Config{Addrs: []string{addr}, Username: user, Password: "pw", TrackAllReads: true, Logger: slog.New(logs)})
	if n := logs.count("skipped"); n != 0 {
		t.Errorf("start-up checks skipped for the minimal user: %v", logs.msgs)
	}
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "acl-" + rand.Text()[:6]})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.SetWith(ctx, "k", "v", valcache.SetOptions{Tags: []string{"t"}, TTL: time.Minute}); err != nil {
		t.Fatalf("SetWith: %v", err)
	}
	if v, ok, err := c.GetIfPresent(ctx, "k"); err != nil || !ok || v != "v" {
		t.Fatalf("GetIfPresent = %q %v %v", v, ok, err)
	}
	if err := c.InvalidateTags(ctx, "t"); err != nil {
		t.Fatalf("InvalidateTags: %v", err)
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	log, err := testserver.Command(addr, "ACL", "LOG", "100")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprint(log), user) {
		t.Errorf("the server refused commands to the minimal user: %v", log)
	}
}

// A user without CONFIG GET still connects; each start-up check that needs
// it says once, at Info, that it was skipped and which grant enables it.
func TestDeniedStartupCheckIsLogged(t *testing.T) {
	addr := servers.Valkey(t).Addr()
	var rules []string
	for _, r := range minimalACL {
		if r != "+config|get" {
			rules = append(rules, r)
		}
	}
	user := aclUser(t, addr, rules)
	logs := &capturing{}
	newProvider(t, valkeystore.Config{Addrs: []string{addr}, Username: user, Password: "pw", Logger: slog.New(logs)})
	for _, check := range []string{"maxmemory-policy", "proto-max-bulk-len"} {
		want := "INFO valkeystore: start-up check of " + check + " skipped: the ACL user may not run CONFIG GET (grant +config|get to enable it)"
		if n := logs.count(want); n != 1 {
			t.Errorf("%d records %q, want 1; logged: %v", n, want, logs.msgs)
		}
	}
}
