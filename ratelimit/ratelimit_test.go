package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/ratelimit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newMemory(t *testing.T) *memory.Provider {
	t.Helper()
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newLimiter(t *testing.T, lim ratelimit.Limit) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(newMemory(t), ratelimit.Config{Limit: lim})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// bytesOnly is a provider without the rate-limit capability.
type bytesOnly struct{ driver.Provider }

func TestNewRejectsProvidersAndLimits(t *testing.T) {
	if _, err := ratelimit.New(bytesOnly{newMemory(t)}, ratelimit.Config{Limit: ratelimit.PerSecond(1)}); !errors.Is(err, driver.ErrNotSupported) {
		t.Fatalf("a provider without gcra.Backend: %v, want ErrNotSupported", err)
	}
	for _, lim := range []ratelimit.Limit{
		{}, {Rate: 1}, {Period: time.Second}, {Rate: -1, Period: time.Second},
		{Rate: 1, Period: time.Second, Burst: -1}, {Rate: 2_000_000, Period: time.Second},
		{Rate: 1, Period: time.Hour, Burst: 1 << 20},
	} {
		if _, err := ratelimit.New(newMemory(t), ratelimit.Config{Limit: lim}); !errors.Is(err, ratelimit.ErrInvalidLimit) {
			t.Errorf("Limit %+v: %v, want ErrInvalidLimit", lim, err)
		}
	}
}

func TestAllowN(t *testing.T) {
	l := newLimiter(t, ratelimit.Limit{Rate: 10, Period: time.Hour, Burst: 4})
	if got := l.Limit(); got.Burst != 4 {
		t.Fatalf("Limit() = %+v", got)
	}
	for _, n := range []int{0, -1, 5} {
		if _, err := l.AllowN(context.Background(), "k", n); !errors.Is(err, ratelimit.ErrInvalidCost) {
			t.Fatalf("AllowN(%d): %v, want ErrInvalidCost", n, err)
		}
	}
	res, err := l.AllowN(context.Background(), "k", 3)
	if err != nil || !res.Allowed || res.Remaining != 1 || res.Limit != 4 {
		t.Fatalf("AllowN(3) = %+v %v", res, err)
	}
	res, err = l.AllowN(context.Background(), "k", 2)
	if err != nil || res.Allowed || res.Remaining != 1 || res.RetryAfter <= 0 {
		t.Fatalf("AllowN(2) with 1 left = %+v %v, want refused", res, err)
	}
	if _, err := l.Allow(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow with a cancelled context: %v", err)
	}
}

func TestMiddlewareSetsFieldsAndRefuses(t *testing.T) {
	l := newLimiter(t, ratelimit.PerMinute(2))
	served := 0
	h := l.Middleware(ratelimit.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served++
	}))
	do := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i, want := range []string{"1", "0"} {
		w := do("192.0.2.1:1000" + strconv.Itoa(i)) // another port, the same client
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, w.Code)
		}
		if got := w.Header().Get(ratelimit.HeaderRemaining); got != want {
			t.Fatalf("request %d: RateLimit-Remaining %q, want %s", i, got, want)
		}
		if got := w.Header().Get(ratelimit.HeaderLimit); got != "2" {
			t.Fatalf("RateLimit-Limit %q, want 2", got)
		}
		if got := w.Header().Get(ratelimit.HeaderPolicy); got != "2;w=60" {
			t.Fatalf("RateLimit-Policy %q, want 2;w=60", got)
		}
	}
	w := do("192.0.2.1:2000")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request: status %d, want 429", w.Code)
	}
	retry, err := strconv.Atoi(w.Header().Get(ratelimit.HeaderRetry))
	if err != nil || retry < 1 || retry > 30 {
		t.Fatalf("Retry-After %q, want 1..30 seconds (one unit per 30s)", w.Header().Get(ratelimit.HeaderRetry))
	}
	reset, err := strconv.Atoi(w.Header().Get(ratelimit.HeaderReset))
	if err != nil || reset < 31 || reset > 60 {
		t.Fatalf("RateLimit-Reset %q, want 31..60 seconds", w.Header().Get(ratelimit.HeaderReset))
	}
	if served != 2 {
		t.Fatalf("handler ran %d times, want 2", served)
	}
	if w := do("[2001:db8::1]:443"); w.Code != http.StatusOK {
		t.Fatalf("another client was refused: %d", w.Code)
	}
}

func TestMiddlewareCustomKeyAndFailures(t *testing.T) {
	p := newMemory(t)
	l, err := ratelimit.New(p, ratelimit.Config{Limit: ratelimit.PerHour(1)})
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	keyErr := errors.New("no API key")
	opts := ratelimit.MiddlewareOptions{
		Key: func(r *http.Request) (string, error) {
			if k := r.Header.Get("X-Api-Key"); k != "" {
				return k, nil
			}
			return "", keyErr
		},
		Limited: func(w http.ResponseWriter, r *http.Request, res ratelimit.Result) {
			w.WriteHeader(http.StatusServiceUnavailable)
		},
	}
	req := func(key string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if key != "" {
			r.Header.Set("X-Api-Key", key)
		}
		return r
	}
	open := l.Middleware(opts)(next)
	for i, want := range []int{http.StatusNoContent, http.StatusServiceUnavailable} {
		w := httptest.NewRecorder()
		open.ServeHTTP(w, req("a"))
		if w.Code != want {
			t.Fatalf("request %d: %d, want %d", i, w.Code, want)
		}
	}
	w := httptest.NewRecorder()
	open.ServeHTTP(w, req(""))
	if w.Code != http.StatusNoContent || w.Header().Get(ratelimit.HeaderLimit) != "" {
		t.Fatalf("a key error without Failed: %d %v, want served without fields", w.Code, w.Header())
	}
	var failedWith error
	opts.Failed = func(w http.ResponseWriter, r *http.Request, err error) {
		failedWith = err
		w.WriteHeader(http.StatusInternalServerError)
	}
	closed := l.Middleware(opts)(next)
	w = httptest.NewRecorder()
	closed.ServeHTTP(w, req(""))
	if w.Code != http.StatusInternalServerError || !errors.Is(failedWith, keyErr) {
		t.Fatalf("a key error with Failed: %d %v", w.Code, failedWith)
	}
	_ = p.Close()
	w = httptest.NewRecorder()
	closed.ServeHTTP(w, req("b"))
	if w.Code != http.StatusInternalServerError || !errors.Is(failedWith, driver.ErrClosed) {
		t.Fatalf("a store failure with Failed: %d %v", w.Code, failedWith)
	}
}

func TestRemoteIP(t *testing.T) {
	for addr, want := range map[string]string{"192.0.2.1:80": "192.0.2.1", "[2001:db8::1]:443": "2001:db8::1", "pipe": "pipe"} {
		r := &http.Request{RemoteAddr: addr}
		if got, err := ratelimit.RemoteIP(r); err != nil || got != want {
			t.Errorf("RemoteIP(%q) = %q %v, want %q", addr, got, err, want)
		}
	}
}
