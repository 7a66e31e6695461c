package memory

import (
	"context"
	"sync"
	"time"

	"github.com/valcache/valcache/driver"
)

// lockTable holds the locks of the store, apart from entries so that no
// eviction can drop a held lock. fences keeps every key's last fencing
// number for the life of the provider (a few bytes per distinct lock name).
// A number is one above the last and at least the wall clock in
// microseconds, as on Valkey, so a provider started again (a restarted
// process) hands out numbers above those of the one before, as long as the
// clock has not gone back.
type lockTable struct {
	mu        sync.Mutex
	held      map[driver.Key]heldLock
	fences    map[driver.Key]uint64
	waiters   map[driver.Key][]chan struct{}
	sweepSize int
}

type heldLock struct {
	token   string
	expires int64 // monoNow nanoseconds
}

// live returns key's lock if it has not expired.
func (t *lockTable) live(key driver.Key, now int64) (heldLock, bool) {
	h, ok := t.held[key]
	if ok && h.expires <= now {
		delete(t.held, key)
		return heldLock{}, false
	}
	return h, ok
}

// wake signals key's waiters; called with mu held.
func (t *lockTable) wake(key driver.Key) {
	for _, ch := range t.waiters[key] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// wakeAll signals every waiter, so that Close does not leave any asleep
// until its lock's expiry.
func (t *lockTable) wakeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key := range t.waiters {
		t.wake(key)
	}
}

func (t *lockTable) sweep(now int64) {
	for k, h := range t.held {
		if h.expires <= now {
			delete(t.held, k)
		}
	}
	t.sweepSize = len(t.held)
}

// AcquireLock implements lock.Backend.
func (p *Provider) AcquireLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (uint64, bool, error) {
	if err := p.check(ctx); err != nil {
		return 0, false, err
	}
	if ttl <= 0 {
		return 0, false, driver.ErrInvalidTTL
	}
	t := &p.locks
	now := monoNow()
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.live(key, now); ok {
		return 0, false, nil
	}
	if t.held == nil {
		t.held = map[driver.Key]heldLock{}
		t.fences = map[driver.Key]uint64{}
	}
	if len(t.held) > 2*t.sweepSize+64 {
		t.sweep(now)
	}
	t.held[key] = heldLock{token: token, expires: now + int64(ttl)}
	fence := max(t.fences[key]+1, uint64(max(time.Now().UnixMicro(), 0)))
	t.fences[key] = fence
	t.wake(key)
	return fence, true, nil
}

// ExtendLock implements lock.Backend.
func (p *Provider) ExtendLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (bool, error) {
	if err := p.check(ctx); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, driver.ErrInvalidTTL
	}
	t := &p.locks
	now := monoNow()
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.live(key, now)
	if !ok || h.token != token {
		return false, nil
	}
	t.held[key] = heldLock{token: token, expires: now + int64(ttl)}
	t.wake(key)
	return true, nil
}

// ReleaseLock implements lock.Backend.
func (p *Provider) ReleaseLock(ctx context.Context, key driver.Key, token string) (bool, error) {
	if err := p.check(ctx); err != nil {
		return false, err
	}
	t := &p.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.live(key, monoNow())
	if !ok || h.token != token {
		return false, nil
	}
	delete(t.held, key)
	t.wake(key)
	return true, nil
}

// LockHeld implements lock.Backend.
func (p *Provider) LockHeld(ctx context.Context, key driver.Key, token string) (bool, error) {
	if err := p.check(ctx); err != nil {
		return false, err
	}
	t := &p.locks
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.live(key, monoNow())
	return ok && h.token == token, nil
}

// WaitLock implements lock.Backend: it sleeps until a change to key is
// signalled or the current holder's lock expires, whichever comes first.
func (p *Provider) WaitLock(ctx context.Context, key driver.Key) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	t := &p.locks
	ch := make(chan struct{}, 1)
	t.mu.Lock()
	h, ok := t.live(key, monoNow())
	if !ok {
		t.mu.Unlock()
		return nil
	}
	if t.waiters == nil {
		t.waiters = map[driver.Key][]chan struct{}{}
	}
	t.waiters[key] = append(t.waiters[key], ch)
	t.mu.Unlock()
	defer t.removeWaiter(key, ch)
	timer := time.NewTimer(time.Duration(h.expires - monoNow()))
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.closed.Load() {
		return driver.ErrClosed
	}
	return nil
}

func (t *lockTable) removeWaiter(key driver.Key, ch chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	list := t.waiters[key]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(t.waiters, key)
	} else {
		t.waiters[key] = list
	}
}
