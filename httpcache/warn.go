package httpcache

import (
	"log/slog"
	"time"
)

// warnStore logs a failure of the store: the first of an outage at once,
// then the same message at most every 30 seconds with the count held back,
// since every request meets the failure while it lasts. Stats().StoreErrors
// still counts each one.
func (c *Cache) warnStore(msg string, attrs ...any) {
	ok, held := c.storeWarns.Allow(msg, time.Now())
	if !ok {
		return
	}
	if held > 0 {
		attrs = append(attrs, slog.Int("suppressed", held))
	}
	c.cfg.Logger.Warn(msg, attrs...)
}
