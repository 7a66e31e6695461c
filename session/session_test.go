package session_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/session"
)

func TestValuesPersistAndCookieIsLockedDown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		b := a.browser(t)
		if got := b.get("/get?k=colour"); got != "" {
			t.Fatalf("fresh session has colour %q", got)
		}
		if b.cookie(session.DefaultCookieName) != "" {
			t.Fatal("a cookie was set before anything was written")
		}
		resp, err := b.c.Get(a.srv.URL + "/set?k=colour&v=blue")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		setCookie := resp.Header.Get("Set-Cookie")
		for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(setCookie, want) {
				t.Fatalf("Set-Cookie %q lacks %s", setCookie, want)
			}
		}
		id := b.cookie(session.DefaultCookieName)
		if len(id) != 43 { // 256 bits, base64url without padding
			t.Fatalf("session id %q has %d characters, want 43", id, len(id))
		}
		if got := b.get("/get?k=colour"); got != "blue" {
			t.Fatalf("colour = %q, want blue", got)
		}
		b.get("/set?k=size&v=xl")
		if b.cookie(session.DefaultCookieName) != id {
			t.Fatal("a write to an existing session changed its id")
		}
		if got := b.get("/get?k=colour") + "/" + b.get("/get?k=size"); got != "blue/xl" {
			t.Fatalf("values = %q", got)
		}
		if other := a.browser(t); other.get("/get?k=colour") != "" {
			t.Fatal("another browser sees the session")
		}
	})
}

func TestForgedIdsAreNotLookedUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		b := a.browser(t)
		planted := strings.Repeat("A", 43) // well formed, never issued
		for _, forged := range []string{"../../etc", "x", planted} {
			b.setCookie(session.DefaultCookieName, forged)
			b.get("/set?k=k&v=v")
			if got := b.cookie(session.DefaultCookieName); got == forged || len(got) != 43 {
				t.Fatalf("after a forged cookie %q the session id is %q, want a fresh one", forged, got)
			}
		}
	})
}

// TestLoginRenewsTheIdAgainstFixation plays an attacker who plants a
// session id of his own in the victim's browser before the victim logs in.
func TestLoginRenewsTheIdAgainstFixation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		attacker := a.browser(t)
		attacker.get("/set?k=cart&v=1")
		planted := attacker.cookie(session.DefaultCookieName)

		victim := a.browser(t)
		victim.setCookie(session.DefaultCookieName, planted)
		if got := victim.get("/get?k=cart"); got != "1" {
			t.Fatalf("the planted session was not in use before login (cart %q)", got)
		}
		victim.get("/login?u=victim")
		renewed := victim.cookie(session.DefaultCookieName)
		if renewed == planted || len(renewed) != 43 {
			t.Fatalf("login kept the id %q", renewed)
		}
		if got := victim.get("/whoami"); got != "victim" {
			t.Fatalf("whoami = %q after login", got)
		}
		if got := victim.get("/get?k=cart"); got != "1" {
			t.Fatalf("login lost the session's data (cart %q)", got)
		}
		// The attacker's id is dead: no user, no data.
		if got := attacker.get("/whoami"); got != "" {
			t.Fatalf("the planted id is logged in as %q", got)
		}
		if got := attacker.get("/get?k=cart"); got != "" {
			t.Fatalf("the planted id still holds data %q", got)
		}
		// Renew changes the id again and keeps the user.
		victim.get("/renew")
		if victim.cookie(session.DefaultCookieName) == renewed || victim.get("/whoami") != "victim" {
			t.Fatal("Renew kept the id or lost the user")
		}
	})
}

func TestDestroyEndsTheSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		b := a.browser(t)
		b.get("/login?u=ann")
		id := b.cookie(session.DefaultCookieName)
		b.get("/logout")
		if b.cookie(session.DefaultCookieName) != "" {
			t.Fatal("logout left the cookie")
		}
		replay := a.browser(t)
		replay.setCookie(session.DefaultCookieName, id)
		if got := replay.get("/whoami"); got != "" {
			t.Fatalf("a logged-out id still answers as %q", got)
		}
	})
}

func TestIdleTimeoutSlides(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{IdleTimeout: time.Second, TouchInterval: 100 * time.Millisecond})
		b := a.browser(t)
		b.get("/set?k=k&v=alive")
		// Requests every 150 ms keep it alive well past one idle timeout.
		start := time.Now()
		for time.Since(start) < 2500*time.Millisecond {
			if got := b.get("/get?k=k"); got != "alive" {
				t.Fatalf("active session lost after %v", time.Since(start))
			}
			time.Sleep(150 * time.Millisecond)
		}
		time.Sleep(1500 * time.Millisecond)
		if got := b.get("/get?k=k"); got != "" {
			t.Fatalf("session idle for 1.5s (timeout 1s) still holds %q", got)
		}
	})
}

func TestAbsoluteTimeoutEndsAnActiveSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{IdleTimeout: time.Second, AbsoluteTimeout: 1200 * time.Millisecond, TouchInterval: 50 * time.Millisecond})
		b := a.browser(t)
		// Taken before the session is made: on a busy machine the request
		// that makes it may take a while, and the lifetime must not be
		// measured short by that.
		start := time.Now()
		b.get("/set?k=k&v=alive")
		deadline := start.Add(10 * time.Second)
		for b.get("/get?k=k") == "alive" {
			if time.Now().After(deadline) {
				t.Fatal("an active session outlived its absolute timeout by seconds")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if lived := time.Since(start); lived < 900*time.Millisecond {
			t.Fatalf("session ended after %v, before its absolute timeout", lived)
		}
	})
}

// TestActivityIsNotAWriteOnEveryRequest counts the store writes of many
// reads of a session.
func TestActivityIsNotAWriteOnEveryRequest(t *testing.T) {
	p := &countingFields{Provider: newMemory(t)}
	a := newApp(t, p, session.Config{IdleTimeout: time.Hour})
	b := a.browser(t)
	b.get("/set?k=k&v=v")
	before := p.writes.Load()
	for range 20 {
		b.get("/get?k=k")
	}
	if n := p.writes.Load() - before; n != 0 {
		t.Fatalf("20 reads within the touch interval made %d writes, want 0", n)
	}
}

// TestConcurrentWritesOfDifferentKeysBothPersist loads one session in two
// requests at once, then lets both write a key of their own: neither may
// erase the other's, as a write-back of the whole session would.
func TestConcurrentWritesOfDifferentKeysBothPersist(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		b := a.browser(t)
		b.get("/set?k=start&v=1")
		for round := range 5 {
			arrived := sync.WaitGroup{}
			arrived.Add(2)
			a.hold = func() { arrived.Done(); arrived.Wait() }
			var wg sync.WaitGroup
			for _, kv := range []string{"k=left&v=L", "k=right&v=R"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b.get("/hold-set?" + kv + string(rune('0'+round)))
				}()
			}
			wg.Wait()
			if got := b.get("/get?k=left") + b.get("/get?k=right"); got != "L"+string(rune('0'+round))+"R"+string(rune('0'+round)) {
				t.Fatalf("round %d: left+right = %q: a concurrent write was lost", round, got)
			}
		}
	})
}

// TestWriteToASessionEndedElsewhereFails keeps a request's session loaded
// while another request logs out, then writes: the write must fail rather
// than bring the session back.
func TestWriteToASessionEndedElsewhereFails(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		b := a.browser(t)
		b.get("/login?u=ann")
		loaded, release := make(chan struct{}), make(chan struct{})
		a.hold = func() { close(loaded); <-release }
		done := make(chan int)
		go func() {
			_, status := b.try("/hold-set?k=late&v=1")
			done <- status
		}()
		<-loaded
		other := a.browser(t)
		other.setCookie(session.DefaultCookieName, b.cookie(session.DefaultCookieName))
		other.get("/logout")
		close(release)
		if status := <-done; status != http.StatusConflict {
			t.Fatalf("write to a logged-out session answered %d, want 409 (ErrEnded)", status)
		}
		if got := b.get("/whoami"); got != "" {
			t.Fatalf("the logged-out session came back as %q", got)
		}
	})
}

func TestLogoutEverywhere(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		a := newApp(t, p, session.Config{})
		laptop, phone, bob := a.browser(t), a.browser(t), a.browser(t)
		laptop.get("/login?u=alice")
		phone.get("/login?u=alice")
		bob.get("/login?u=bob")
		phoneID := phone.cookie(session.DefaultCookieName)
		laptop.get("/logout-everywhere")
		for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
			if got := b.get("/whoami"); got != "" {
				t.Fatalf("%s still logged in as %q after logging out everywhere", name, got)
			}
		}
		if got := bob.get("/whoami"); got != "bob" {
			t.Fatalf("another user's session ended too (whoami %q)", got)
		}
		// The ended session is deleted, and logging in again works.
		replay := a.browser(t)
		replay.setCookie(session.DefaultCookieName, phoneID)
		if got := replay.get("/whoami"); got != "" {
			t.Fatalf("a session ended everywhere answers as %q", got)
		}
		phone.get("/login?u=alice")
		if got := phone.get("/whoami"); got != "alice" {
			t.Fatalf("login after logging out everywhere: whoami %q", got)
		}
	})
}

func TestConfigChecks(t *testing.T) {
	p := newMemory(t)
	for _, cfg := range []session.Config{
		{IdleTimeout: time.Minute, TouchInterval: time.Minute},
		{IdleTimeout: time.Hour, AbsoluteTimeout: time.Minute},
		{Insecure: true, SameSite: http.SameSiteNoneMode},
		{IdleTimeout: -time.Second},
	} {
		if _, err := session.New(p, cfg); !errors.Is(err, session.ErrInvalidConfig) {
			t.Fatalf("New(%+v): got %v, want ErrInvalidConfig", cfg, err)
		}
	}
	type plain struct{ driver.Provider }
	if _, err := session.New(plain{p}, session.Config{}); !errors.Is(err, driver.ErrNotSupported) {
		t.Fatalf("New over a provider with neither FieldStore nor Swapper: got %v", err)
	}
}

// generationsLost wraps a provider that keeps generations as versions and,
// each time lose is called, answers every version of namespace ns as a
// store that lost them would: missing, then created afresh.
type generationsLost struct {
	fullProvider
	ns     string
	losses atomic.Int64
}

type fullProvider interface {
	driver.Provider
	session.FieldStore
	driver.Swapper
	driver.Versioner
}

func (g *generationsLost) lose() { g.losses.Add(1) }

func (g *generationsLost) moved(keys []driver.VersionKey) []driver.VersionKey {
	out := make([]driver.VersionKey, len(keys))
	for i, k := range keys {
		if n := g.losses.Load(); n > 0 && k.Namespace == g.ns {
			k.Namespace += "#after-loss-" + strconv.FormatInt(n, 10)
		}
		out[i] = k
	}
	return out
}

func (g *generationsLost) Versions(ctx context.Context, keys []driver.VersionKey) ([]driver.Version, error) {
	return g.fullProvider.Versions(ctx, g.moved(keys))
}

func (g *generationsLost) EnsureVersions(ctx context.Context, keys []driver.VersionKey, ttl time.Duration) ([]driver.Version, error) {
	return g.fullProvider.EnsureVersions(ctx, g.moved(keys), ttl)
}

func (g *generationsLost) BumpVersions(ctx context.Context, keys []driver.VersionKey) error {
	return g.fullProvider.BumpVersions(ctx, g.moved(keys))
}

// A session logged in before the user's first LogoutEverywhere must stay
// ended by it even when the stored generation is later lost (eviction,
// flush, failover), and a lost generation logs users out, never in.
func TestLostGenerationNeverRevivesEndedSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p driver.Provider) {
		ns := "sess-" + randomSuffix(t)
		var lose func()
		if full, ok := p.(fullProvider); ok {
			g := &generationsLost{fullProvider: full, ns: ns + ".users"}
			p, lose = g, g.lose
		} else { // generations are plain values: delete alice's
			lose = func() {
				if err := p.Delete(t.Context(), driver.Key{Namespace: ns + ".users", ID: "alice"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		a := newApp(t, p, session.Config{Namespace: ns})
		victim, other := a.browser(t), a.browser(t)
		victim.get("/login?u=alice")
		other.get("/login?u=alice")
		stolen := victim.cookie(session.DefaultCookieName)
		victim.get("/logout-everywhere")
		lose()

		thief := a.browser(t)
		thief.setCookie(session.DefaultCookieName, stolen)
		if got := thief.get("/whoami"); got != "" {
			t.Fatalf("a session ended by LogoutEverywhere is logged in again as %q once the generation is lost", got)
		}
		if got := other.get("/whoami"); got != "" {
			t.Fatalf("a session ended by LogoutEverywhere is logged in again as %q once the generation is lost", got)
		}

		// Losing the generation again, with no logout, ends sessions too, and
		// logging in afterwards works.
		victim.get("/login?u=alice")
		if got := victim.get("/whoami"); got != "alice" {
			t.Fatalf("login after the loss: whoami %q", got)
		}
		lose()
		if got := victim.get("/whoami"); got != "" {
			t.Fatalf("a session whose generation was lost is still logged in as %q", got)
		}
		victim.get("/login?u=alice")
		if got := victim.get("/whoami"); got != "alice" {
			t.Fatalf("login after a second loss: whoami %q", got)
		}
	})
}
