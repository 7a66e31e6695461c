package httpcache

import (
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// NewProxy returns a caching reverse proxy to target: c in front of an
// httputil.ReverseProxy that forwards to target (its path prefixed to the
// request's) with X-Forwarded-For, -Host and -Proto set, and whose failures
// to reach target are reported with ProxyErrorHandler, so that
// stale-if-error covers them. The cache keys responses by the Host the
// client asked for; the origin is sent target's host, and the client's in
// X-Forwarded-Host.
func NewProxy(c *Cache, target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		ErrorHandler: ProxyErrorHandler,
		ErrorLog:     slog.NewLogLogger(c.cfg.Logger.Handler(), slog.LevelWarn),
	}
	return c.Middleware(rp)
}
