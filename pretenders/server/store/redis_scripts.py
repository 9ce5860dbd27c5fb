"""The Redis store's Lua scripts: each store operation on a mock is one atomic script.

Every script gets the mock's six keys, which share the hash tag ``{<id>}`` (so a Redis
Cluster keeps a mock on one shard), and ``id``, ``gen`` and ``now`` first in ARGV:

- ``pt:{id}:m`` hash: protocol, timeout ('' for none), start, last (its last use), gen
  (a random token per creation: a handle of a deleted mock never reaches a new one of the
  same name), ver (bumped whenever the preset set changes), pid and seq (the next preset
  id and record number), dropped, hbytes and pbytes (history and preset bytes), details;
- ``pt:{id}:p`` hash: preset id -> its definition (msgpack); ``:l`` uses left (-1:
  FOREVER); ``:s`` requests served;
- ``pt:{id}:h`` list: the kept records (msgpack), oldest first;
- ``pt:{id}:st`` hash: the state machine instances not in ``start``: machine (and a
  space and the key, when keyed) -> state.

A mock idle past its timeout is deleted by the first script that sees it so (and the
deletion published on ``pt:removed`` as ``"<id> <gen>"``), once. New records are
published on ``pt:{<id>}:e`` with their number.
"""

from __future__ import annotations

_PREAMBLE = """
local M, P, L, S, H, ST = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, gen, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function remove(g)
  redis.call('DEL', M, P, L, S, H, ST)
  redis.call('PUBLISH', 'pt:removed', id .. ' ' .. g)
end
local function live()
  local m = redis.call('HMGET', M, 'gen', 'timeout', 'last')
  if not m[1] then return nil end
  if m[2] ~= '' and now - tonumber(m[3]) > tonumber(m[2]) then
    remove(m[1])
    return nil
  end
  if gen ~= '' and m[1] ~= gen then return nil end
  return m[1]
end
"""

_WHEN_LIVE = (
    _PREAMBLE
    + """
if not live() then return {0} end
"""
)
"""The preamble, then the answer ``{0}`` when the mock is gone (deleted, expired, or
another generation): the start of every script that answers a list led by its outcome."""

_FORGET_PRESET = """
local function forget(pid)
  local size = redis.call('HSTRLEN', P, pid)
  redis.call('HDEL', P, pid)
  redis.call('HDEL', L, pid)
  redis.call('HDEL', S, pid)
  redis.call('HINCRBY', M, 'ver', 1)
  redis.call('HINCRBY', M, 'pbytes', -size)
end
"""
"""``forget(pid)``: remove a preset, its counts and its bytes, and bump the version."""

CREATE = (
    _PREAMBLE
    + """
-- ARGV[4] protocol, ARGV[5] timeout; gen is the new mock's
local m = redis.call('HMGET', M, 'gen', 'timeout', 'last', 'protocol')
if m[1] then
  if m[2] ~= '' and now - tonumber(m[3]) > tonumber(m[2]) then
    remove(m[1])
  else
    if m[4] ~= ARGV[4] then return {'conflict', m[4]} end
    redis.call('HSET', M, 'last', ARGV[3])
    return {'joined', redis.call('HGETALL', M)}
  end
end
redis.call('DEL', P, L, S, H, ST)
redis.call('HSET', M, 'protocol', ARGV[4], 'timeout', ARGV[5], 'start', ARGV[3],
  'last', ARGV[3], 'gen', gen, 'ver', 0, 'pid', 0, 'seq', 0, 'dropped', 0,
  'hbytes', 0, 'pbytes', 0, 'details', '{}')
return {'created', redis.call('HGETALL', M)}
"""
)

META = (
    _PREAMBLE
    + """
if not live() then return {} end
return redis.call('HGETALL', M)
"""
)


def _set_when_live(field: str, argument: int) -> str:
    """A script that sets one field of a live mock's hash to ``ARGV[argument]``:
    answers 1, or 0 when the mock is gone."""
    return (
        _PREAMBLE
        + f"""
if not live() then return 0 end
redis.call('HSET', M, '{field}', ARGV[{argument}])
return 1
"""
    )


TOUCH = _set_when_live("last", 3)

DETAILS = _set_when_live("details", 4)

DELETE = (
    _PREAMBLE
    + """
-- ARGV[4]: 'expired' to delete only a mock idle past its timeout
local m = redis.call('HMGET', M, 'gen', 'timeout', 'last')
if not m[1] or (gen ~= '' and m[1] ~= gen) then return 0 end
if ARGV[4] == 'expired' and (m[2] == '' or now - tonumber(m[3]) <= tonumber(m[2])) then
  return 0
end
remove(m[1])
return 1
"""
)

SERVE = (
    _WHEN_LIVE
    + _FORGET_PRESET
    + """
-- ARGV[4] the preset version the caller matched against ('' to skip the check),
-- ARGV[5] the preset to claim ('' none), ARGV[6] the record ('' none),
-- ARGV[7] the most records kept ('' no limit), ARGV[8] the most history bytes (''),
-- ARGV[9] 'touch' to note a use of the mock (a request; not a mail or an SMTP stage)
-- ARGV[5] '*': the first of several candidates whose state holds (see below)
local function claim(pid, left)
  -- one use of the preset, which had left uses (-1: FOREVER); the times it was used
  local n = redis.call('HINCRBY', S, pid, 1)
  if left == 1 then
    forget(pid)
  elseif left > 1 then
    redis.call('HINCRBY', L, pid, -1)
  end
  return n
end
local function keep(blob)
  -- the record kept in the history within its bounds, and told of; its number
  local seq = redis.call('HINCRBY', M, 'seq', 1) - 1
  local kept = redis.call('RPUSH', H, blob)
  local bytes = redis.call('HINCRBY', M, 'hbytes', #blob)
  local dropped = 0
  local limit = tonumber(ARGV[7])
  if limit then
    while kept > limit do
      bytes = bytes - #redis.call('LPOP', H)
      kept = kept - 1
      dropped = dropped + 1
    end
  end
  local budget = tonumber(ARGV[8])
  if budget then
    while bytes > budget and kept > 1 do
      bytes = bytes - #redis.call('LPOP', H)
      kept = kept - 1
      dropped = dropped + 1
    end
  end
  if dropped > 0 then
    redis.call('HINCRBY', M, 'dropped', dropped)
    redis.call('HSET', M, 'hbytes', bytes)
  end
  redis.call('PUBLISH', 'pt:{' .. id .. '}:e', seq)
  return seq
end
local ver = redis.call('HGET', M, 'ver')
if ARGV[4] ~= '' and ver ~= ARGV[4] then return {1, ver} end
local pid = ARGV[5]
if pid == '*' then
  -- The presets whose rule matched, in order: ARGV[13...] in sixes: preset id, state
  -- field ('' none), state required ('' any), state to move to ('' none), how a reply
  -- is picked ('s' sequence, 'c' cycle, 'r<index>' drawn, '' one reply) and the
  -- replies' statuses. ARGV[6] the record up to its status, ARGV[10] between status
  -- and preset id, ARGV[11] the rest; ARGV[12] the most state instances a mock holds.
  local most = tonumber(ARGV[12])
  local seen = {}
  local at = nil
  for i = 13, #ARGV, 6 do
    if not redis.call('HGET', L, ARGV[i]) then return {1, ver} end
    local field, requires, to = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local holds = true
    if field ~= '' then
      local current = redis.call('HGET', ST, field) or 'start'
      seen[#seen + 1] = field
      seen[#seen + 1] = current
      if requires ~= '' and current ~= requires then
        holds = false
      elseif to ~= '' and to ~= 'start' and current == 'start'
          and redis.call('HLEN', ST) >= most then
        holds = false
      end
    end
    if holds then at = i break end
  end
  if not at then return {3, ver, seen, redis.call('HLEN', ST)} end
  pid = ARGV[at]
  local n = claim(pid, tonumber(redis.call('HGET', L, pid)))
  local field, to = ARGV[at + 1], ARGV[at + 3]
  if field ~= '' and to ~= '' then
    if to == 'start' then redis.call('HDEL', ST, field) else redis.call('HSET', ST, field, to) end
  end
  local statuses = {}
  for status in string.gmatch(ARGV[at + 5], '%d+') do statuses[#statuses + 1] = status end
  local mode, index = ARGV[at + 4], 0
  if mode == 's' then
    index = math.min(n, #statuses) - 1
  elseif mode == 'c' then
    index = (n - 1) % #statuses
  elseif mode ~= '' then
    index = tonumber(string.sub(mode, 2))
  end
  local status = tonumber(statuses[index + 1])
  if ARGV[9] == 'touch' then redis.call('HSET', M, 'last', ARGV[3]) end
  local blob = ARGV[6] .. cmsgpack.pack(status) .. ARGV[10] .. cmsgpack.pack(tonumber(pid))
    .. ARGV[11]
  return {2, keep(blob), tonumber(pid), index}
end
if pid ~= '' then
  local left = tonumber(redis.call('HGET', L, pid))
  if not left then return {1, ver} end
  claim(pid, left)
end
if ARGV[9] == 'touch' then redis.call('HSET', M, 'last', ARGV[3]) end
if ARGV[6] == '' then return {2, -1} end
return {2, keep(ARGV[6])}
"""
)

LOAD = (
    _WHEN_LIVE
    + """
return {1, redis.call('HGET', M, 'ver'), redis.call('HGETALL', P),
  redis.call('HGETALL', L), redis.call('HGETALL', S)}
"""
)

ADD = (
    _WHEN_LIVE
    + """
-- ARGV[4] the definition, ARGV[5] uses (-1: FOREVER), ARGV[6] the most presets a mock
-- holds (''), ARGV[7] the most preset bytes ('')
local held = redis.call('HLEN', P)
local most = tonumber(ARGV[6])
if most and held >= most then return {2, held} end
local size = #ARGV[4]
local used = tonumber(redis.call('HGET', M, 'pbytes'))
local budget = tonumber(ARGV[7])
if budget and used + size > budget then return {3, used, size} end
local pid = redis.call('HINCRBY', M, 'pid', 1) - 1
redis.call('HSET', P, pid, ARGV[4])
redis.call('HSET', L, pid, ARGV[5])
redis.call('HSET', S, pid, 0)
redis.call('HINCRBY', M, 'ver', 1)
redis.call('HINCRBY', M, 'pbytes', size)
redis.call('HSET', M, 'last', ARGV[3])
return {1, pid}
"""
)

REMOVE = (
    _PREAMBLE
    + _FORGET_PRESET
    + """
-- ARGV[4] the preset id, or '' for all of them
if not live() then return -1 end
if ARGV[4] == '' then
  redis.call('DEL', P, L, S)
  redis.call('HSET', M, 'pbytes', 0)
  redis.call('HINCRBY', M, 'ver', 1)
  return 1
end
if redis.call('HEXISTS', P, ARGV[4]) == 0 then return 0 end
forget(ARGV[4])
return 1
"""
)

CLEAR_HISTORY = (
    _PREAMBLE
    + """
if not live() then return 0 end
redis.call('DEL', H)
redis.call('HSET', M, 'hbytes', 0, 'dropped', 0)
return 1
"""
)

RECORDS = (
    _PREAMBLE
    + """
-- ARGV[4] the first position, ARGV[5] the last (inclusive; -1 the latest)
if not live() then return {} end
local m = redis.call('HMGET', M, 'seq', 'dropped')
return {m[1], m[2], redis.call('LLEN', H), redis.call('LRANGE', H, ARGV[4], ARGV[5])}
"""
)

RECORD_AT = (
    _PREAMBLE
    + """
-- ARGV[4] the position (negative: from the latest)
if not live() then return {} end
return {redis.call('LINDEX', H, ARGV[4]) or ''}
"""
)

SINCE = (
    _PREAMBLE
    + """
-- ARGV[4] the first record number wanted, ARGV[5] the most records to answer
if not live() then return {} end
local seq = tonumber(redis.call('HGET', M, 'seq'))
local first = seq - redis.call('LLEN', H)
local start = tonumber(ARGV[4]) - first
if start < 0 then start = 0 end
return {first + start, redis.call('LRANGE', H, start, start + tonumber(ARGV[5]) - 1)}
"""
)

STATES = (
    _WHEN_LIVE
    + """
return {1, redis.call('HGETALL', ST)}
"""
)

SET_STATE = (
    _WHEN_LIVE
    + """
-- ARGV[4] the instance's field, ARGV[5] its state, ARGV[6] the most instances a mock holds
if ARGV[5] == 'start' then
  redis.call('HDEL', ST, ARGV[4])
  return {1}
end
local held = redis.call('HLEN', ST)
if redis.call('HEXISTS', ST, ARGV[4]) == 0 and held >= tonumber(ARGV[6]) then
  return {2, held}
end
redis.call('HSET', ST, ARGV[4], ARGV[5])
return {1}
"""
)

RESET_STATES = (
    _WHEN_LIVE
    + """
-- ARGV[4] 'all', 'machine' (ARGV[5] its name) or 'one' (ARGV[5] the instance's field)
if ARGV[4] == 'all' then
  local held = redis.call('HLEN', ST)
  redis.call('DEL', ST)
  return {1, held}
end
if ARGV[4] == 'one' then return {1, redis.call('HDEL', ST, ARGV[5])} end
local count = 0
local prefix = ARGV[5] .. ' '
for _, field in ipairs(redis.call('HKEYS', ST)) do
  if field == ARGV[5] or string.sub(field, 1, #prefix) == prefix then
    redis.call('HDEL', ST, field)
    count = count + 1
  end
end
return {1, count}
"""
)

AMEND = (
    _PREAMBLE
    + """
-- ARGV[4] the record as kept, ARGV[5] the record as it is to be, ARGV[6] how many of the
-- latest records to look among
if not live() then return 0 end
local at = redis.call('LPOS', H, ARGV[4], 'RANK', -1, 'MAXLEN', tonumber(ARGV[6]))
if not at then return 0 end
redis.call('LSET', H, at, ARGV[5])
redis.call('HINCRBY', M, 'hbytes', #ARGV[5] - #ARGV[4])
return 1
"""
)
