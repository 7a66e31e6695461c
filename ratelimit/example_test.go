package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/ratelimit"
)

// Three requests a minute per user: the fourth is refused, spends nothing,
// and says how long to wait.
func Example() {
	ctx := context.Background()
	p, err := memory.New(memory.Config{}) // or a valkeystore.Provider, to share quotas between processes
	if err != nil {
		panic(err)
	}
	defer p.Close()

	limits, err := ratelimit.New(p, ratelimit.Config{Namespace: "login", Limit: ratelimit.PerMinute(3)})
	if err != nil {
		panic(err)
	}
	for range 4 {
		res, err := limits.Allow(ctx, "user:42")
		if err != nil {
			panic(err) // the store failed: the caller decides whether to let the request through
		}
		fmt.Println(res.Allowed, res.Remaining, res.RetryAfter > 0)
	}
	// Output:
	// true 2 false
	// true 1 false
	// true 0 false
	// false 0 true
}

// The middleware limits requests by client address, answers 429 Too Many
// Requests past the quota, and sets the RateLimit-* fields and Retry-After.
func ExampleLimiter_Middleware() {
	p, _ := memory.New(memory.Config{})
	defer p.Close()
	limits, _ := ratelimit.New(p, ratelimit.Config{Limit: ratelimit.PerSecond(1)})

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	h := limits.Middleware(ratelimit.MiddlewareOptions{})(api)

	for range 2 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/items", nil)
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("RateLimit-Limit"))
	}
	// Output:
	// 200 1
	// 429 1
}
