package valkeystore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/valcache/valcache/search/index"
	"github.com/valkey-io/valkey-go"
)

// The BM25 parameters, as Lua literals.
var (
	bm25K1 = strconv.FormatFloat(index.BM25K1, 'g', -1, 64)
	bm25B  = strconv.FormatFloat(index.BM25B, 'g', -1, 64)
)

// The index scripts share these functions. Each script runs on one shard,
// whose keys all start with base (ARGV[1]) and so share one slot; every
// key a script touches is base followed by a suffix the script received as
// an argument or stored itself. User data reaches scripts only as
// arguments, never as code.
//
// A document's record (base:d:<id>) holds its revision, text length, and one
// field per posting key ("k:" + suffix), with "s" for a set and "z" for a
// sorted set, so its postings can be removed without knowing its values.
const indexLuaLib = `
local base = ARGV[1]
local xkey, stats = base .. ':x', base .. ':s'
-- compact rewrites a set or sorted set that shrank far below the size at
-- which the server leaves its compact encoding (128 members by default):
-- the server never converts back by itself, so without this a shard that
-- once held many documents would keep their memory after they expired.
local function compact(k, kind)
  local n
  if kind == 's' then n = redis.call('SCARD', k) else n = redis.call('ZCARD', k) end
  if n == 0 or n > 64 then return end
  local enc = redis.call('OBJECT', 'ENCODING', k)
  if enc ~= 'skiplist' and enc ~= 'hashtable' then return end
  if kind == 's' then
    local m = redis.call('SMEMBERS', k)
    redis.call('DEL', k)
    redis.call('SADD', k, unpack(m))
  else
    local m = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
    local args = {}
    for i = 1, #m, 2 do
      args[#args + 1] = m[i + 1]
      args[#args + 1] = m[i]
    end
    redis.call('DEL', k)
    redis.call('ZADD', k, unpack(args))
  end
end
local function unindex(id, rev)
  local rec = base .. ':d:' .. id
  local h = redis.call('HGETALL', rec)
  if #h == 0 then
    redis.call('ZREM', xkey, id)
    return 0
  end
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  if rev ~= '' and f['rev'] ~= rev then return 0 end
  for name, kind in pairs(f) do
    if string.sub(name, 1, 2) == 'k:' then
      local k = base .. string.sub(name, 3)
      if kind == 's' then redis.call('SREM', k, id) else redis.call('ZREM', k, id) end
      compact(k, kind)
    end
  end
  redis.call('DEL', rec)
  redis.call('ZREM', xkey, id)
  compact(xkey, 'z')
  local n = redis.call('HINCRBY', stats, 'n', -1)
  -- Skipped for zero: Lua writes -0 as "-0", which Redis 7 refuses as
  -- an integer.
  local len = tonumber(f['len'] or '0')
  if len ~= 0 then redis.call('HINCRBY', stats, 'tl', -len) end
  if n <= 0 then redis.call('DEL', stats) end
  return 1
end
local function prune(now, budget)
  local ids = redis.call('ZRANGEBYSCORE', xkey, '-inf', ARGV[2], 'LIMIT', 0, budget)
  for _, id in ipairs(ids) do unindex(id, '') end
end
`

// indexDocScript replaces one document.
//
//	KEYS: base:x; ARGV: base, now ms, prune budget, id, rev, expiry ms,
//	length, then (suffix, kind, score) per posting.
var indexDocScript = newShaScript(indexLuaLib + `
local now, id, rev, exp, len = tonumber(ARGV[2]), ARGV[4], ARGV[5], ARGV[6], ARGV[7]
unindex(id, '')
if tonumber(exp) > now then
  local rec = base .. ':d:' .. id
  redis.call('HSET', rec, 'rev', rev, 'len', len)
  local h = {}
  for i = 8, #ARGV, 3 do
    local suffix, kind = ARGV[i], ARGV[i + 1]
    if kind == 's' then
      redis.call('SADD', base .. suffix, id)
    else
      redis.call('ZADD', base .. suffix, ARGV[i + 2], id)
    end
    h[#h + 1] = 'k:' .. suffix
    h[#h + 1] = kind
    if #h >= 200 then
      redis.call('HSET', rec, unpack(h))
      h = {}
    end
  end
  if #h > 0 then redis.call('HSET', rec, unpack(h)) end
  redis.call('ZADD', xkey, exp, id)
  redis.call('HINCRBY', stats, 'n', 1)
  redis.call('HINCRBY', stats, 'tl', len)
end
prune(now, tonumber(ARGV[3]))
return 1`)

// unindexScript removes documents, each only at its revision when one is
// given.
//
//	KEYS: base:x; ARGV: base, now ms, prune budget, then (id, rev or "").
var unindexScript = newShaScript(indexLuaLib + `
local removed = 0
for i = 4, #ARGV, 2 do removed = removed + unindex(ARGV[i], ARGV[i + 1]) end
prune(tonumber(ARGV[2]), tonumber(ARGV[3]))
return removed`)

// queryShardScript finds a shard's matches. It starts from the smallest of
// the filters' member sets (or the terms' postings, or every live
// document), then checks each candidate against the other filters one
// membership test at a time, so a selective filter costs little whatever
// the others match.
//
//	KEYS: base:x
//	ARGV: base, now ms, prune budget, limit, sort suffix or "", desc "1"/"0",
//	      tag filter count, then per filter: value count, value key suffixes;
//	      range count, then per range: suffix, min, max ("" for open ends),
//	      min excluded, max excluded ("1"/"0");
//	      term count, then term key suffixes.
//	Reply: total, docs, total length, df per term, then per candidate:
//	       id, rev, sort score or "", length, tf per term.
var queryShardScript = newShaScript(indexLuaLib + `
local nows, now, budget, limit = ARGV[2], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local sortkey, desc = ARGV[5], ARGV[6] == '1'
prune(now, budget)
local pos = 6
local function nextarg()
  pos = pos + 1
  return ARGV[pos]
end
local tags = {}
for _ = 1, tonumber(nextarg()) do
  local keys = {}
  for j = 1, tonumber(nextarg()) do keys[j] = base .. nextarg() end
  tags[#tags + 1] = keys
end
local ranges = {}
for _ = 1, tonumber(nextarg()) do
  local key = base .. nextarg()
  local min = nextarg()
  local max = nextarg()
  local minx = nextarg() == '1'
  local maxx = nextarg() == '1'
  ranges[#ranges + 1] = {key = key, min = min, max = max, minx = minx, maxx = maxx}
end
local terms = {}
for j = 1, tonumber(nextarg()) do terms[j] = base .. nextarg() end
-- With BM25 statistics of the whole index (average length, then one idf
-- per term), a term query keeps only its best limit documents.
local scoring, avgdl, idf = pos < #ARGV, 1, {}
if scoring then
  avgdl = tonumber(nextarg())
  for j = 1, #terms do idf[j] = tonumber(nextarg()) end
end

local function bound(v, excl, open)
  if v == '' then return open end
  if excl then return '(' .. v end
  return v
end
-- ordered reads the first limit live members of a range of the sort
-- field in order, plus any tied with the last, and stops: a broad query
-- sorted by the field it filters on costs its page, not its matches. The
-- total is the range's count, which may include expired members not yet
-- pruned.
local function ordered(rg)
  local key = base .. sortkey
  local lo, hi = bound(rg.min, rg.minx, '-inf'), bound(rg.max, rg.maxx, '+inf')
  local total = redis.call('ZCOUNT', key, lo, hi)
  local got, off, chunk, last = {}, 0, limit + 16, nil
  while off < total do
    local m
    if desc then
      m = redis.call('ZREVRANGEBYSCORE', key, hi, lo, 'WITHSCORES', 'LIMIT', off, chunk)
    else
      m = redis.call('ZRANGEBYSCORE', key, lo, hi, 'WITHSCORES', 'LIMIT', off, chunk)
    end
    if #m == 0 then break end
    for j = 1, #m, 2 do
      if #got >= limit and m[j + 1] ~= last then return got, total end
      if tonumber(redis.call('ZSCORE', xkey, m[j]) or '0') > now then
        got[#got + 1] = {id = m[j], s = m[j + 1], tf = {}}
        if #got >= limit then last = m[j + 1] end
      end
    end
    off = off + chunk
    chunk = chunk * 2
  end
  return got, total
end

local function general()
  -- Choose the smallest source of candidates.
  local best, size, kind = nil, redis.call('ZCOUNT', xkey, '(' .. nows, '+inf'), 'all'
  for t, keys in ipairs(tags) do
    local n = 0
    for _, k in ipairs(keys) do n = n + redis.call('SCARD', k) end
    if n < size then best, size, kind = t, n, 'tag' end
  end
  for r, rg in ipairs(ranges) do
    local n = redis.call('ZCOUNT', rg.key, bound(rg.min, rg.minx, '-inf'), bound(rg.max, rg.maxx, '+inf'))
    if n < size then best, size, kind = r, n, 'range' end
  end
  if #terms > 0 then
    local n = 0
    for _, k in ipairs(terms) do n = n + redis.call('ZCARD', k) end
    if n <= size then best, size, kind = nil, n, 'terms' end
  end
  local cands, seen, tfs = {}, {}, {}
  local function take(list)
    for _, id in ipairs(list) do
      if not seen[id] then
        seen[id] = true
        cands[#cands + 1] = id
      end
    end
  end
  if kind == 'tag' then
    for _, k in ipairs(tags[best]) do take(redis.call('SMEMBERS', k)) end
  elseif kind == 'range' then
    local rg = ranges[best]
    take(redis.call('ZRANGEBYSCORE', rg.key, bound(rg.min, rg.minx, '-inf'), bound(rg.max, rg.maxx, '+inf')))
  elseif kind == 'terms' then
    -- The postings come with their frequencies, kept so that no candidate
    -- needs another call to learn them.
    for j, k in ipairs(terms) do
      local m, ids = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), {}
      local freq = {}
      for i = 1, #m, 2 do
        ids[#ids + 1] = m[i]
        freq[m[i]] = m[i + 1]
      end
      tfs[j] = freq
      take(ids)
    end
  else
    take(redis.call('ZRANGEBYSCORE', xkey, '(' .. nows, '+inf'))
  end

  local function inrange(rg, s)
    if not s then return false end
    local v = tonumber(s)
    if rg.min ~= '' then
      local m = tonumber(rg.min)
      if v < m or (rg.minx and v == m) then return false end
    end
    if rg.max ~= '' then
      local m = tonumber(rg.max)
      if v > m or (rg.maxx and v == m) then return false end
    end
    return true
  end
  local matches = {}
  for _, id in ipairs(cands) do
    local ok = kind == 'all' or tonumber(redis.call('ZSCORE', xkey, id) or '0') > now
    for t, keys in ipairs(tags) do
      if not ok then break end
      if not (kind == 'tag' and t == best) then
        ok = false
        for _, k in ipairs(keys) do
          if redis.call('SISMEMBER', k, id) == 1 then ok = true break end
        end
      end
    end
    for r, rg in ipairs(ranges) do
      if not ok then break end
      if not (kind == 'range' and r == best) then ok = inrange(rg, redis.call('ZSCORE', rg.key, id)) end
    end
    local tf = {}
    if ok and #terms > 0 then
      local any = false
      for j, k in ipairs(terms) do
        if tfs[j] then
          tf[j] = tfs[j][id] or '0'
        else
          tf[j] = redis.call('ZSCORE', k, id) or '0'
        end
        if tf[j] ~= '0' then any = true end
      end
      ok = any
    end
    if ok then
      local s = ''
      if sortkey ~= '' then s = redis.call('ZSCORE', base .. sortkey, id) or '' end
      matches[#matches + 1] = {id = id, s = s, tf = tf}
    end
  end
  local total = #matches
  if limit > 0 and total > limit and #terms > 0 and sortkey == '' and scoring then
    for _, m in ipairs(matches) do
      local len = tonumber(redis.call('HGET', base .. ':d:' .. m.id, 'len') or '0')
      local norm = ` + bm25K1 + ` * (1 - ` + bm25B + ` + ` + bm25B + ` * len / avgdl)
      local score = 0
      for j, v in ipairs(m.tf) do
        local f = tonumber(v)
        if f > 0 then score = score + idf[j] * f * (` + bm25K1 + ` + 1) / (f + norm) end
      end
      m.score = score
    end
    table.sort(matches, function(a, b)
      if a.score ~= b.score then return a.score > b.score end
      return a.id < b.id
    end)
    for j = limit + 1, total do matches[j] = nil end
  elseif limit > 0 and total > limit and (#terms == 0 or sortkey ~= '') then
    table.sort(matches, function(a, b)
      if a.s ~= b.s then
        if a.s == '' then return false end
        if b.s == '' then return true end
        local x, y = tonumber(a.s), tonumber(b.s)
        if x ~= y then
          if desc then return x > y end
          return x < y
        end
      end
      return a.id < b.id
    end)
    for j = limit + 1, total do matches[j] = nil end
  end
  return matches, total
end

local matches, total
if limit > 0 and #terms == 0 and #tags == 0 and #ranges == 1 and ranges[1].key == base .. sortkey then
  matches, total = ordered(ranges[1])
else
  matches, total = general()
end
local st = redis.call('HMGET', stats, 'n', 'tl')
local out = {total, tonumber(st[1] or '0'), tonumber(st[2] or '0')}
for _, k in ipairs(terms) do out[#out + 1] = redis.call('ZCARD', k) end
for _, m in ipairs(matches) do
  local r = redis.call('HMGET', base .. ':d:' .. m.id, 'rev', 'len')
  out[#out + 1] = m.id
  out[#out + 1] = r[1] or ''
  out[#out + 1] = m.s
  out[#out + 1] = r[2] or '0'
  for _, v in ipairs(m.tf) do out[#out + 1] = v end
end
return out`)

// shaScript runs a script by its SHA1 in pipelines, sending the body only
// to a node that does not know it yet (NOSCRIPT), so a fan-out over shards
// is one round trip per node.
type shaScript struct {
	body, sha string
}

func newShaScript(body string) *shaScript {
	sum := sha1.Sum([]byte(body))
	return &shaScript{body: body, sha: hex.EncodeToString(sum[:])}
}

// execMulti runs the script once per exec, pipelined.
func (s *shaScript) execMulti(ctx context.Context, c valkey.Client, execs []valkey.LuaExec) []valkey.ValkeyResult {
	cmds := make(valkey.Commands, len(execs))
	for i, e := range execs {
		cmds[i] = c.B().Evalsha().Sha1(s.sha).Numkeys(int64(len(e.Keys))).Key(e.Keys...).Arg(e.Args...).Build()
	}
	out := c.DoMulti(ctx, cmds...)
	var retry []int
	for i, r := range out {
		if err, ok := valkey.IsValkeyErr(r.Error()); ok && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) == 0 {
		return out
	}
	cmds = cmds[:0]
	for _, i := range retry {
		e := execs[i]
		cmds = append(cmds, c.B().Eval().Script(s.body).Numkeys(int64(len(e.Keys))).Key(e.Keys...).Arg(e.Args...).Build())
	}
	for j, r := range c.DoMulti(ctx, cmds...) {
		out[retry[j]] = r
	}
	return out
}
