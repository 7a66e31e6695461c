package httpcache

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// TestCacheKeyNormalisation checks that URIs RFC 9110 §4.2.3 says are
// equivalent share one stored response, and that others do not.
func TestCacheKeyNormalisation(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			_, _ = io.WriteString(w, r.URL.RequestURI())
		})
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/a~b/c?x=%2f", "Host", "shop.example")
		for _, same := range [][]string{
			{"/a%7Eb/c?x=%2F", "Shop.Example"},
			{"/a%7eb/c?x=%2f", "shop.example:80"},
		} {
			if r := f.fetch(same[0], "Host", same[1]); !r.hit() {
				t.Fatalf("%s on %s is a different key: %v", same[0], same[1], r.header)
			}
		}
		for _, other := range []string{"/a~b/c?x=%2fy", "/a~b/c", "/A~b/c?x=%2f", "/a~b/c/?x=%2f"} {
			if r := f.fetch(other, "Host", "shop.example"); r.hit() {
				t.Fatalf("%s shares the key of /a~b/c?x=%%2f", other)
			}
		}
		if r := f.fetch("/a~b/c?x=%2f", "Host", "other.example"); r.hit() {
			t.Fatal("another host shares the key")
		}
	})
}

// TestCacheKeyPartitions checks Config.Key: requests of two partitions
// never share a stored response, and a failing Key bypasses the cache.
func TestCacheKeyPartitions(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			_, _ = io.WriteString(w, "for "+r.Header.Get("X-Tenant"))
		})
		f := newFront(t, k.open(t), o, Config{Key: func(r *http.Request) (string, error) {
			tenant := r.Header.Get("X-Tenant")
			if tenant == "bad" {
				return "", errors.New("no such tenant")
			}
			return tenant, nil
		}})
		f.fetch("/p", "X-Tenant", "a").expect(t, 200, "for a")
		f.fetch("/p", "X-Tenant", "b").expect(t, 200, "for b")
		if r := f.fetch("/p", "X-Tenant", "a"); !r.hit() || r.body != "for a" {
			t.Fatalf("tenant a: %v %q", r.header, r.body)
		}
		if r := f.fetch("/p", "X-Tenant", "b"); !r.hit() || r.body != "for b" {
			t.Fatalf("tenant b: %v %q", r.header, r.body)
		}
		f.fetch("/p", "X-Tenant", "bad")
		if r := f.fetch("/p", "X-Tenant", "bad"); r.hit() || !contains(r.header.Get("Cache-Status"), "fwd=bypass") {
			t.Fatalf("a failing Key: %v", r.header)
		}
		o.expectHits(t, 4)
	})
}

// TestCacheKeysAreInjective checks that no partition and URI can make
// another's key.
func TestCacheKeysAreInjective(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	keys := map[string]string{}
	for _, tc := range []struct{ partition, path string }{
		{"", "/a"}, {"a", "/"}, {"0:", "/a"}, {"1:aGET http://h/", "x"}, {"a", "/b"}, {"aG", "/b"},
	} {
		k := keyOf(tc.partition, "http", "h", u(tc.path))
		if prior, dup := keys[k]; dup {
			t.Fatalf("partition %q path %q gives the key of %s", tc.partition, tc.path, prior)
		}
		keys[k] = tc.partition + " " + tc.path
	}
	a := variantKey("k", "g", []string{"a,b", "c"})
	b := variantKey("k", "g", []string{"a", "b,c"})
	if a == b || variantKey("k", "g", []string{absentField}) == variantKey("k", "g", []string{""}) {
		t.Fatal("two selections give one variant key")
	}
}
