package httpcache

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
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
		c.cfg.Logger.Warn("httpcache: cannot read the store; asking the origin", slog.Any("error", err))
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

// How a stored response may be used for a request.
const (
	useNot          = iota
	useFresh        // fresh, and within what the request accepts
	useStale        // stale, within the request's max-stale
	useRevalidating // stale, within stale-while-revalidate: served while revalidated
)

// usable decides whether rec may answer q at now without the origin (RFC
// 9111 §4, §4.2, §4.2.4, §5.2.1; RFC 5861 §3), and, when it may not, the
// forward reason: stale, or request (q's directives refused a fresh one).
func (c *Cache) usable(rec *record, q *request, now time.Time) (int, string) {
	if q.noCache {
		return useNot, fwdRequest
	}
	if rec.NoCache {
		return useNot, fwdStale
	}
	age, life := rec.age(now), rec.lifetime()
	ageOK := q.cc.maxAge < 0 || age <= seconds(q.cc.maxAge)
	if life > age {
		if ageOK && (q.cc.minFresh < 0 || life-age >= seconds(q.cc.minFresh)) {
			return useFresh, ""
		}
		return useNot, fwdRequest
	}
	if rec.NoStale {
		return useNot, fwdStale
	}
	staleFor := age - life
	if (q.cc.maxStaleAny || (q.cc.maxStale >= 0 && staleFor <= seconds(q.cc.maxStale))) && ageOK && q.cc.minFresh < 0 {
		return useStale, ""
	}
	if q.cc.maxAge < 0 && q.cc.minFresh < 0 && staleFor < c.swrWindow(rec) {
		return useRevalidating, ""
	}
	return useNot, fwdStale
}

// swrWindow is how long past its freshness rec may be served while it is
// revalidated: its own stale-while-revalidate, else the configured one;
// none for responses that forbid stale serving.
func (c *Cache) swrWindow(rec *record) time.Duration {
	switch {
	case rec.NoStale || rec.NoCache:
		return 0
	case rec.SWR >= 0:
		return time.Duration(rec.SWR)
	}
	return c.cfg.StaleWhileRevalidate
}

// sieWindow is how long past its freshness rec may be served when the
// origin fails, by its own stale-if-error or the configured one.
func (c *Cache) sieWindow(rec *record) time.Duration {
	switch {
	case rec.NoStale || rec.NoCache:
		return 0
	case rec.SIE >= 0:
		return time.Duration(rec.SIE)
	}
	return c.cfg.StaleIfError
}

// staleOnError reports whether rec may answer q at now because the origin
// failed (RFC 5861 §4): within its stale-if-error window, or the request's
// own stale-if-error, and never when it forbids stale serving.
func (c *Cache) staleOnError(rec *record, q *request, now time.Time) bool {
	if rec == nil || rec.NoStale || rec.NoCache {
		return false
	}
	w := c.sieWindow(rec)
	if q.cc.sie >= 0 {
		w = max(w, seconds(q.cc.sie))
	}
	return rec.staleness(now) <= w
}

// coalesced answers q from an origin request made once for every request
// of the fleet that needs the same response now: the first of this process
// starts a flight, the others join it, and across processes the store
// elects one loader. The request that started the flight sends the origin
// request itself when its process is elected, so that its client receives
// the response as it arrives.
func (c *Cache) coalesced(w http.ResponseWriter, q *request, next http.Handler, stale *record, recKey, fwd string, attempt int) {
	fk := flightKey(recKey, stale.identity())
	f, started := c.join(fk, true)
	if f == nil { // closed
		c.direct(w, q, next, stale, fwd)
		return
	}
	if started {
		c.start(f, fk, q, stale, next)
	}
	ctx := q.r.Context()
	var elected chan *election
	if started {
		elected = f.slot.elected
	}
	select {
	case el := <-elected:
		answered := false
		var handed sync.Once
		hand := func(ex exchange) { handed.Do(func() { el.done <- ex }) }
		ex := c.fetch(fetchSpec{
			next: next, req: el.req, conditional: el.conditional, client: w, clientCtx: ctx,
			decide: c.clientPlan(w, q, stale, el.conditional, fwd, &answered),
			// The waiters learn at once that they cannot have the body,
			// while this client still receives it.
			dropped: func(t *tee) {
				hand(exchange{status: t.status, header: t.snapshot, conditional: el.conditional})
			},
		})
		hand(ex)
		if answered {
			if ex.streamed && ex.failure != nil {
				panic(http.ErrAbortHandler) // the client got part of a response that broke
			}
			return
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return
		}
		c.serveOutcome(w, q, next, f, stale, fwd, attempt, false)
	case <-f.done:
		c.serveOutcome(w, q, next, f, stale, fwd, attempt, true)
	case <-ctx.Done():
		if started {
			f.leave()
		}
	}
}

// serveOutcome answers q with the outcome of a flight it waited for;
// collapsed marks a request that did not send the origin request itself.
func (c *Cache) serveOutcome(w http.ResponseWriter, q *request, next http.Handler, f *flight, stale *record, fwd string, attempt int, collapsed bool) {
	q.uncollapsed = collapsed
	var oe *originError
	switch {
	case f.err == nil && f.rec != nil:
		if c.sharedUsable(f.rec, q) {
			status := f.status
			if status == 0 {
				status = f.rec.Status
			}
			cs := cacheStatus{fwd: fwd, fwdStatus: status, collapsed: collapsed}
			if collapsed {
				c.stats.coalesced.Add(1)
			}
			c.reply(w, q, f.rec, cs, true)
			return
		}
		if attempt == 0 {
			// It varies on something q differs in, or is older than q
			// accepts: look again (the Vary spec is stored now), once.
			c.serveLookup(w, q, next, attempt+1)
			return
		}
		c.direct(w, q, next, stale, fwd)
	case errors.As(f.err, &oe):
		c.originFailed(w, q, stale, oe, fwd, collapsed)
	case foreign304(f.err):
		c.direct(w, q, next, nil, fwd)
	default:
		c.direct(w, q, next, stale, fwd)
	}
}

// sharedUsable reports whether a response obtained for other requests may
// answer q (RFC 9111 §4, on collapsed requests): it must match q's Vary
// selection, and be fresh enough for q; a response received after q
// arrived was obtained, validated, while q waited, so it answers q even
// when it may not be reused later (no-cache, no freshness left).
func (c *Cache) sharedUsable(rec *record, q *request) bool {
	if len(rec.Vary) > 0 && !slices.Equal(rec.Select, selection(q.r.Header, rec.Vary)) {
		return false
	}
	if rec.Received >= q.arrived.UnixNano() {
		return true
	}
	use, _ := c.usable(rec, q, c.now())
	return use == useFresh
}

// originFailed answers q after its origin request failed: with the stale
// response where stale-if-error allows, else with the origin's own error
// response when there is one that may be passed on, else with a gateway
// error: 504 when the origin did not answer in time or a stored response
// may never be served stale (must-revalidate, §5.2.2.2), 502 otherwise.
func (c *Cache) originFailed(w http.ResponseWriter, q *request, stale *record, oe *originError, fwd string, collapsed bool) {
	now := c.now()
	switch {
	case c.staleOnError(stale, q, now):
		c.stats.staleIfError.Add(1)
		c.reply(w, q, stale, cacheStatus{hit: true, detail: "stale-if-error"}, false)
	case oe.resp != nil:
		if collapsed {
			c.stats.coalesced.Add(1)
		}
		c.reply(w, q, oe.resp, cacheStatus{fwd: fwd, fwdStatus: oe.resp.Status, collapsed: collapsed}, true)
	case oe.timeout || (stale != nil && (stale.NoStale || stale.NoCache)):
		c.gatewayError(w, http.StatusGatewayTimeout, cacheStatus{fwd: fwd}, "origin unavailable")
	default:
		c.gatewayError(w, http.StatusBadGateway, cacheStatus{fwd: fwd}, "origin unavailable")
	}
}

// direct answers q from an origin request of its own, which validates
// stale when there is one, streams the response to the client, and stores
// it when it may be stored.
func (c *Cache) direct(w http.ResponseWriter, q *request, next http.Handler, stale *record, fwd string) {
	out, conditional := originRequest(context.WithoutCancel(q.r.Context()), q.r, stale)
	answered := false
	ex := c.fetch(fetchSpec{
		next: next, req: out, conditional: conditional, client: w, clientCtx: q.r.Context(),
		decide: c.clientPlan(w, q, stale, conditional, fwd, &answered),
	})
	rec, _, err := c.absorb(context.WithoutCancel(q.r.Context()), q, ex, stale)
	if answered {
		if ex.streamed && ex.failure != nil {
			panic(http.ErrAbortHandler)
		}
		return
	}
	var oe *originError
	switch {
	case rec != nil:
		c.reply(w, q, rec, cacheStatus{fwd: fwd, fwdStatus: ex.status}, true)
	case errors.As(err, &oe):
		c.originFailed(w, q, stale, oe, fwd, false)
	case conditional && foreign304(err):
		// A 304 that matched nothing stored: ask again, unconditionally.
		c.direct(w, q, next, nil, fwd)
	default:
		// A 304 the cache did not ask for: the origin's to explain.
		c.stats.bypassed.Add(1)
		c.pass(w, q.r, next, cacheStatus{fwd: fwd}, nil)
	}
}

// clientPlan is what the client that sent an origin request sees of the
// response, decided when its fields arrive: the response itself, streamed,
// or, when the client's own conditional matches it, a 304; nothing yet
// when the cache will answer from a stored response instead (a 304 to its
// validation, or a failure that stale-if-error covers). answered records
// whether the client was answered.
func (c *Cache) clientPlan(w http.ResponseWriter, q *request, stale *record, conditional bool, fwd string, answered *bool) func(*tee) plan {
	return func(t *tee) plan {
		keep := c.worthKeeping(q, t)
		switch {
		case t.failure != nil:
			return plan{}
		case t.status == http.StatusNotModified && conditional:
			return plan{keep: true}
		case t.status >= 500 && c.staleOnError(stale, q, c.now()):
			return plan{keep: keep}
		}
		*answered = true
		notMod := t.status/100 == 2 && hasClientConditional(q.r.Header) && notModified(q.r.Header, t.snapshot, c.now())
		h := w.Header()
		for k, vs := range t.snapshot {
			if !notMod || notModifiedFields[k] {
				h[k] = slices.Clone(vs)
			}
		}
		if !c.cfg.ExposeTagHeader {
			h.Del(c.cfg.TagHeader)
		}
		st := c.storable(q.r, q.cc, t.status, t.snapshot, parseDirectives(t.snapshot))
		// stored is said only when it is known: a storable response whose
		// length is declared and within MaxBodySize.
		stored := st.ok && keep && t.snapshot.Get("Content-Length") != "" && !t.over
		c.setCacheStatus(h, cacheStatus{fwd: fwd, fwdStatus: t.status, stored: stored, uncollapsed: q.uncollapsed})
		if notMod {
			w.WriteHeader(http.StatusNotModified)
			return plan{keep: keep}
		}
		w.WriteHeader(t.status)
		return plan{stream: true, keep: keep}
	}
}
