package scsstore_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/storage"
	"github.com/valcache/valcache/storage/scsstore"
	"github.com/valcache/valcache/valkeystore"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

func forEachBackend(t *testing.T, run func(t *testing.T, s *storage.ProviderStorage)) {
	t.Run("Memory", func(t *testing.T) {
		p, err := memory.New(memory.Config{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := storage.New(p, storage.Options{Prefix: "scs", CloseProvider: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		run(t, s)
	})
	for _, b := range []struct {
		name  string
		addrs func(t *testing.T) []string
	}{
		{"ValkeySingle", func(t *testing.T) []string { return []string{servers.Valkey(t).Addr()} }},
		{"ValkeyCluster", func(t *testing.T) []string { return servers.Cluster(t).Addrs() }},
	} {
		t.Run(b.name, func(t *testing.T) {
			p, err := valkeystore.New(t.Context(), valkeystore.Config{Addrs: b.addrs(t)})
			if err != nil {
				t.Fatal(err)
			}
			s, err := storage.New(p, storage.Options{Prefix: "scs-" + t.Name(), CloseProvider: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			run(t, s)
		})
	}
}

func TestStoreContract(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *storage.ProviderStorage) {
		st := scsstore.New(s)
		if _, found, err := st.Find("absent"); found || err != nil {
			t.Fatalf("Find of a missing token: found %v, err %v", found, err)
		}
		if err := st.Commit("tok1", []byte("data1"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := st.CommitCtx(t.Context(), "tok2", []byte("data2"), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		b, found, err := st.FindCtx(t.Context(), "tok1")
		if err != nil || !found || string(b) != "data1" {
			t.Fatalf("Find = %q, %v, %v", b, found, err)
		}
		all, err := st.All()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || string(all["tok1"]) != "data1" || string(all["tok2"]) != "data2" {
			t.Fatalf("All = %q", all)
		}
		// An expiry in the past removes the session.
		if err := st.Commit("tok2", []byte("late"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := st.Find("tok2"); found {
			t.Fatal("a session committed with a past expiry is still found")
		}
		if err := st.Delete("tok1"); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := st.Find("tok1"); found {
			t.Fatal("deleted session still found")
		}
		if err := st.Delete("tok1"); err != nil {
			t.Fatalf("Delete of a missing token: %v", err)
		}
		all, err = st.AllCtx(t.Context())
		if err != nil || len(all) != 0 {
			t.Fatalf("All after deleting everything = %q, %v; want empty", all, err)
		}
		if err := st.Commit("short", []byte("x"), time.Now().Add(150*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for _, found, _ := st.Find("short"); found; _, found, _ = st.Find("short") {
			if time.Now().After(deadline) {
				t.Fatal("session still found 20s after its expiry")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestSessionManager drives scs itself over HTTP: a value put by one request
// is read by the next, through the store.
func TestSessionManager(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *storage.ProviderStorage) {
		sm := scs.New()
		sm.Store = scsstore.New(s)
		sm.Lifetime = time.Minute
		mux := http.NewServeMux()
		mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), "greeting", r.URL.Query().Get("v"))
		})
		mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, sm.GetString(r.Context(), "greeting"))
		})
		srv := httptest.NewServer(sm.LoadAndSave(mux))
		defer srv.Close()
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		get := func(path string) string {
			t.Helper()
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s", path, resp.Status)
			}
			return string(b)
		}
		get("/put?v=hello")
		if got := get("/get"); got != "hello" {
			t.Fatalf("session value read back = %q, want hello", got)
		}
		keys, err := s.Keys(t.Context())
		if err != nil || len(keys) != 1 {
			t.Fatalf("stored sessions = %q, %v; want one", keys, err)
		}
	})
}
