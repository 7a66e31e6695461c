package httpcache

import (
	"context"
	"net/http"
	"strconv"
)

// forwardHead sends a HEAD request the store could not answer to the
// origin as it is (a HEAD response has no body to store), and uses a 200
// answer to update or invalidate the stored GET response it concerns (RFC
// 9111 §4.3.5): updated like a 304 when its validators and length agree,
// removed when they do not.
func (c *Cache) forwardHead(w http.ResponseWriter, q *request, next http.Handler, stored *record, storedKey, fwd string) {
	sent := c.now()
	var got http.Header
	p := c.pass(w, q.r, next, cacheStatus{fwd: fwd}, func(status int, h http.Header) {
		if status == http.StatusOK {
			got = h.Clone()
		}
	})
	if got == nil || stored == nil || q.cc.noStore {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(q.r.Context()), invalidateTimeout)
	defer cancel()
	if cl, err := strconv.Atoi(got.Get("Content-Length")); (err == nil && cl != len(stored.Body)) || !identifies(got, stored.Header) {
		_ = c.store.remove(ctx, storedKey)
		return
	}
	rec, ok := c.freshen(stored, got, sent, p.received)
	if !ok {
		return
	}
	c.stats.freshened.Add(1)
	ttl := c.keepFor(&rec, c.now())
	if err := c.store.put(ctx, storedKey, rec, ttl, rec.Tags); err != nil {
		c.stats.storeErrors.Add(1)
	}
}
