package httpcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRFC9111_4_4_UnsafeMethodsInvalidate checks that a non-error answer
// to an unsafe request invalidates its target URI and the same-origin URIs
// of Location and Content-Location, and nothing when the answer is an
// error or the URI has another origin; the unsafe request itself always
// reaches the origin.
func TestRFC9111_4_4_UnsafeMethodsInvalidate(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodGet:
				w.Header().Set("Cache-Control", "max-age=60")
				_, _ = io.WriteString(w, r.URL.Path)
			case http.MethodPost:
				w.Header().Set("Location", "/created")
				w.Header().Set("Content-Location", "http://other.example/b")
				w.WriteHeader(http.StatusCreated)
			case http.MethodPut:
				w.Header().Set("Content-Location", "/b")
				w.WriteHeader(http.StatusNoContent)
			case http.MethodDelete:
				w.WriteHeader(http.StatusForbidden)
			}
		})
		f := newFront(t, k.open(t), o, Config{})
		for _, p := range []string{"/a", "/created", "/b"} {
			f.fetch(p)
			if !f.fetch(p).hit() {
				t.Fatalf("%s not stored", p)
			}
		}
		stillHits := func(path string, want bool) {
			t.Helper()
			if r := f.fetch(path); r.hit() != want {
				t.Fatalf("%s: hit %v, want %v", path, r.hit(), want)
			}
		}
		// An error answer invalidates nothing.
		f.settle()
		if r := f.do(http.MethodDelete, "/a"); r.status != http.StatusForbidden {
			t.Fatalf("DELETE: %d", r.status)
		}
		stillHits("/a", true)
		// POST /a: the target and Location; Content-Location names another
		// origin and is left alone.
		f.do(http.MethodPost, "/a")
		stillHits("/a", false)
		stillHits("/created", false)
		stillHits("/b", true)
		// PUT with a relative Content-Location.
		f.do(http.MethodPut, "/elsewhere")
		stillHits("/b", false)
		if got := f.cache.Stats().Invalidations; got != 4 {
			t.Fatalf("Stats().Invalidations = %d, want 4: the targets of POST and PUT, Location and Content-Location", got)
		}
	})
}

// TestTagsAndPurges checks that the tag field tags the stored response and
// is hidden from clients (or shown when configured), that Purge makes every
// response of a tag a miss, and that PurgeURL removes one URI with all its
// variants.
func TestTagsAndPurges(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=600")
			w.Header().Set("Vary", "Accept")
			w.Header().Set("Surrogate-Key", "all "+strings.TrimPrefix(r.URL.Path, "/"))
			_, _ = io.WriteString(w, r.URL.Path)
		})
		f := newFront(t, k.open(t), o, Config{})
		for _, p := range []string{"/p1", "/p2", "/p3"} {
			if r := f.fetch(p); r.header.Get("Surrogate-Key") != "" {
				t.Fatalf("the tag field reached the client: %v", r.header)
			}
			if r := f.fetch(p); !r.hit() || r.header.Get("Surrogate-Key") != "" {
				t.Fatalf("%s: hit %v, fields %v", p, r.hit(), r.header)
			}
		}
		ctx := context.Background()
		if err := f.cache.Purge(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
		if f.fetch("/p1").hit() || !f.fetch("/p2").hit() {
			t.Fatal("Purge(p1) did not invalidate exactly /p1")
		}
		f.fetch("/p2", "Accept", "text/html") // a second variant of /p2
		if err := f.cache.PurgeURL(ctx, f.srv.URL+"/p2"); err != nil {
			t.Fatal(err)
		}
		if f.fetch("/p2").hit() || f.fetch("/p2", "Accept", "text/html").hit() || !f.fetch("/p3").hit() {
			t.Fatal("PurgeURL(/p2) did not invalidate exactly /p2, both variants")
		}
		if err := f.cache.Purge(ctx, "all"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/p1", "/p2", "/p3"} {
			if f.fetch(p).hit() {
				t.Fatalf("%s survived Purge(all)", p)
			}
		}
		if err := f.cache.PurgeURL(ctx, "/relative"); !errors.Is(err, ErrInvalidURL) {
			t.Fatalf("PurgeURL of a relative URL: %v", err)
		}

		shown := newFront(t, k.open(t), o, Config{ExposeTagHeader: true, TagHeader: "X-Tags"})
		o.set(fixed(200, "x", "Cache-Control", "max-age=60", "X-Tags", "t1 t2"))
		shown.fetch("/s")
		if r := shown.fetch("/s"); !r.hit() || r.header.Get("X-Tags") != "t1 t2" {
			t.Fatalf("exposed tag field: %v", r.header)
		}
		if err := shown.cache.Purge(ctx, "t2"); err != nil {
			t.Fatal(err)
		}
		if shown.fetch("/s").hit() {
			t.Fatal("a configured tag field did not tag the response")
		}
	})
}

// TestPurgeAcrossInstances has two instances over one store, each with its
// own server, as two hosts of a fleet behind one name: a purge by tag or by
// URL made on one is seen by the other at once.
func TestPurgeAcrossInstances(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=600")
			w.Header().Set("Surrogate-Key", "shared "+strings.TrimPrefix(r.URL.Path, "/"))
			_, _ = io.WriteString(w, r.URL.Path)
		})
		ns := uniqueNamespace(t)
		a := newFront(t, k.open(t), o, Config{Namespace: ns})
		b := newFront(t, k.open(t), o, Config{Namespace: ns})
		a.host, b.host = "shop.example", "shop.example"
		var host []string
		a.fetch("/x", host...)
		a.fetch("/y", host...)
		a.fetch("/z", host...)
		for _, p := range []string{"/x", "/y", "/z"} {
			if !b.fetch(p, host...).hit() {
				t.Fatalf("%s: the second instance does not share the first one's responses", p)
			}
		}
		o.expectHits(t, 3)
		ctx := context.Background()
		if err := a.cache.Purge(ctx, "x"); err != nil {
			t.Fatal(err)
		}
		// Two-level copies of other instances are dropped by the server's
		// push, about one round trip after the purge returned.
		eventually(t, 20*time.Second, "a purge by tag reaches the other instance", func() bool { return !b.fetch("/x", host...).hit() })
		if err := b.cache.PurgeURL(ctx, "http://shop.example/y"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "a purge by URL reaches the other instance", func() bool { return !a.fetch("/y", host...).hit() })
		if !a.fetch("/z", host...).hit() || !b.fetch("/z", host...).hit() {
			t.Fatal("/z was purged too")
		}
		if err := b.cache.Purge(ctx, "shared"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "Purge(shared) reaches the other instance", func() bool { return !a.fetch("/z", host...).hit() })
	})
}
