package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// storeCase is a response, the request that gets it, and whether a second,
// plain request is answered from storage.
type storeCase struct {
	name   string
	status int
	fields []string // response fields
	req    []string // fields of the first request
	cfg    Config
	stored bool
}

func runStoreCases(t *testing.T, cases []storeCase) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				clk := newClock()
				o := newOrigin(t, clk, fixed(tc.status, "body", tc.fields...))
				f := newFront(t, p, o, tc.cfg)
				f.fetch("/r", tc.req...).expect(t, tc.status, "body")
				second := f.fetch("/r")
				second.expect(t, tc.status, "body")
				if second.hit() != tc.stored {
					t.Fatalf("second request: Cache-Status %q; stored = %v, want %v", second.header.Get("Cache-Status"), second.hit(), tc.stored)
				}
				want := int64(2)
				if tc.stored {
					want = 1
				}
				o.expectHits(t, want)
			})
		}
	})
}

// TestRFC9111_3_StoringResponses checks each condition of §3 under which a
// shared cache may store a response, and this cache's policies beside
// them (cookies, Vary: *, partial content).
func TestRFC9111_3_StoringResponses(t *testing.T) {
	runStoreCases(t, []storeCase{
		{name: "max-age", status: 200, fields: []string{"Cache-Control", "max-age=60"}, stored: true},
		{name: "Expires", status: 200, fields: []string{"Expires", "Tue, 01 Jan 2030 12:01:00 GMT"}, stored: true},
		{name: "s-maxage", status: 200, fields: []string{"Cache-Control", "s-maxage=60"}, stored: true},
		{name: "response no-store", status: 200, fields: []string{"Cache-Control", "no-store, max-age=60"}},
		{name: "request no-store", status: 200, fields: []string{"Cache-Control", "max-age=60"}, req: []string{"Cache-Control", "no-store"}},
		{name: "private", status: 200, fields: []string{"Cache-Control", "private, max-age=60"}},
		{name: "status with explicit freshness", status: 500, fields: []string{"Cache-Control", "max-age=60"}, stored: true},
		{name: "status without freshness information", status: 500},
		{name: "partial content", status: 206, fields: []string{"Cache-Control", "max-age=60", "Content-Range", "bytes 0-3/10"}},
		{name: "must-understand with an understood status overrides no-store", status: 200,
			fields: []string{"Cache-Control", "must-understand, no-store, max-age=60"}, stored: true},
		{name: "must-understand with a status not understood", status: 299, fields: []string{"Cache-Control", "must-understand, max-age=60"}},
		{name: "Vary star", status: 200, fields: []string{"Cache-Control", "max-age=60", "Vary", "*"}},
		{name: "Set-Cookie by default", status: 200, fields: []string{"Cache-Control", "max-age=60", "Set-Cookie", "id=1"}},
		{name: "Set-Cookie stripped", status: 200, fields: []string{"Cache-Control", "max-age=60", "Set-Cookie", "id=1"}, cfg: Config{SetCookie: StripSetCookie}, stored: true},
		{name: "Set-Cookie named by private", status: 200, fields: []string{"Cache-Control", `private="Set-Cookie", max-age=60`, "Set-Cookie", "id=1"}, stored: true},
	})
}

// TestRFC9111_3_SetCookieIsNeverReplayedUnlessConfigured checks what the
// other clients see of a stored response that set a cookie.
func TestRFC9111_3_SetCookieIsNeverReplayedUnlessConfigured(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		for _, tc := range []struct {
			policy SetCookiePolicy
			replay bool
		}{{StripSetCookie, false}, {StoreSetCookie, true}} {
			o := newOrigin(t, newClock(), fixed(200, "body", "Cache-Control", "max-age=60", "Set-Cookie", "id=1"))
			f := newFront(t, p, o, Config{SetCookie: tc.policy})
			if first := f.fetch("/c"); first.header.Get("Set-Cookie") != "id=1" {
				t.Fatalf("policy %d: the client that asked did not get its cookie: %v", tc.policy, first.header)
			}
			hit := f.fetch("/c")
			if !hit.hit() || (hit.header.Get("Set-Cookie") != "") != tc.replay {
				t.Fatalf("policy %d: hit %v, Set-Cookie %q", tc.policy, hit.hit(), hit.header.Get("Set-Cookie"))
			}
		}
	})
}

// TestRFC9111_3_1_HopByHopFieldsAreNotStored checks that the fields of one
// connection (and those Connection names) are not part of what is stored,
// and that a qualified private directive's fields are left out (§5.2.2.7).
func TestRFC9111_3_1_HopByHopFieldsAreNotStored(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), fixed(200, "body",
			"Cache-Control", `max-age=60, private="X-User"`, "Connection", "X-Hop", "X-Hop", "1",
			"Keep-Alive", "timeout=5", "Proxy-Authenticate", "Basic", "X-User", "ada", "X-Kept", "1"))
		f := newMiddlewareFront(t, k.open(t), o, Config{})
		f.fetch("/h")
		hit := f.fetch("/h")
		if !hit.hit() {
			t.Fatalf("not a hit: %v", hit.header)
		}
		for _, gone := range []string{"X-Hop", "Keep-Alive", "Proxy-Authenticate", "X-User"} {
			if v := hit.header.Get(gone); v != "" {
				t.Errorf("%s: %q served from storage", gone, v)
			}
		}
		if hit.header.Get("X-Kept") != "1" {
			t.Errorf("X-Kept lost: %v", hit.header)
		}
	})
}

// TestRFC9111_3_5_AuthorizationNeedsExplicitPermission checks that a
// response to a request with credentials is stored only when a directive
// allows a shared cache to: public, s-maxage or must-revalidate.
func TestRFC9111_3_5_AuthorizationNeedsExplicitPermission(t *testing.T) {
	auth := []string{"Authorization", "Bearer secret"}
	runStoreCases(t, []storeCase{
		{name: "max-age alone", status: 200, fields: []string{"Cache-Control", "max-age=60"}, req: auth},
		{name: "public", status: 200, fields: []string{"Cache-Control", "public, max-age=60"}, req: auth, stored: true},
		{name: "s-maxage", status: 200, fields: []string{"Cache-Control", "s-maxage=60"}, req: auth, stored: true},
		{name: "must-revalidate", status: 200, fields: []string{"Cache-Control", "must-revalidate, max-age=60"}, req: auth, stored: true},
	})
}

// TestRFC9111_3_2_ValidationUpdatesStoredFields checks that a 304 replaces
// the stored fields it carries and keeps the stored body and its length.
func TestRFC9111_3_2_ValidationUpdatesStoredFields(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, fixed(200, "version one", "Cache-Control", "max-age=10", "ETag", `"v1"`, "X-Version", "1"))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/u")
		clk.advance(11 * time.Second)
		o.set(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != `"v1"` {
				t.Errorf("validation without If-None-Match: %v", r.Header)
			}
			w.Header().Set("Cache-Control", "max-age=30")
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("X-Version", "2")
			w.WriteHeader(http.StatusNotModified)
		})
		got := f.fetch("/u")
		got.expect(t, 200, "version one")
		if got.header.Get("X-Version") != "2" || got.header.Get("Content-Length") != "11" {
			t.Fatalf("freshened response: %v", got.header)
		}
		clk.advance(20 * time.Second) // within the new max-age=30
		hit := f.fetch("/u")
		hit.expect(t, 200, "version one")
		if !hit.hit() || hit.header.Get("X-Version") != "2" || hit.header.Get("Age") != "20" {
			t.Fatalf("after the 304: %v", hit.header)
		}
		o.expectHits(t, 2)
	})
}
