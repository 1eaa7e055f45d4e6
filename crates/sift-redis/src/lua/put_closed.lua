-- Appends closed candles, in order, with the rules of sift_candles::CandleStore::put_closed.
-- Layout (built by write.rs), for candle i = 1..n:
--   KEYS[1] = symbols index
--   KEYS[4i-2] = klines, KEYS[4i-1] = lastClosed, KEYS[4i] = forming, KEYS[4i+1] = intervals index
--   ARGV[1] = '1' when every candle is of a different series (a close burst), else '0'
--   ARGV[5i-3..5i+1] = open time, next open time, close time (the score), encoded candle,
--                      keep: the capacity N, negated when this append should trim
-- Returns 2n integers, per candle a code and the previous newest open time:
--   1 = appended as the first candle, 2 = appended after the candle opening at the second value
--   (Rust decides between Appended and AppendedAfterGap: months need the calendar),
--   3 = duplicate (an equal open time is among the newest N), 4 = stale (older than the newest,
--   not among the newest N).
--
-- Trimming is lazy: a series is trimmed to N only when the writer asks (about one append in 16,
-- staggered across series) or after a gap, so a sorted set holds at most N + 15 candles and the
-- readers return the newest N. Per candle the common case is one ZADD; the newest and forming
-- open times come from one MGET, lastClosed is one MSET, dropped forming candles one DEL.
local n = (#KEYS - 1) / 4
if n < 1 then
  return {}
end
local distinct = ARGV[1] == '1'
local state_keys = {}
for i = 1, n do
  state_keys[i] = KEYS[4 * i - 1]
  state_keys[n + i] = KEYS[4 * i]
end
local got = redis.call('MGET', unpack(state_keys))
-- Only when a series occurs several times: its state as the batch applies, by key.
local newest, forming, last_at = {}, {}, {}
local out, mset, dropped = {}, {}, {}
for i = 1, n do
  local a = 5 * i - 4
  local klines, lk, fk = KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local prev, f
  if distinct or newest[lk] == nil then
    prev = got[i] and struct.unpack('<i8', got[i]) or false
    f = got[n + i] and struct.unpack('<i8', got[n + i]) or false
  else
    prev, f = newest[lk], forming[fk]
  end
  local t = tonumber(ARGV[a + 1])
  local keep = tonumber(ARGV[a + 5])
  if prev and t <= prev then
    local code = 3
    if t < prev then
      -- Stored candles close within their own period, so a close time in [t, next open)
      -- belongs to the candle opening at t; it counts only among the newest N.
      local hit = redis.call('ZRANGEBYSCORE', klines, t, tonumber(ARGV[a + 2]) - 1, 'LIMIT', 0, 1)
      if #hit == 0 or redis.call('ZCOUNT', klines, t, '+inf') > math.abs(keep) then
        code = 4
      end
    end
    out[2 * i - 1] = code
    out[2 * i] = 0
  else
    local member = ARGV[a + 4]
    redis.call('ZADD', klines, ARGV[a + 3], member)
    -- Trim when asked, and after a possible gap (a jump longer than this candle's own period),
    -- which could have skipped the append that would have trimmed.
    if keep < 0 or (prev and t - prev > tonumber(ARGV[a + 2]) - t) then
      redis.call('ZREMRANGEBYRANK', klines, 0, -1 - math.abs(keep))
    end
    if distinct then
      mset[#mset + 1] = lk
      mset[#mset + 1] = member
    else
      local at = last_at[lk]
      if at then
        mset[at] = member
      else
        mset[#mset + 1] = lk
        mset[#mset + 1] = member
        last_at[lk] = #mset
      end
    end
    if f and f <= t then
      dropped[#dropped + 1] = fk
      f = false
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
    prev = t
  end
  if not distinct then
    newest[lk], forming[fk] = prev, f
  end
end
if #mset > 0 then
  redis.call('MSET', unpack(mset))
end
if #dropped > 0 then
  redis.call('DEL', unpack(dropped))
end
return out
