package valcache

import (
	"log/slog"
	"time"
)

// warnStore logs msg about a store failure within the cache's limit: while
// the store is down every call meets the failure, and one warning per call
// would bury the log under a line per request, so the first of an outage
// is logged at once and the same warning at most every 30 seconds after
// it, with the count held back (see internal/warnlimit).
func (c *Cache[K, V]) warnStore(msg string, err error) {
	ok, held := c.storeWarns.Allow(msg, time.Now())
	if !ok {
		return
	}
	attrs := []any{slog.String("namespace", c.ns), slog.Any("error", err)}
	if held > 0 {
		attrs = append(attrs, slog.Int("suppressed", held))
	}
	c.log.Warn(msg, attrs...)
}
