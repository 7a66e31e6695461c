package httpcache

import (
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestRFC9111_4_2_1_FreshnessLifetime checks the order of §4.2.1 for a
// shared cache: s-maxage over max-age over Expires, and that an invalid
// value makes the response stale.
func TestRFC9111_4_2_1_FreshnessLifetime(t *testing.T) {
	cases := []struct {
		name   string
		fields []string
		fresh  time.Duration // the response is fresh just before this, stale at it
	}{
		{"s-maxage over max-age", []string{"Cache-Control", "max-age=10, s-maxage=30"}, 30 * time.Second},
		{"max-age over Expires", []string{"Cache-Control", "max-age=20", "Expires", "Tue, 01 Jan 2030 12:10:00 GMT"}, 20 * time.Second},
		{"Expires minus Date", []string{"Expires", "Tue, 01 Jan 2030 12:00:40 GMT"}, 40 * time.Second},
		{"the first of two max-age", []string{"Cache-Control", "max-age=15", "Cache-Control", "max-age=99"}, 15 * time.Second},
		{"an invalid max-age is stale", []string{"Cache-Control", "max-age=soon"}, 0},
		{"an invalid Expires is stale", []string{"Expires", "0"}, 0},
	}
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				clk := newClock()
				o := newOrigin(t, clk, fixed(200, "x", tc.fields...))
				f := newFront(t, p, o, Config{})
				f.fetch("/f")
				if tc.fresh > 0 {
					clk.advance(tc.fresh - time.Second)
					if r := f.fetch("/f"); !r.hit() {
						t.Fatalf("stale %v before %v: %v", time.Second, tc.fresh, r.header)
					}
					clk.advance(time.Second)
				}
				if r := f.fetch("/f"); r.hit() {
					t.Fatalf("served from storage at %v: %v", tc.fresh, r.header)
				}
			})
		}
	})
}

// TestRFC9111_4_2_2_HeuristicFreshness checks that heuristics are off
// unless configured, then give the configured fraction of the time since
// Last-Modified, only to heuristically cacheable statuses or public
// responses, and never when an explicit expiry is there.
func TestRFC9111_4_2_2_HeuristicFreshness(t *testing.T) {
	lastModified := "Tue, 01 Jan 2030 11:00:00 GMT" // an hour before the clock's start
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		t.Run("off by default", func(t *testing.T) {
			o := newOrigin(t, newClock(), fixed(200, "x", "Last-Modified", lastModified))
			f := newFront(t, p, o, Config{})
			f.fetch("/h")
			if r := f.fetch("/h"); r.hit() || o.lastHeader().Get("If-Modified-Since") != lastModified {
				t.Fatalf("without heuristics: hit %v, validation %q", r.hit(), o.lastHeader().Get("If-Modified-Since"))
			}
		})
		t.Run("a tenth of the age of Last-Modified", func(t *testing.T) {
			clk := newClock()
			o := newOrigin(t, clk, fixed(200, "x", "Last-Modified", lastModified))
			f := newFront(t, p, o, Config{HeuristicFraction: 0.1})
			f.fetch("/h")
			clk.advance(5*time.Minute + 59*time.Second)
			if r := f.fetch("/h"); !r.hit() {
				t.Fatalf("not fresh within 6 minutes: %v", r.header)
			}
			clk.advance(time.Second)
			if r := f.fetch("/h"); r.hit() {
				t.Fatalf("fresh after 6 minutes: %v", r.header)
			}
		})
		t.Run("not for a status that is not heuristically cacheable", func(t *testing.T) {
			o := newOrigin(t, newClock(), fixed(302, "x", "Last-Modified", lastModified, "Location", "/elsewhere"))
			f := newFront(t, p, o, Config{HeuristicFraction: 0.1})
			f.fetch("/s")
			f.fetch("/s")
			o.expectHits(t, 2)
		})
		t.Run("for a public response of any status", func(t *testing.T) {
			o := newOrigin(t, newClock(), fixed(302, "x", "Last-Modified", lastModified, "Location", "/elsewhere", "Cache-Control", "public"))
			f := newFront(t, p, o, Config{HeuristicFraction: 0.1})
			f.fetch("/p")
			if r := f.fetch("/p"); !r.hit() {
				t.Fatalf("public response not given a heuristic lifetime: %v", r.header)
			}
		})
		t.Run("never with an explicit expiry", func(t *testing.T) {
			o := newOrigin(t, newClock(), fixed(200, "x", "Last-Modified", lastModified, "Cache-Control", "max-age=0"))
			f := newFront(t, p, o, Config{HeuristicFraction: 0.1})
			f.fetch("/e")
			if r := f.fetch("/e"); r.hit() {
				t.Fatalf("max-age=0 given a heuristic lifetime: %v", r.header)
			}
		})
	})
}

// TestRFC9111_4_2_3_Age checks current_age: the origin's Age, plus the
// time the response took to arrive, plus the time it has been stored; a
// Date in the past counts too (apparent_age), and the Age sent replaces
// the origin's.
func TestRFC9111_4_2_3_Age(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		t.Run("Age field and resident time", func(t *testing.T) {
			clk := newClock()
			o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=100")
				w.Header().Set("Age", "30")
				clk.advance(2 * time.Second) // the response takes 2 s to arrive
				_, _ = io.WriteString(w, "x")
			})
			f := newFront(t, p, o, Config{})
			f.fetch("/a")
			clk.advance(10 * time.Second)
			r := f.fetch("/a")
			if !r.hit() || r.header.Get("Age") != "42" {
				t.Fatalf("Age %q (hit %v), want 30 + 2 + 10 = 42", r.header.Get("Age"), r.hit())
			}
			if ttl := "ttl=58"; !contains(r.header.Get("Cache-Status"), ttl) {
				t.Fatalf("Cache-Status %q, want %s", r.header.Get("Cache-Status"), ttl)
			}
			clk.advance(58 * time.Second) // age 100: stale
			if r := f.fetch("/a"); r.hit() {
				t.Fatalf("served at age 100 of max-age=100: %v", r.header)
			}
		})
		t.Run("apparent age from Date", func(t *testing.T) {
			clk := newClock()
			o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=100")
				w.Header().Set("Date", clk.now().Add(-25*time.Second).UTC().Format(http.TimeFormat))
				_, _ = io.WriteString(w, "x")
			})
			f := newFront(t, p, o, Config{})
			f.fetch("/d")
			clk.advance(5 * time.Second)
			if r := f.fetch("/d"); r.header.Get("Age") != "30" {
				t.Fatalf("Age %q, want 25 + 5 = 30", r.header.Get("Age"))
			}
		})
	})
}

// TestRFC9111_4_2_4_StaleIsServedOnlyWhenAllowed checks that a stale
// response is never served without validation unless something allows it,
// and that must-revalidate, proxy-revalidate and s-maxage forbid it even
// then: with the origin down, the client gets a 504.
func TestRFC9111_4_2_4_StaleIsServedOnlyWhenAllowed(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		for _, tc := range []struct {
			cc    string
			stale bool
		}{
			{"max-age=10", true},
			{"max-age=10, must-revalidate", false},
			{"max-age=10, proxy-revalidate", false},
			{"s-maxage=10", false},
		} {
			t.Run(tc.cc, func(t *testing.T) {
				clk := newClock()
				o := newOrigin(t, clk, fixed(200, "x", "Cache-Control", tc.cc))
				f := newFront(t, p, o, Config{StaleIfError: time.Minute})
				f.fetch("/s")
				clk.advance(20 * time.Second)
				o.Close() // the origin is down
				// A request that accepts any staleness.
				if r := f.fetch("/s", "Cache-Control", "max-stale"); r.hit() != tc.stale {
					t.Fatalf("max-stale request: hit %v, want %v (%d %v)", r.hit(), tc.stale, r.status, r.header)
				}
				// stale-if-error, configured for the origin's failures.
				r := f.fetch("/s")
				if tc.stale {
					r.expect(t, 200, "x")
					return
				}
				if r.status != http.StatusGatewayTimeout {
					t.Fatalf("must not be served stale, got %d %v", r.status, r.header)
				}
			})
		}
	})
}

// TestRFC9111_4_1_Vary checks secondary keys: a response that varies is
// used only for requests whose nominated fields match (after the
// normalisations §4.1 allows), an absent field matches only an absent one,
// each variant is stored apart, and Vary: * is never served.
func TestRFC9111_4_1_Vary(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Vary", "Accept-Encoding, Accept-Language")
			_, _ = io.WriteString(w, "enc="+r.Header.Get("Accept-Encoding")+" lang="+r.Header.Get("Accept-Language"))
		})
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/v", "Accept-Encoding", "gzip, br", "Accept-Language", "fr").expect(t, 200, "enc=gzip, br lang=fr")
		f.fetch("/v", "Accept-Encoding", "br").expect(t, 200, "enc=br lang=")
		o.expectHits(t, 2)
		// Whitespace, case and line splits of list fields do not matter.
		r := f.fetch("/v", "Accept-Encoding", "GZIP,br", "Accept-Language", "FR")
		r.expect(t, 200, "enc=gzip, br lang=fr")
		if !r.hit() {
			t.Fatalf("normalised selection missed: %v", r.header)
		}
		if r := f.fetch("/v", "Accept-Encoding", "br"); !r.hit() || r.body != "enc=br lang=" {
			t.Fatalf("second variant: %v %q", r.header, r.body)
		}
		// An absent field matches only an absent one.
		f.fetch("/v", "Accept-Encoding", "br", "Accept-Language", "de").expect(t, 200, "enc=br lang=de")
		o.expectHits(t, 3)
		if r := f.fetch("/v", "Accept-Language", "de"); r.hit() {
			t.Fatalf("a request without Accept-Encoding matched one with it: %v", r.header)
		}
		o.expectHits(t, 4)

		star := newOrigin(t, clk, fixed(200, "x", "Cache-Control", "max-age=60", "Vary", "*"))
		g := newFront(t, k.open(t), star, Config{})
		g.fetch("/star")
		if r := g.fetch("/star"); r.hit() {
			t.Fatalf("Vary: * served from storage: %v", r.header)
		}
	})
}

// TestRFC9111_4_1_VaryChangesAreFollowed checks that when the origin
// changes what a URI varies on, the new spec replaces the old one.
func TestRFC9111_4_1_VaryChangesAreFollowed(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		clk := newClock()
		varying := func(vary string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=10")
				w.Header().Set("Vary", vary)
				_, _ = io.WriteString(w, vary+":"+r.Header.Get(vary))
			}
		}
		o := newOrigin(t, clk, varying("Accept"))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/c", "Accept", "a", "X-Mode", "m").expect(t, 200, "Accept:a")
		clk.advance(11 * time.Second)
		o.set(varying("X-Mode"))
		f.fetch("/c", "Accept", "a", "X-Mode", "m").expect(t, 200, "X-Mode:m")
		if r := f.fetch("/c", "Accept", "other", "X-Mode", "m"); !r.hit() || r.body != "X-Mode:m" {
			t.Fatalf("variant under the new spec: %v %q", r.header, r.body)
		}
	})
}

// TestRFC9111_5_2_1_RequestDirectives checks max-age, min-fresh,
// max-stale, no-cache, no-store and only-if-cached in requests.
func TestRFC9111_5_2_1_RequestDirectives(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		setup := func(t *testing.T) (*front, *clock) {
			clk := newClock()
			o := newOrigin(t, clk, fixed(200, "x", "Cache-Control", "max-age=60", "ETag", `"e"`))
			f := newFront(t, p, o, Config{})
			f.fetch("/d")
			clk.advance(30 * time.Second) // age 30, 30 s of freshness left
			return f, clk
		}
		t.Run("max-age", func(t *testing.T) {
			f, _ := setup(t)
			if r := f.fetch("/d", "Cache-Control", "max-age=40"); !r.hit() {
				t.Fatalf("age 30 within max-age=40: %v", r.header)
			}
			if r := f.fetch("/d", "Cache-Control", "max-age=20"); r.hit() || !contains(r.header.Get("Cache-Status"), "fwd=request") {
				t.Fatalf("age 30 beyond max-age=20: %v", r.header)
			}
		})
		t.Run("min-fresh", func(t *testing.T) {
			f, _ := setup(t)
			if r := f.fetch("/d", "Cache-Control", "min-fresh=20"); !r.hit() {
				t.Fatalf("30 s left, min-fresh=20: %v", r.header)
			}
			if r := f.fetch("/d", "Cache-Control", "min-fresh=40"); r.hit() {
				t.Fatalf("30 s left, min-fresh=40: %v", r.header)
			}
		})
		t.Run("max-stale", func(t *testing.T) {
			f, clk := setup(t)
			clk.advance(40 * time.Second) // 10 s stale
			if r := f.fetch("/d", "Cache-Control", "max-stale=15"); !r.hit() || r.header.Get("Age") != "70" {
				t.Fatalf("10 s stale, max-stale=15: %v", r.header)
			}
			if r := f.fetch("/d", "Cache-Control", "max-stale=5"); r.hit() {
				t.Fatalf("10 s stale, max-stale=5: %v", r.header)
			}
		})
		t.Run("no-cache", func(t *testing.T) {
			f, _ := setup(t)
			r := f.fetch("/d", "Cache-Control", "no-cache")
			if r.hit() || f.origin.lastHeader().Get("If-None-Match") != `"e"` {
				t.Fatalf("no-cache: hit %v, validation %q", r.hit(), f.origin.lastHeader().Get("If-None-Match"))
			}
			f.origin.expectHits(t, 2)
		})
		t.Run("no-store", func(t *testing.T) {
			clk := newClock()
			var count atomic.Int64
			o := newOrigin(t, clk, func(w http.ResponseWriter, r *http.Request) {
				n := strconv.FormatInt(count.Add(1), 10)
				w.Header().Set("Cache-Control", "max-age=60")
				w.Header().Set("ETag", `"`+n+`"`)
				_, _ = io.WriteString(w, n)
			})
			f := newFront(t, p, o, Config{})
			f.fetch("/ns", "Cache-Control", "no-store").expect(t, 200, "1")
			f.fetch("/ns").expect(t, 200, "2") // nothing was stored
			// A stored response may answer a no-store request.
			if r := f.fetch("/ns", "Cache-Control", "no-store"); !r.hit() || r.body != "2" {
				t.Fatalf("no-store request not answered from storage: %v %q", r.header, r.body)
			}
			// Its validation does not freshen what is stored.
			o.set(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=60")
				w.Header().Set("ETag", r.Header.Get("If-None-Match"))
				w.WriteHeader(http.StatusNotModified)
			})
			clk.advance(61 * time.Second)
			f.fetch("/ns", "Cache-Control", "no-store").expect(t, 200, "2")
			if r := f.fetch("/ns"); r.hit() {
				t.Fatalf("a no-store request's 304 freshened the stored response: %v", r.header)
			}
		})
		t.Run("only-if-cached", func(t *testing.T) {
			f, _ := setup(t)
			if r := f.fetch("/d", "Cache-Control", "only-if-cached"); !r.hit() {
				t.Fatalf("stored: %v", r.header)
			}
			r := f.fetch("/other", "Cache-Control", "only-if-cached")
			if r.status != http.StatusGatewayTimeout {
				t.Fatalf("not stored: %d", r.status)
			}
			f.origin.expectHits(t, 1)
		})
	})
}

// TestRFC9111_5_2_2_ResponseNoCache checks that an unqualified no-cache
// response is validated before every reuse, and that a qualified one is
// reused without the fields it names.
func TestRFC9111_5_2_2_ResponseNoCache(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		p := k.open(t)
		t.Run("unqualified", func(t *testing.T) {
			o := newOrigin(t, newClock(), fixed(200, "x", "Cache-Control", "no-cache, max-age=60", "ETag", `"n"`))
			f := newFront(t, p, o, Config{})
			f.fetch("/n")
			o.set(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("If-None-Match") != `"n"` {
					t.Errorf("reused without a validation: %v", r.Header)
				}
				w.Header().Set("ETag", `"n"`)
				w.WriteHeader(http.StatusNotModified)
			})
			r := f.fetch("/n")
			r.expect(t, 200, "x")
			if !contains(r.header.Get("Cache-Status"), "fwd-status=304") {
				t.Fatalf("Cache-Status %q", r.header.Get("Cache-Status"))
			}
			o.expectHits(t, 2)
		})
		t.Run("qualified", func(t *testing.T) {
			o := newOrigin(t, newClock(), fixed(200, "x", "Cache-Control", `no-cache="X-Secret", max-age=60`, "X-Secret", "s", "X-Open", "o"))
			f := newFront(t, p, o, Config{})
			f.fetch("/q")
			r := f.fetch("/q")
			if !r.hit() || r.header.Get("X-Secret") != "" || r.header.Get("X-Open") != "o" {
				t.Fatalf("qualified no-cache: %v", r.header)
			}
		})
	})
}

// TestRFC9111_5_4_PragmaNoCache checks that Pragma: no-cache acts as
// Cache-Control: no-cache in a request without Cache-Control, and is
// ignored in one with it.
func TestRFC9111_5_4_PragmaNoCache(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		o := newOrigin(t, newClock(), fixed(200, "x", "Cache-Control", "max-age=60"))
		f := newFront(t, k.open(t), o, Config{})
		f.fetch("/p")
		if r := f.fetch("/p", "Pragma", "no-cache"); r.hit() {
			t.Fatalf("Pragma: no-cache answered from storage: %v", r.header)
		}
		if r := f.fetch("/p", "Pragma", "no-cache", "Cache-Control", "max-age=100"); !r.hit() {
			t.Fatalf("Pragma with Cache-Control not ignored: %v", r.header)
		}
		o.expectHits(t, 2)
	})
}
