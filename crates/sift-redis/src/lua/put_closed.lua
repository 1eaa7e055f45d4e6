-- Appends closed candles, in order, with the rules of sift_candles::CandleStore::put_closed.
-- Layout (built by write/closed.rs), for candle i = 1..n:
--   KEYS[1] = symbols index, KEYS[1+i] = lastClosed, KEYS[1+n+i] = klines
--   ARGV[1] = '1' when every candle is of a different series (a close burst), else '0'
--   ARGV[2] = the key prefix (for intervals:{SYMBOL}, written with a series' first candle)
--   ARGV[3] = per candle 24 bytes: its open time, the next open time and keep (the capacity N,
--             negated when this append should trim), each i64 little-endian
--   ARGV[2+2i] = close time (the score), ARGV[3+2i] = encoded candle
-- Returns 2n integers, per candle a code and the previous newest open time:
--   1 = appended as the first candle, 2 = appended after the candle opening at the second value
--   (Rust decides between Appended and AppendedAfterGap: months need the calendar),
--   3 = duplicate (an equal open time is among the newest N), 4 = stale (older than the newest,
--   not among the newest N).
--
-- Trimming is lazy: a series is trimmed to N only when the writer asks (about one append in 16,
-- staggered across series) or after a gap, so a sorted set holds at most N + 15 candles and the
-- readers return the newest N. Per candle the common case is one ZADD; the newest open times
-- come from one MGET and lastClosed is one MSET. A close leaves the forming key alone: readers
-- ignore a forming candle that does not open after lastClosed, and the next forming candle
-- replaces it.
--
-- Every argument costs Redis a Lua string (a hash and a copy), and tonumber a strtod, so the
-- numbers travel packed in ARGV[3].
local n = (#KEYS - 1) / 2
if n < 1 then
  return {}
end
local distinct = ARGV[1] == '1'
local meta = ARGV[3]
local got = redis.call('MGET', unpack(KEYS, 2, n + 1))
-- Only when a series occurs several times: its newest open time as the batch applies, by key.
local newest, last_at = {}, {}
local out, mset = {}, {}
for i = 1, n do
  local lk, klines = KEYS[1 + i], KEYS[1 + n + i]
  local member = ARGV[3 + 2 * i]
  local t, next_open, keep = struct.unpack('<i8i8i8', meta, 24 * i - 23)
  local prev
  if distinct or newest[lk] == nil then
    prev = got[i] and struct.unpack('<i8', got[i]) or false
  else
    prev = newest[lk]
  end
  if prev and t <= prev then
    local code = 3
    if t < prev then
      -- Stored candles close within their own period, so a close time in [t, next open)
      -- belongs to the candle opening at t; it counts only among the newest N.
      local hit = redis.call('ZRANGEBYSCORE', klines, t, next_open - 1, 'LIMIT', 0, 1)
      if #hit == 0 or redis.call('ZCOUNT', klines, t, '+inf') > math.abs(keep) then
        code = 4
      end
    end
    out[2 * i - 1] = code
    out[2 * i] = 0
  else
    redis.call('ZADD', klines, ARGV[2 + 2 * i], member)
    -- Trim when asked, and after a possible gap (a jump longer than this candle's own period),
    -- which could have skipped the append that would have trimmed.
    if keep < 0 or (prev and t - prev > next_open - t) then
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
    if prev then
      out[2 * i - 1] = 2
      out[2 * i] = prev
    else
      out[2 * i - 1] = 1
      out[2 * i] = 0
      -- The first candle of the series: index it (klines key ends with SYMBOL:INTERVAL).
      local symbol, interval = string.match(klines, '([^:]+):([^:]+)$')
      redis.call('SADD', KEYS[1], symbol)
      redis.call('SADD', ARGV[2] .. 'intervals:' .. symbol, interval)
    end
    prev = t
  end
  if not distinct then
    newest[lk] = prev
  end
end
if #mset > 0 then
  redis.call('MSET', unpack(mset))
end
return out
