package valkeystore

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

// fieldsScript applies one update to a field entry, a hash at the entry's
// key: HSET of the changed fields, HDEL of the removed ones, then the
// expiry, all or nothing. Only the fields named are sent, so writers of
// different fields never overwrite each other. One key, one slot.
//
//	ARGV: create ("1" | "0"), px ("-1": none), number of fields set n,
//	      n name/value pairs, then the names to delete
var fieldsScript = valkey.NewLuaScript(`
if ARGV[1] == '0' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[3])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + 2 * n)) end
if #ARGV >= 4 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 4 + 2 * n)) end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ARGV[2] == '-1' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
end
return 1`)

// GetFields implements session.FieldStore with one HGETALL.
func (p *Provider) GetFields(ctx context.Context, key driver.Key) (map[string][]byte, bool, error) {
	if err := p.gate(); err != nil {
		return nil, false, err
	}
	ctx, cancel := p.opDeadline.bound(ctx)
	defer cancel()
	m, err := p.client.Do(ctx, p.client.B().Hgetall().Key(p.keys.entryKey(key)).Build()).AsStrMap()
	if err != nil {
		return nil, false, wrap("get fields", err)
	}
	if len(m) == 0 { // a hash with no field does not exist
		return nil, false, nil
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out, true, nil
}

// UpdateFields implements session.FieldStore with one script call.
func (p *Provider) UpdateFields(ctx context.Context, key driver.Key, set map[string][]byte, del []string, ttl time.Duration, create bool) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	if !driver.ValidTTL(ttl) {
		return false, fmt.Errorf("%w: %v", driver.ErrInvalidTTL, ttl)
	}
	size := 0
	for k, v := range set {
		size += len(k) + len(v)
	}
	if size > p.cfg.MaxValueBytes {
		return false, &driver.ValueTooLargeError{Size: size, Limit: p.cfg.MaxValueBytes}
	}
	px := "-1"
	if ttl != driver.NoExpiry {
		px = itoa(millis(ttl))
	}
	flag := "0"
	if create {
		flag = "1"
	}
	args := make([]string, 0, 3+2*len(set)+len(del))
	args = append(args, flag, px, itoa(int64(len(set))))
	for k, v := range set {
		args = append(args, k, string(v))
	}
	args = append(args, del...)
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	n, err := fieldsScript.Exec(ctx, p.client, []string{p.keys.entryKey(key)}, args).AsInt64()
	if err != nil {
		return false, wrap("update fields", err)
	}
	return n == 1, nil
}
