package ratelimit

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// MiddlewareOptions adjust Middleware. The zero value limits by client IP
// address, answers 429 when the quota is spent, and serves requests when
// the store fails.
type MiddlewareOptions struct {
	// Key names the quota a request draws on. Nil means RemoteIP. An error
	// is handled like a store failure.
	Key func(r *http.Request) (string, error)

	// Limited writes the response to a refused request; the RateLimit-*
	// fields and Retry-After are already set. Nil means a plain-text 429.
	Limited func(w http.ResponseWriter, r *http.Request, res Result)

	// Failed handles a request whose quota could not be checked (the store
	// failed, or Key returned an error). Nil serves the request anyway
	// (fail open), so that a store outage does not take the service down;
	// set it to refuse instead (fail closed), and to log.
	Failed func(w http.ResponseWriter, r *http.Request, err error)
}

// Header fields set by Middleware, from draft-ietf-httpapi-ratelimit-headers-06.
const (
	HeaderLimit     = "RateLimit-Limit"
	HeaderRemaining = "RateLimit-Remaining"
	HeaderReset     = "RateLimit-Reset"
	HeaderPolicy    = "RateLimit-Policy"
	HeaderRetry     = "Retry-After"
)

// Middleware checks each request against l, spending one unit of its key's
// quota, and sets on every checked response:
//
//	RateLimit-Limit:     the burst (units that may be spent at once)
//	RateLimit-Remaining: units left after this request
//	RateLimit-Reset:     seconds until the quota is whole again
//	RateLimit-Policy:    <burst>;w=<seconds a whole quota takes to refill>
//
// and, on a refused request, Retry-After: seconds until it would be
// allowed. Seconds are rounded up, so a client that waits that long is not
// refused again for the same reason.
func (l *Limiter) Middleware(opts MiddlewareOptions) func(http.Handler) http.Handler {
	key := opts.Key
	if key == nil {
		key = RemoteIP
	}
	limited := opts.Limited
	if limited == nil {
		limited = func(w http.ResponseWriter, _ *http.Request, _ Result) {
			http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
		}
	}
	policy := strconv.Itoa(int(l.burst)) + ";w=" + strconv.FormatInt(seconds(time.Duration(l.burst)*l.interval), 10)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k, err := key(r)
			var res Result
			if err == nil {
				res, err = l.Allow(r.Context(), k)
			}
			if err != nil {
				if opts.Failed != nil {
					opts.Failed(w, r, err)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Set(HeaderLimit, strconv.Itoa(res.Limit))
			h.Set(HeaderRemaining, strconv.Itoa(res.Remaining))
			h.Set(HeaderReset, strconv.FormatInt(seconds(res.ResetAfter), 10))
			h.Set(HeaderPolicy, policy)
			if !res.Allowed {
				h.Set(HeaderRetry, strconv.FormatInt(max(seconds(res.RetryAfter), 1), 10))
				limited(w, r, res)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RemoteIP is the default key: the request's remote address without its
// port. Behind a proxy, pass a Key that reads the address the proxy
// forwards, from a header only the proxy can set.
func RemoteIP(r *http.Request) (string, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr, nil // no port: the address as it is
	}
	return host, nil
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
