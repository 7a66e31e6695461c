package httpcache

import "time"

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
