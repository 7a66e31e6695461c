package valkeystore

import (
	"context"
	"fmt"
	"time"

	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/ratelimit/gcra"
	"github.com/valkey-io/valkey-go"
)

var _ gcra.Backend = (*Provider)(nil)

// gcraScript is one GCRA step in integer microseconds of the server's
// clock (TIME), so that clients with skewed clocks share one timeline. The
// key holds the theoretical arrival time and lives until it; a refused
// step and a peek (cost 0) write nothing. A value that is not a number
// counts as absent. The largest sums stay far below 2^53, where Lua's
// doubles stop being exact.
//
//	ARGV: interval µs, burst, cost
//	reply: allowed (0|1), remaining, reset-after µs, retry-after µs
var gcraScript = valkey.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '') or 0
if tat < now then tat = now end
local nexttat = tat + interval * tonumber(ARGV[3])
local allowat = nexttat - tolerance
if allowat > now then
  return {0, math.max(0, math.floor((now - (tat - tolerance)) / interval)), tat - now, allowat - now}
end
if nexttat > tat then
  redis.call('SET', KEYS[1], string.format('%.0f', nexttat), 'PX', math.ceil((nexttat - now) / 1000))
end
return {1, math.max(0, math.floor((now - allowat) / interval)), nexttat - now, 0}`)

// RateLimit implements gcra.Backend with one Lua script on one key,
// <prefix>{%rate:esc(ns):esc(id)}, in integer microseconds of the server's
// clock (TIME), so that clients with skewed clocks share one timeline; the
// key lives until the quota is whole again. interval is rounded down to
// whole microseconds (at least one).
func (p *Provider) RateLimit(ctx context.Context, key driver.Key, interval time.Duration, burst, cost int64) (gcra.Decision, error) {
	if err := p.gate(); err != nil {
		return gcra.Decision{}, err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	us := max(interval.Microseconds(), 1)
	reply, err := gcraScript.Exec(ctx, p.client, []string{p.keys.coordKey(rateKind, key)},
		[]string{itoa(us), itoa(burst), itoa(cost)}).AsIntSlice()
	if err != nil {
		return gcra.Decision{}, wrap("rate limit", err)
	}
	if len(reply) != 4 {
		return gcra.Decision{}, fmt.Errorf("valkeystore: rate limit: reply of %d numbers, want 4", len(reply))
	}
	return gcra.Decision{
		Allowed:    reply[0] == 1,
		Remaining:  reply[1],
		ResetAfter: time.Duration(reply[2]) * time.Microsecond,
		RetryAfter: time.Duration(reply[3]) * time.Microsecond,
	}, nil
}

// ResetRate implements gcra.Backend: it deletes key's state.
func (p *Provider) ResetRate(ctx context.Context, key driver.Key) error {
	if err := p.gate(); err != nil {
		return err
	}
	ctx, cancel := p.deadline(ctx, p.cfg.AtomicTimeout)
	defer cancel()
	if err := p.client.Do(ctx, p.client.B().Del().Key(p.keys.coordKey(rateKind, key)).Build()).Error(); err != nil {
		return wrap("reset rate", err)
	}
	return nil
}
