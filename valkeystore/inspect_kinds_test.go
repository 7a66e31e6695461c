package valkeystore_test

import (
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
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/session"
	"github.com/valcache/valcache/valkeystore"
)

// newSession logs a user in through package session's middleware, as a web
// application would, and returns the session's id: the store then holds
// the session as a hash, and the user's generation as a version key.
func newSession(t *testing.T, m *session.Manager) string {
	t.Helper()
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
		t.Fatalf("no session cookie in %v", rec.Result().Header)
	}
	return id
}

// TestInspectListsEveryKindOfKey writes every kind of key valcache writes:
// entries, a session (a hash), tag and namespace versions, a lock, a rate
// limit and a search index, and lists them: nothing fails on a type it did
// not expect, each kind is counted under its namespace, and a session is
// shown with its fields.
func TestInspectListsEveryKindOfKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		prefix := fmt.Sprintf("kinds%d:", time.Now().UnixNano())
		p := newProvider(t, valkeystore.Config{Addrs: b.Addrs(t), KeyPrefix: prefix, IndexPrefix: prefix + "ix:"})
		ctx := t.Context()

		users, err := valcache.New(p, valcache.Options[int, string]{Namespace: "users", TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := users.SetWith(ctx, i, "value", valcache.SetOptions{Tags: []string{"team"}}); err != nil {
				t.Fatal(err)
			}
		}
		sessions, err := session.New(p, session.Config{Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		id := newSession(t, sessions)
		limits, err := ratelimit.New(p, ratelimit.Config{Namespace: "api", Limit: ratelimit.PerMinute(10)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := limits.Allow(ctx, "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		locks, err := lock.New(p, lock.Config{Namespace: "jobs"})
		if err != nil {
			t.Fatal(err)
		}
		lease, err := locks.TryAcquire(ctx, "nightly", lock.Options{TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = lease.Release(ctx) }()
		articles, err := valcache.New(p, valcache.Options[int, article]{Namespace: "articles", TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		x, err := search.New(articles, search.Schema[article]{})
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if err := x.Set(ctx, 1, articleFor(1)); err != nil {
			t.Fatal(err)
		}

		list, err := storeView(t, p).Namespaces(ctx)
		if err != nil {
			t.Fatalf("Namespaces with a session, a lock, a rate limit and an index present: %v", err)
		}
		got := map[string]sibling.NamespaceInfo{}
		for _, n := range list {
			got[n.Name] = n
			if n.MemoryBytes <= 0 {
				t.Errorf("%s: memory %d, want the keys' usage", n.Name, n.MemoryBytes)
			}
		}
		check := func(ns, what string, ok bool) {
			t.Helper()
			if !ok {
				t.Errorf("namespace %q: %+v; want %s", ns, got[ns], what)
			}
		}
		u := got["users"]
		check("users", "3 entries with their bytes and 1 tag", u.Entries == 3 && u.ValueBytes > 3*int64(len("value")) && u.Tags == 1 && u.FieldEntries == 0)
		s := got[session.DefaultNamespace]
		check(session.DefaultNamespace, "1 field entry of at least 5 fields, no other entry", s.FieldEntries == 1 && s.Fields >= 5 && s.Entries == 0)
		check(session.DefaultNamespace+".users", "the user's generation, a tag version", got[session.DefaultNamespace+".users"].Tags == 1)
		check("api", "1 rate limit", got["api"].RateLimits == 1)
		check("jobs", "1 lock (its fence counted with it)", got["jobs"].Locks == 1 && got["jobs"].Other == 0)
		a := got["articles"]
		check("articles", "1 entry and its index keys", a.Entries == 1 && a.IndexKeys > 0)

		e, err := storeView(t, p).Entry(ctx, session.DefaultNamespace, id)
		if err != nil {
			t.Fatalf("Entry of a session: %v", err)
		}
		if !e.Found || e.Type != "hash" || e.Value != nil || string(e.Fields["=theme"]) != "dark" || e.TTL <= 0 {
			t.Fatalf("session shown as %+v", e)
		}
		if e, err = storeView(t, p).Entry(ctx, "users", "1"); err != nil || e.Type != "string" || e.Value == nil || e.Fields != nil {
			t.Fatalf("an entry shown as %+v, %v", e, err)
		}
		if !strings.HasPrefix(e.Key, prefix) {
			t.Fatalf("entry key %q outside the prefix", e.Key)
		}
	})
}
