// Package warnlimit spaces out warnings about a failure that every call
// meets while it lasts (a store that is down): the first is logged at once,
// and the same warning at most once per interval after it, with the count
// of those held back, so an outage is a few log lines and not one per
// request.
package warnlimit

import (
	"sync"
	"time"
)

// Limit spaces warnings per message. Its zero value is ready, with the
// default interval.
type Limit struct {
	// Every is the least time between two warnings with one message; zero
	// means DefaultEvery.
	Every time.Duration

	mu    sync.Mutex
	spans map[string]*span
}

// DefaultEvery is the interval of a Limit that names none.
const DefaultEvery = 30 * time.Second

type span struct {
	last       time.Time
	suppressed int
}

// Allow reports whether a warning with msg may be logged at now and, if so,
// how many with it were held back since the last one.
func (l *Limit) Allow(msg string, now time.Time) (ok bool, held int) {
	every := l.Every
	if every <= 0 {
		every = DefaultEvery
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	sp := l.spans[msg]
	if sp == nil {
		if l.spans == nil {
			l.spans = map[string]*span{}
		}
		sp = &span{}
		l.spans[msg] = sp
	}
	if !sp.last.IsZero() && now.Sub(sp.last) < every {
		sp.suppressed++
		return false, 0
	}
	held = sp.suppressed
	sp.last, sp.suppressed = now, 0
	return true, held
}
