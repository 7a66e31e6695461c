package lock

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

// watch is the lease's goroutine. It sleeps on the store's notifications
// for the lock, bounded by the next automatic extension and by the local
// expiry, and on each wake checks that the store still holds the token.
// The local expiry is measured from before each acquisition or extension
// was sent, so it comes no later than the store's own: a lease reports its
// loss no later than the store frees the lock (given clocks that run at
// the same rate).
func (l *Lease) watch() {
	defer close(l.done)
	for l.ctx.Err() == nil {
		l.mu.Lock()
		expires, next := l.expires, l.nextExtend
		wctx, interrupt := context.WithCancel(l.ctx)
		l.interrupt = interrupt
		l.mu.Unlock()
		now := time.Now()
		if !now.Before(expires) {
			interrupt()
			l.lose()
			return
		}
		if l.auto && !now.Before(next) {
			interrupt()
			l.extend(now, expires)
			continue
		}
		wake := expires
		if l.auto && next.Before(wake) {
			wake = next
		}
		wctx, cancel := context.WithDeadline(wctx, wake)
		err := l.store.WaitLock(wctx, l.key)
		interrupted := wctx.Err() != nil
		cancel()
		interrupt()
		switch {
		case l.ctx.Err() != nil:
			return
		case interrupted:
			continue // a deadline or an Extend: the loop re-reads the times
		case errors.Is(err, driver.ErrClosed):
			l.lose()
			return
		case err != nil:
			_ = sleep(l.ctx, min(retryPause, time.Until(expires)))
			continue
		}
		held, err := l.store.LockHeld(l.ctx, l.key, l.token)
		switch {
		case l.ctx.Err() != nil:
			return
		case errors.Is(err, driver.ErrClosed), err == nil && !held:
			l.lose()
			return
		case err != nil:
			_ = sleep(l.ctx, min(retryPause, time.Until(expires)))
		}
	}
}

// extend is one automatic extension. A refusal means the lock is gone; an
// error is retried shortly, for as long as the lock has life left.
func (l *Lease) extend(now, expires time.Time) {
	l.mu.Lock()
	ttl := l.ttl
	l.mu.Unlock()
	ctx, cancel := context.WithDeadline(l.ctx, expires)
	ok, err := l.store.ExtendLock(ctx, l.key, l.token, ttl)
	cancel()
	if l.ctx.Err() != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil && ok:
		if e := now.Add(ttl); e.After(l.expires) {
			l.expires = e
		}
		l.nextExtend = now.Add(ttl / 3)
	case err == nil, errors.Is(err, driver.ErrClosed):
		l.cancel(ErrLockLost)
	default:
		l.nextExtend = time.Now().Add(min(retryPause, ttl/10))
	}
}
