-- Stores tickers with the rules of sift_candles::CandleStore::put_ticker, each with a TTL.
-- Layout (built by write/mod.rs), for ticker i = 1..n:
--   KEYS[i] = ticker key
--   ARGV[1] = TTL in milliseconds, ARGV[1+i] = encoded ticker (its event time leads)
-- Returns n integers: 1 = stored, 0 = stale (the stored ticker has a later event time).
local n = #KEYS
if n < 1 then
  return {}
end
local got = redis.call('MGET', unpack(KEYS))
local latest, out = {}, {}
for i = 1, n do
  local k = KEYS[i]
  if latest[k] == nil then
    latest[k] = got[i] and struct.unpack('<i8', got[i]) or false
  end
  local value = ARGV[1 + i]
  local e = struct.unpack('<i8', value)
  local current = latest[k]
  if current and e < current then
    out[i] = 0
  else
    redis.call('SET', k, value, 'PX', ARGV[1])
    latest[k] = e
    out[i] = 1
  end
end
return out
