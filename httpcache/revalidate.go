package httpcache

import (
	"net/http"
)

// revalidate refreshes a stale response in the background while it is
// served (RFC 5861 §3): one flight per stored version in this process, and,
// through the store's election, one origin request for the fleet, whose
// outcome the other processes' flights wait for instead of asking the
// origin. Its goroutine ends with the flight, and with Close.
func (c *Cache) revalidate(q *request, stale *record, recKey string, next http.Handler) {
	fk := flightKey(recKey, stale.identity())
	f, started := c.join(fk, false)
	if !started {
		return
	}
	bg := *q
	bg.r = q.r.Clone(q.r.Context())
	bg.r.Method = http.MethodGet // a stale HEAD hit revalidates the GET response it was served from
	c.start(f, fk, &bg, stale, next)
}
