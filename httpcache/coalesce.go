package httpcache

import (
	"errors"
	"net/http"
	"slices"
	"sync"
)

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
		decide := c.clientPlan(w, q, stale, el.conditional, fwd, &answered)
		ex := c.fetch(fetchSpec{
			next: next, req: el.req, conditional: el.conditional, client: w, clientCtx: ctx,
			decide: func(t *tee) plan {
				el.answered.Store(true)
				return decide(t)
			},
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
