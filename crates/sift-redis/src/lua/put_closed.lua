-- Appends closed candles, in order, with the rules of sift_candles::CandleStore::put_closed.
-- Layout (built by write.rs), for candle i = 1..n:
--   KEYS[1] = symbols index
--   KEYS[4i-2] = klines, KEYS[4i-1] = lastClosed, KEYS[4i] = forming, KEYS[4i+1] = intervals index
--   ARGV[5i-4..5i] = open time, next open time, close time (the score), encoded candle,
--                    -1 - capacity (the last rank ZREMRANGEBYRANK removes)
-- Returns 2n integers, per candle a code and the previous newest open time:
--   1 = appended as the first candle, 2 = appended after the candle opening at the second value
--   (Rust decides between Appended and AppendedAfterGap: months need the calendar),
--   3 = duplicate (an equal open time is stored), 4 = stale (older than the newest, not stored).
local n = (#KEYS - 1) / 4
if n < 1 then
  return {}
end
local last_keys, forming_keys = {}, {}
for i = 1, n do
  last_keys[i] = KEYS[4 * i - 1]
  forming_keys[i] = KEYS[4 * i]
end
local got_last = redis.call('MGET', unpack(last_keys))
local got_forming = redis.call('MGET', unpack(forming_keys))
-- Open times of the newest closed and the forming candle per key (false: none), updated as
-- the batch applies so that several candles of one series chain correctly.
local newest, forming = {}, {}
for i = 1, n do
  local lk, fk = last_keys[i], forming_keys[i]
  if newest[lk] == nil then
    newest[lk] = got_last[i] and struct.unpack('<i8', got_last[i]) or false
  end
  if forming[fk] == nil then
    forming[fk] = got_forming[i] and struct.unpack('<i8', got_forming[i]) or false
  end
end
local out, last_value, last_order, dropped = {}, {}, {}, {}
for i = 1, n do
  local a = 5 * (i - 1)
  local klines, lk, fk = KEYS[4 * i - 2], last_keys[i], forming_keys[i]
  local t = tonumber(ARGV[a + 1])
  local prev = newest[lk]
  if prev and t <= prev then
    local code = 3
    if t < prev then
      -- Stored candles close within their own period, so a close time in [t, next open)
      -- belongs to the candle opening at t.
      local hit = redis.call('ZRANGEBYSCORE', klines, t, tonumber(ARGV[a + 2]) - 1, 'LIMIT', 0, 1)
      if #hit == 0 then
        code = 4
      end
    end
    out[2 * i - 1] = code
    out[2 * i] = 0
  else
    local member = ARGV[a + 4]
    redis.call('ZADD', klines, ARGV[a + 3], member)
    redis.call('ZREMRANGEBYRANK', klines, 0, ARGV[a + 5])
    if not last_value[lk] then
      last_order[#last_order + 1] = lk
    end
    last_value[lk] = member
    newest[lk] = t
    local f = forming[fk]
    if f and f <= t then
      dropped[#dropped + 1] = fk
      forming[fk] = false
    end
    if prev then
      out[2 * i - 1] = 2
      out[2 * i] = prev
    else
      out[2 * i - 1] = 1
      out[2 * i] = 0
      -- The first candle of the series: index it (klines key ends with SYMBOL:INTERVAL).
      local symbol, interval = string.match(klines, '([^:]+):([^:]+)$')
      redis.call('SADD', KEYS[1], symbol)
      redis.call('SADD', KEYS[4 * i + 1], interval)
    end
  end
end
if #last_order > 0 then
  local args = {}
  for _, k in ipairs(last_order) do
    args[#args + 1] = k
    args[#args + 1] = last_value[k]
  end
  redis.call('MSET', unpack(args))
end
if #dropped > 0 then
  redis.call('DEL', unpack(dropped))
end
return out
