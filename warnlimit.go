package valcache

import (
	"log/slog"
	"sync"
	"time"
)

// storeWarnEvery is how often a cache logs that the store failed, at most.
// While the store is down every call meets the failure; one warning per
// call would bury the log under one line per request, so the first of an
// outage is logged at once and the others are counted into the next.
const storeWarnEvery = 30 * time.Second

// warnLimit spaces a cache's warnings about store failures, per message.
type warnLimit struct {
	mu    sync.Mutex
	spans map[string]*warnSpan
}

type warnSpan struct {
	last       time.Time
	suppressed int
}

// allow reports whether a warning with msg may be logged now and, if so,
// how many with it were held back since the last one.
func (w *warnLimit) allow(msg string, now time.Time) (bool, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	sp := w.spans[msg]
	if sp == nil {
		if w.spans == nil {
			w.spans = map[string]*warnSpan{}
		}
		sp = &warnSpan{}
		w.spans[msg] = sp
	}
	if !sp.last.IsZero() && now.Sub(sp.last) < storeWarnEvery {
		sp.suppressed++
		return false, 0
	}
	n := sp.suppressed
	sp.last, sp.suppressed = now, 0
	return true, n
}

// warnStore logs msg about a store failure, within the cache's limit.
func (c *Cache[K, V]) warnStore(msg string, err error) {
	ok, held := c.storeWarns.allow(msg, time.Now())
	if !ok {
		return
	}
	attrs := []any{slog.String("namespace", c.ns), slog.Any("error", err)}
	if held > 0 {
		attrs = append(attrs, slog.Int("suppressed", held))
	}
	c.log.Warn(msg, attrs...)
}
