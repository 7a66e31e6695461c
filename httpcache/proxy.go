package httpcache

import (
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
)

// NewProxy returns a caching reverse proxy to target: c in front of an
// httputil.ReverseProxy that forwards to target (its path prefixed to the
// request's) with X-Forwarded-For, -Host and -Proto set, and whose failures
// to reach target are reported with ProxyErrorHandler, so that
// stale-if-error covers them. The cache keys responses by the Host the
// client asked for; the origin is sent target's host, and the client's in
// X-Forwarded-Host. As a gateway must (RFC 9110 §7.6.3), it adds a Via
// field to the requests it forwards, naming itself as Cache-Status does.
func NewProxy(c *Cache, target *url.URL) http.Handler {
	via := " " + c.cfg.CacheStatusName
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Add("Via", strconv.Itoa(pr.In.ProtoMajor)+"."+strconv.Itoa(pr.In.ProtoMinor)+via)
		},
		ErrorHandler: ProxyErrorHandler,
		ErrorLog:     slog.NewLogLogger(c.cfg.Logger.Handler(), slog.LevelWarn),
	}
	return c.Middleware(rp)
}
