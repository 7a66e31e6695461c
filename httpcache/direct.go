package httpcache

import (
	"context"
	"errors"
	"net/http"
	"slices"
)

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
