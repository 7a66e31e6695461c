package valkeystore

import (
	"context"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// acquireLockScript takes the lock if it is free and draws its fencing
// number from the counter beside it (same tag, same slot): one above the
// last, and at least the server's clock in microseconds, stored back. The
// clock floor is what keeps numbers from repeating when the counter is lost
// (eviction, FLUSHALL, a failover that dropped increments): a counter that
// starts again starts above every number handed out before, as long as the
// server's clock has not gone back. Microseconds since 1970 stay below
// 2^53, so Lua's doubles hold them exactly.
//
//	KEYS: lock, fence; ARGV: token, px
var acquireLockScript = valkey.NewLuaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local n = redis.call('INCR', KEYS[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if now > n then
  n = now
  redis.call('SET', KEYS[2], string.format('%d', n))
end
return n`)

// extendLockScript and releaseLockScript compare the token before they
// touch the key, so a holder whose lock expired cannot extend or free the
// next holder's.
var extendLockScript = valkey.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`)

var releaseLockScript = valkey.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`)

// AcquireLock implements lock.Backend.
func (p *Provider) AcquireLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (uint64, bool, error) {
	if err := p.gate(); err != nil {
		return 0, false, err
	}
	if ttl <= 0 {
		return 0, false, driver.ErrInvalidTTL
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	lock, fence := p.keys.lockKeys(key)
	n, err := acquireLockScript.Exec(ctx, p.client, []string{lock, fence}, []string{token, itoa(max(millis(ttl), 1))}).AsInt64()
	if err != nil {
		return 0, false, wrap("acquire lock", err)
	}
	if n <= 0 {
		return 0, false, nil
	}
	return uint64(n), true, nil
}

// ExtendLock implements lock.Backend.
func (p *Provider) ExtendLock(ctx context.Context, key driver.Key, token string, ttl time.Duration) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, driver.ErrInvalidTTL
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	lock, _ := p.keys.lockKeys(key)
	n, err := extendLockScript.Exec(ctx, p.client, []string{lock}, []string{token, itoa(max(millis(ttl), 1))}).AsInt64()
	if err != nil {
		return false, wrap("extend lock", err)
	}
	return n == 1, nil
}

// ReleaseLock implements lock.Backend.
func (p *Provider) ReleaseLock(ctx context.Context, key driver.Key, token string) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	lock, _ := p.keys.lockKeys(key)
	n, err := releaseLockScript.Exec(ctx, p.client, []string{lock}, []string{token}).AsInt64()
	if err != nil {
		return false, wrap("release lock", err)
	}
	return n == 1, nil
}

// LockHeld implements lock.Backend. With client-side caching the answer
// usually comes from the local cache, which the server invalidates when the
// lock changes or expires; a "not held" from the cache is confirmed on the
// server, so a late invalidation can delay noticing a loss (by at most
// 200ms, the cached answer's life) but never invent one.
func (p *Provider) LockHeld(ctx context.Context, key driver.Key, token string) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	lock, _ := p.keys.lockKeys(key)
	if p.tracking {
		v, err := p.readLock(ctx, lock, true)
		if err != nil {
			return false, err
		}
		if v == token {
			return true, nil
		}
	}
	v, err := p.readLock(ctx, lock, false)
	if err != nil {
		return false, err
	}
	return v == token, nil
}

// readLock returns the token in lock, "" when it is free.
func (p *Provider) readLock(ctx context.Context, lock string, cached bool) (string, error) {
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	var res valkey.ValkeyResult
	if cached {
		res = p.client.DoCache(ctx, p.client.B().Get().Key(lock).Cache(), pollFallback)
	} else {
		res = p.client.Do(ctx, p.client.B().Get().Key(lock).Build())
	}
	v, err := res.ToString()
	if valkey.IsValkeyNil(err) {
		return "", nil
	}
	if err != nil {
		return "", wrap("read lock", err)
	}
	return v, nil
}

// WaitLock implements lock.Backend. Like WaitLoad, it reads the lock with
// client-side caching so that the server pushes an invalidation when the
// lock changes or expires, and the push wakes the waiter; a poll every
// pollFallback covers lost pushes and servers without tracking. A lock the
// cache reports free is confirmed on the server first, so a late
// invalidation cannot make callers spin.
func (p *Provider) WaitLock(ctx context.Context, key driver.Key) error {
	if err := p.gate(); err != nil {
		return err
	}
	lock, _ := p.keys.lockKeys(key)
	wake := p.waiters.add(lock)
	defer p.waiters.remove(lock, wake)
	if p.tracking {
		v, err := p.readLock(ctx, lock, true)
		if err == nil && v == "" {
			v, err = p.readLock(ctx, lock, false)
		}
		if err != nil {
			return err
		}
		if v == "" {
			return nil
		}
	} else {
		v, err := p.readLock(ctx, lock, false)
		if err != nil {
			return err
		}
		if v == "" {
			return nil
		}
	}
	timer := time.NewTimer(pollFallback)
	defer timer.Stop()
	select {
	case <-wake:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.gate()
}
