package valkeystore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

var _ driver.LoadLocker = (*Provider)(nil)

// Markers held in an entry's key instead of a value: a load in progress,
// or a load that just failed. Their first byte, 0xff, can never start an
// envelope (whose first byte is its format, 1).
const (
	markerPrefix      = "\xffvalcache-"
	placeholderPrefix = markerPrefix + "load:"
	failurePrefix     = markerPrefix + "fail:"
)

// isPlaceholder reports a marker: reads treat one as a miss.
func isPlaceholder(b []byte) bool {
	return len(b) > 0 && b[0] == markerPrefix[0] && strings.HasPrefix(string(b), markerPrefix)
}

// pollFallback bounds how long a waiter sleeps without an invalidation
// where there are no pushes (tracking is off).
const pollFallback = 200 * time.Millisecond

// loadWaitSafety bounds a load waiter's sleep where pushes wake it. A load
// that ends wakes it without polling: the loader's write, failure mark or
// release changes the key (pushed; and this provider's own changes, which
// NOLOOP does not push back, wake its waiters directly), and a lost
// connection or a flush wakes every waiter. A lease that runs out is not
// reliably pushed (the server deletes an expired key when its sampling
// finds it, which can take long on a large keyspace), so the waiter also
// wakes when the placeholder's remaining life has passed. The bound is a
// safety net beyond both.
const loadWaitSafety = 5 * time.Second

// acquireScript sets the placeholder on an absent key, or over a failure
// mark: the mark answers the waiters of the load that failed, and a new
// caller tries afresh (errors are not cached). A key that holds a value
// instead is not taken, and the value comes back, so the caller sees at
// once what was written since it looked; another load's placeholder does
// not. A key that already holds this very placeholder was taken by an
// earlier send of the same call, whose reply was lost: it is the caller's.
// One key, so one slot.
var acquireScript = valkey.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return {1} end
if v and string.sub(v, 1, string.len(ARGV[2])) ~= ARGV[2] then
  if string.sub(v, 1, string.len(ARGV[4])) == ARGV[4] then return {0} end
  return {0, v}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {1}`)

// replaceScript sets the placeholder if the key is absent or still holds the
// bytes the caller saw (compared by SHA-1, so they are not sent back), and
// otherwise returns what it holds, as acquireScript does (this very
// placeholder included). One key, so one slot.
var replaceScript = valkey.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return {1} end
if v and redis.sha1hex(v) ~= ARGV[2] then
  if string.sub(v, 1, string.len(ARGV[4])) == ARGV[4] then return {0} end
  return {0, v}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {1}`)

// setIfOursScript writes the value only while our placeholder is there. A
// key that already holds exactly the value was written by an earlier send
// of the same call, whose reply was lost.
var setIfOursScript = valkey.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[2] then return 1 end
if v ~= ARGV[1] then return 0 end
if ARGV[3] == '-1' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`)

// failScript swaps our placeholder for a failure mark.
var failScript = valkey.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)

// FailLoad implements driver.LoadLocker.
func (p *Provider) FailLoad(ctx context.Context, key driver.Key, token, reason string, hold time.Duration) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	if len(reason) > 512 {
		reason = reason[:512]
	}
	name := p.keys.entryKey(key)
	err := failScript.Exec(ctx, p.client, []string{name},
		[]string{placeholderPrefix + token, failurePrefix + reason, itoa(max(millis(hold), 1))}).Error()
	if err != nil {
		return wrap("fail load", err)
	}
	p.waiters.wake(name)
	return nil
}

// releaseScript removes our placeholder and nothing else, or puts back the
// bytes it replaced.
var releaseScript = valkey.NewLuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return redis.call('DEL', KEYS[1])`)

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// maxResends bounds how often AcquireLoad sends its script again after a
// lost reply, besides its deadline.
const maxResends = 5

// AcquireLoad implements driver.LoadLocker with one-key scripts: for an
// absent key (or one marked as failed), or for the exact stale bytes seen.
//
// A reply lost with its connection (a reset, the server closing it) leaves
// open whether the script ran and the key now holds this load's
// placeholder; the caller, not knowing the token, would then wait for its
// own load until the lease ran out. So the script is sent again, with the
// same token, within the deadline: a placeholder of this token is the
// caller's.
func (p *Provider) AcquireLoad(ctx context.Context, key driver.Key, lease time.Duration, seen []byte) (string, bool, []byte, error) {
	if err := p.gate(); err != nil {
		return "", false, nil, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	token := newToken()
	name := p.keys.entryKey(key)
	if seen == nil {
		// The common case, a key nobody holds: SET NX GET takes it, or
		// returns what is there, in one command without a script.
		// A send whose reply was lost with its connection is sent again with
		// the same token: finding its own placeholder, it has the key.
		mine := placeholderPrefix + token
		set := func() ([]byte, error) {
			cmd := p.client.B().Set().Key(name).Value(mine).Nx().Get().PxMilliseconds(millis(lease)).Build()
			return p.client.Do(ctx, cmd).AsBytes()
		}
		held, err := set()
		for attempt := 0; attempt < maxResends && lostReply(err) && waitTransient(ctx, attempt); attempt++ {
			held, err = set()
		}
		switch {
		case valkey.IsValkeyNil(err):
			return token, true, nil, nil
		case err != nil:
			return "", false, nil, wrap("acquire load", err)
		case string(held) == mine:
			return token, true, nil, nil
		case bytes.HasPrefix(held, []byte(failurePrefix)):
			// A failed load's mark: taken over by the script below.
		case isPlaceholder(held):
			return token, false, nil, nil
		default:
			if held == nil {
				held = []byte{}
			}
			return token, false, held, nil
		}
	}
	script, match := acquireScript, failurePrefix
	if seen != nil {
		sum := sha1.Sum(seen)
		script, match = replaceScript, hex.EncodeToString(sum[:])
	}
	args := []string{placeholderPrefix + token, match, itoa(millis(lease)), markerPrefix}
	reply, err := script.Exec(ctx, p.client, []string{name}, args).ToArray()
	for attempt := 0; attempt < maxResends && lostReply(err) && waitTransient(ctx, attempt); attempt++ {
		reply, err = script.Exec(ctx, p.client, []string{name}, args).ToArray()
	}
	if err == nil && len(reply) == 0 {
		err = errShortReply
	}
	if err != nil {
		return "", false, nil, wrap("acquire load", err)
	}
	n, err := reply[0].AsInt64()
	if err != nil {
		return "", false, nil, wrap("acquire load", err)
	}
	var current []byte
	if n != 1 && len(reply) > 1 {
		if current, err = reply[1].AsBytes(); err != nil {
			return "", false, nil, wrap("acquire load", err)
		}
		if current == nil {
			current = []byte{}
		}
	}
	return token, n == 1, current, nil
}

// SetLoaded implements driver.LoadLocker.
func (p *Provider) SetLoaded(ctx context.Context, key driver.Key, token string, value []byte, ttl time.Duration) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	if err := p.checkWrite(value, ttl); err != nil {
		return false, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	px := "-1"
	if ttl != driver.NoExpiry {
		px = itoa(millis(ttl))
	}
	name := p.keys.entryKey(key)
	n, err := setIfOursScript.Exec(ctx, p.client, []string{name},
		[]string{placeholderPrefix + token, string(value), px}).AsInt64()
	if err != nil {
		return false, wrap("set loaded", err)
	}
	p.waiters.wake(name)
	return n == 1, nil
}

// ReleaseLoad implements driver.LoadLocker.
func (p *Provider) ReleaseLoad(ctx context.Context, key driver.Key, token string, restore []byte, restoreTTL time.Duration) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	px := "1"
	if restore != nil && restoreTTL > 0 {
		px = itoa(millis(restoreTTL))
	} else {
		restore = nil
	}
	name := p.keys.entryKey(key)
	if err := releaseScript.Exec(ctx, p.client, []string{name}, []string{placeholderPrefix + token, string(restore), px}).Error(); err != nil {
		return wrap("release load", err)
	}
	p.waiters.wake(name)
	return nil
}

// WaitLoad implements driver.LoadLocker. The key is read with client-side
// caching, so the server pushes an invalidation when it changes or expires;
// the push wakes the waiter; there is no polling but where tracking is off.
func (p *Provider) WaitLoad(ctx context.Context, key driver.Key) error {
	if err := p.gate(); err != nil {
		return err
	}
	name := p.keys.entryKey(key)
	wake := p.waiters.add(name)
	defer p.waiters.remove(name, wake)
	sleep := pollFallback
	if p.tracking {
		rctx, cancel := p.opDeadline.bound(ctx)
		resp := p.client.DoCache(rctx, p.client.B().Get().Key(name).Cache(), loadWaitSafety)
		cancel()
		b, err := resp.AsBytes()
		if err == nil && strings.HasPrefix(string(b), failurePrefix) {
			return &driver.LoadFailedError{Reason: string(b[len(failurePrefix):])}
		}
		if (err == nil && !isPlaceholder(b)) || valkey.IsValkeyNil(err) {
			return nil // the load is over already
		}
		// Until the placeholder's lease runs out, a push says when it ends.
		sleep = loadWaitSafety
		if left := resp.CachePTTL(); left >= 0 {
			sleep = min(sleep, time.Duration(left+1)*time.Millisecond)
		}
	}
	timer := time.NewTimer(sleep)
	defer timer.Stop()
	select {
	case <-wake:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.tracking {
		// The wake may be the failure mark arriving: look once more.
		rctx, cancel := p.opDeadline.bound(ctx)
		b, err := p.client.DoCache(rctx, p.client.B().Get().Key(name).Cache(), loadWaitSafety).AsBytes()
		cancel()
		if err == nil && strings.HasPrefix(string(b), failurePrefix) {
			return &driver.LoadFailedError{Reason: string(b[len(failurePrefix):])}
		}
	}
	return nil
}

// waiters maps key names to the channels of processes' waiters on them. The
// invalidation callback only signals these channels: it runs on a
// connection's reader goroutine, where calling the client could deadlock it.
type waiters struct {
	mu    sync.Mutex
	byKey map[string][]chan struct{}
	n     atomic.Int64 // how many wait, so that writes skip the lock when none does
}

// wake wakes the waiters of name, after a change this provider made to it.
func (w *waiters) wake(name string) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	signal(w.byKey[name])
}

func (w *waiters) add(name string) chan struct{} {
	ch := make(chan struct{}, 1)
	w.n.Add(1)
	w.mu.Lock()
	if w.byKey == nil {
		w.byKey = map[string][]chan struct{}{}
	}
	w.byKey[name] = append(w.byKey[name], ch)
	w.mu.Unlock()
	return ch
}

func (w *waiters) remove(name string, ch chan struct{}) {
	defer w.n.Add(-1)
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.byKey[name]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(w.byKey, name)
	} else {
		w.byKey[name] = list
	}
}

// onInvalidations wakes the waiters of the keys named, or every waiter when
// the server flushed or the connection was lost (a nil batch).
func (w *waiters) onInvalidations(msgs []valkey.ValkeyMessage) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if msgs == nil {
		for _, list := range w.byKey {
			signal(list)
		}
		return
	}
	for _, m := range msgs {
		if name, err := m.ToString(); err == nil {
			signal(w.byKey[name])
		}
	}
}

func signal(list []chan struct{}) {
	for _, ch := range list {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var _ driver.RefreshLocker = (*Provider)(nil)

// AcquireRefresh implements driver.RefreshLocker with SET NX PX on a key
// beside the entry, in its slot: <entry key>:refresh.
func (p *Provider) AcquireRefresh(ctx context.Context, key driver.Key, lease time.Duration) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	err := p.client.Do(ctx, p.client.B().Set().Key(p.keys.refreshKey(key)).Value("1").Nx().PxMilliseconds(millis(lease)).Build()).Error()
	if valkey.IsValkeyNil(err) {
		return false, nil
	}
	if err != nil {
		return false, wrap("acquire refresh", err)
	}
	return true, nil
}
