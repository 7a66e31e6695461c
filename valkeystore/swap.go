package valkeystore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valkey-io/valkey-go"
)

var _ driver.Swapper = (*Provider)(nil)

// swapScript compares the stored bytes with the SHA-1 of what the caller
// read ("" for absent), then sets, deletes or gives up. One key, one slot.
// The old value itself is never sent back. A load's placeholder counts as
// absent, so a compute takes the key over from a running load (whose write
// then fails, as a write during a load must win).
//
//	ARGV: old digest, mode ("set" | "del"), value, px ("-1": none), keepttl ("1" | "0"), placeholder prefix
var swapScript = valkey.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
local digest = ''
if v and string.sub(v, 1, string.len(ARGV[6])) ~= ARGV[6] then digest = redis.sha1hex(v) end
if digest ~= ARGV[1] then return 0 end
if ARGV[2] == 'del' then redis.call('DEL', KEYS[1]) return 1 end
if v and ARGV[5] == '1' then redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL') return 1 end
if ARGV[4] == '-1' then redis.call('SET', KEYS[1], ARGV[3]) else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return 1`)

// CompareAndSwap implements driver.Swapper.
func (p *Provider) CompareAndSwap(ctx context.Context, key driver.Key, old, value []byte, ttl time.Duration, keepTTL bool) (bool, error) {
	if err := p.gate(); err != nil {
		return false, err
	}
	mode, px := "del", "-1"
	if value != nil {
		if _, err := p.setCommand(key, value, ttl); err != nil { // validates TTL and size
			return false, err
		}
		mode = "set"
		if ttl != driver.NoExpiry {
			px = itoa(millis(ttl))
		}
	}
	digest := ""
	if old != nil {
		sum := sha1.Sum(old)
		digest = hex.EncodeToString(sum[:])
	}
	keep := "0"
	if keepTTL {
		keep = "1"
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	n, err := swapScript.Exec(ctx, p.client, []string{p.keys.entryKey(key)}, []string{digest, mode, string(value), px, keep, placeholderPrefix}).AsInt64()
	if err != nil {
		return false, wrap(fmt.Sprintf("compare and swap %s", mode), err)
	}
	return n == 1, nil
}
