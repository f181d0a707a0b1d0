-- GCRA over the buckets of one request, all or nothing. The arithmetic is
-- gcra.go's step, in integer microseconds of Redis' own clock.
--
-- KEYS[i]         the bucket of zone i (layout: keys.go)
-- ARGV[2i-1]      zone i's emission interval T, µs
-- ARGV[2i]        zone i's tolerance, burst × T, µs
--
-- Returns { allowed (1|0), then for each zone: allowed (1|0), remaining,
-- retry_after_us, reset_us }. Nothing is written unless every zone allows.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local res = { 1 }
local nexts = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local nxt = tat + interval
  local allow_at = nxt - tolerance
  local b = 4 * (i - 1) + 2
  if allow_at > now then
    res[1] = 0
    res[b], res[b + 1], res[b + 2], res[b + 3] = 0, 0, allow_at - now, tat - now
  else
    local remaining = math.floor((now - allow_at) / interval)
    local retry = 0
    if remaining == 0 then retry = allow_at + interval - now end
    res[b], res[b + 1], res[b + 2], res[b + 3] = 1, remaining, retry, nxt - now
    nexts[i] = nxt
  end
end
if res[1] == 1 then
  for i = 1, #KEYS do
    -- The key lives until the bucket is full again: then it is the same as absent.
    local ttl = math.ceil((nexts[i] - now) / 1000)
    redis.call('SET', KEYS[i], string.format('%.0f', nexts[i]), 'PX', ttl)
  end
end
return res
