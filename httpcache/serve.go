package httpcache

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// request is one client request as the cache sees it.
type request struct {
	r       *http.Request
	key     string // primary key
	cc      directives
	noCache bool // Cache-Control no-cache, or Pragma no-cache without Cache-Control
	arrived time.Time
	// uncollapsed marks a request that waited for another's origin request
	// and could not use its response.
	uncollapsed bool
}

// serve handles one request in front of next.
func (c *Cache) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	c.stats.requests.Add(1)
	if c.closed.Load() {
		c.bypass(w, r, next, fwdBypass)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions, http.MethodTrace, http.MethodConnect:
		c.bypass(w, r, next, fwdMethod)
		return
	default:
		c.unsafe(w, r, next)
		return
	}
	if r.Header.Get("Upgrade") != "" {
		c.bypass(w, r, next, fwdBypass)
		return
	}
	key, err := c.primaryKey(r)
	if err != nil {
		c.cfg.Logger.Warn("httpcache: Config.Key failed; request not cached", slog.Any("error", err))
		c.bypass(w, r, next, fwdBypass)
		return
	}
	cc := parseDirectives(r.Header)
	q := &request{r: r, key: key, cc: cc, noCache: requestNoCache(r.Header, cc), arrived: c.now()}
	if originOnlyPrecondition(r.Header) {
		c.bypass(w, r, next, fwdRequest)
		return
	}
	c.serveLookup(w, q, next, 0)
}

// serveLookup answers q from the store when it can, else from the origin.
// attempt counts the lookups made for q: a coalesced response that turns
// out not to suit q sends it through once more.
func (c *Cache) serveLookup(w http.ResponseWriter, q *request, next http.Handler, attempt int) {
	ctx := q.r.Context()
	rec, recKey, fwd, err := c.lookup(ctx, q)
	if err != nil {
		c.stats.storeErrors.Add(1)
		c.warnStore("httpcache: cannot read the store; asking the origin", slog.Any("error", err))
	}
	now := c.now()
	if rec != nil {
		use, why := c.usable(rec, q, now)
		switch use {
		case useFresh:
			c.stats.hits.Add(1)
			c.reply(w, q, rec, cacheStatus{hit: true}, false)
			return
		case useStale, useRevalidating:
			c.stats.hits.Add(1)
			c.stats.staleHits.Add(1)
			detail := "max-stale"
			if use == useRevalidating {
				detail = "stale-while-revalidate"
				c.revalidate(q, rec, recKey, next)
			}
			c.reply(w, q, rec, cacheStatus{hit: true, detail: detail}, false)
			return
		}
		fwd = why
	}
	if attempt == 0 {
		c.stats.misses.Add(1)
	}
	switch {
	case q.cc.onlyIfCached:
		// §5.2.1.7: a stored response or 504.
		c.gatewayError(w, http.StatusGatewayTimeout, cacheStatus{fwd: fwd, detail: "only-if-cached"}, "not cached")
	case q.r.Method == http.MethodHead:
		c.forwardHead(w, q, next, rec, recKey, fwd)
	case q.r.Header.Get("Range") != "":
		// A range of a response the cache does not hold is the origin's to
		// answer; the partial response is not stored.
		c.stats.bypassed.Add(1)
		c.pass(w, q.r, next, cacheStatus{fwd: fwdPartial}, nil)
	case q.noCache || q.cc.noStore:
		c.direct(w, q, next, rec, fwd)
	default:
		c.coalesced(w, q, next, rec, recKey, fwd, attempt)
	}
}

// lookup reads the response stored for q: under its primary key, or, for
// a response that varies, under the variant key its Vary selection gives
// (RFC 9111 §4.1). It returns the key the response is or would be under,
// and, when there is none, why: uri-miss or vary-miss.
func (c *Cache) lookup(ctx context.Context, q *request) (*record, string, string, error) {
	rec, ok, err := c.store.get(ctx, q.key)
	if err != nil || !ok {
		return nil, q.key, fwdURIMiss, err
	}
	if !rec.Spec {
		if len(rec.Vary) > 0 && !slices.Equal(rec.Select, selection(q.r.Header, rec.Vary)) {
			return nil, q.key, fwdVaryMiss, nil
		}
		return &rec, q.key, "", nil
	}
	sel := selection(q.r.Header, rec.Vary)
	vk := variantKey(q.key, rec.Gen, sel)
	v, ok, err := c.store.get(ctx, vk)
	if err != nil || !ok || v.Spec || !slices.Equal(v.Select, sel) {
		return nil, vk, fwdVaryMiss, err
	}
	return &v, vk, "", nil
}
