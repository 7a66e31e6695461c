package httpcache

import (
	"net/http"
	"time"
)

// passWriter passes an origin handler's response to the client as it is,
// except that the tag field is removed (unless exposed) and Cache-Status
// says the cache forwarded it. onHeader, when set, sees the status and
// fields first; the request is then done with the cache.
type passWriter struct {
	http.ResponseWriter
	c        *Cache
	cs       cacheStatus
	onHeader func(status int, h http.Header)
	wrote    bool
	status   int
	received time.Time
}

func (p *passWriter) WriteHeader(code int) {
	if p.wrote || code < 200 {
		if code < 200 && !p.wrote {
			p.ResponseWriter.WriteHeader(code)
		}
		return
	}
	p.wrote, p.status, p.received = true, code, p.c.now()
	h := p.Header()
	if p.onHeader != nil {
		p.onHeader(code, h)
	}
	if !p.c.cfg.ExposeTagHeader {
		h.Del(p.c.cfg.TagHeader)
	}
	cs := p.cs
	cs.fwdStatus = code
	p.c.setCacheStatus(h, cs)
	p.ResponseWriter.WriteHeader(code)
}

func (p *passWriter) Write(b []byte) (int, error) {
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriter.Write(b)
}

// Flush passes flushes on, for handlers that assert http.Flusher.
func (p *passWriter) Flush() {
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(p.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the client's writer (hijacking,
// deadlines, flushing).
func (p *passWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// pass forwards r to next untouched (beyond passWriter's changes), for
// requests the cache does not serve from storage or store.
func (c *Cache) pass(w http.ResponseWriter, r *http.Request, next http.Handler, cs cacheStatus, onHeader func(int, http.Header)) *passWriter {
	p := &passWriter{ResponseWriter: w, c: c, cs: cs, onHeader: onHeader}
	c.stats.originRequests.Add(1)
	next.ServeHTTP(p, r)
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	return p
}

// bypass forwards a request the cache leaves alone.
func (c *Cache) bypass(w http.ResponseWriter, r *http.Request, next http.Handler, fwd string) {
	c.stats.bypassed.Add(1)
	c.pass(w, r, next, cacheStatus{fwd: fwd}, nil)
}
