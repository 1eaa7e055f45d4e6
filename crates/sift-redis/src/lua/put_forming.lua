-- Replaces forming candles with the rules of sift_candles::CandleStore::put_forming.
-- Layout (built by write/mod.rs), for candle i = 1..n:
--   KEYS[1] = symbols index, KEYS[1+i] = lastClosed, KEYS[1+n+i] = forming
--   ARGV[1] = '1' when every candle is of a different series (the mirror's coalesced flush),
--             else '0'
--   ARGV[2] = the key prefix (for intervals:{SYMBOL}, written with a series' first candle)
--   ARGV[2+i] = encoded candle (its open time leads)
-- Returns n integers: 1 = stored, 0 = stale (at or before the newest closed candle, or before
-- the current forming one).
-- As in put_closed.lua, each candle travels as one string and its open time is read from it.
local n = (#KEYS - 1) / 2
if n < 1 then
  return {}
end
local distinct = ARGV[1] == '1'
local got = redis.call('MGET', unpack(KEYS, 2, 2 * n + 1))
-- Only when a series occurs several times: its state as the batch applies, by forming key.
local newest, forming, at = {}, {}, {}
local out, mset = {}, {}
for i = 1, n do
  local fk = KEYS[1 + n + i]
  local value = ARGV[2 + i]
  local t = struct.unpack('<i8', value)
  local closed, current
  if distinct or newest[fk] == nil then
    closed = got[i] and struct.unpack('<i8', got[i]) or false
    current = got[n + i] and struct.unpack('<i8', got[n + i]) or false
  else
    closed, current = newest[fk], forming[fk]
  end
  if (closed and t <= closed) or (current and t < current) then
    out[i] = 0
  else
    if not closed and not current then
      -- The first candle of the series: index it (forming key ends with SYMBOL:INTERVAL).
      local symbol, interval = string.match(fk, '([^:]+):([^:]+)$')
      redis.call('SADD', KEYS[1], symbol)
      redis.call('SADD', ARGV[2] .. 'intervals:' .. symbol, interval)
    end
    if not distinct and at[fk] then
      mset[at[fk]] = value
    else
      mset[#mset + 1] = fk
      mset[#mset + 1] = value
      if not distinct then
        at[fk] = #mset
      end
    end
    current = t
    out[i] = 1
  end
  if not distinct then
    newest[fk], forming[fk] = closed, current
  end
end
if #mset > 0 then
  redis.call('MSET', unpack(mset))
end
return out
