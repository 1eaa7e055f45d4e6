-- Replaces forming candles with the rules of sift_candles::CandleStore::put_forming.
-- Layout (built by write.rs), for candle i = 1..n:
--   KEYS[1] = symbols index
--   KEYS[3i-1] = lastClosed, KEYS[3i] = forming, KEYS[3i+1] = intervals index
--   ARGV[4i-3..4i] = open time, encoded candle, symbol, interval
-- Returns n integers: 1 = stored, 0 = stale (at or before the newest closed candle, or before
-- the current forming one).
local n = (#KEYS - 1) / 3
if n < 1 then
  return {}
end
local last_keys, forming_keys = {}, {}
for i = 1, n do
  last_keys[i] = KEYS[3 * i - 1]
  forming_keys[i] = KEYS[3 * i]
end
local got_last = redis.call('MGET', unpack(last_keys))
local got_forming = redis.call('MGET', unpack(forming_keys))
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
local out, value, order = {}, {}, {}
for i = 1, n do
  local a = 4 * (i - 1)
  local lk, fk = last_keys[i], forming_keys[i]
  local t = tonumber(ARGV[a + 1])
  local closed, current = newest[lk], forming[fk]
  if (closed and t <= closed) or (current and t < current) then
    out[i] = 0
  else
    if not closed and not current then
      redis.call('SADD', KEYS[1], ARGV[a + 3])
      redis.call('SADD', KEYS[3 * i + 1], ARGV[a + 4])
    end
    if not value[fk] then
      order[#order + 1] = fk
    end
    value[fk] = ARGV[a + 2]
    forming[fk] = t
    out[i] = 1
  end
end
if #order > 0 then
  local args = {}
  for _, k in ipairs(order) do
    args[#args + 1] = k
    args[#args + 1] = value[k]
  end
  redis.call('MSET', unpack(args))
end
return out
