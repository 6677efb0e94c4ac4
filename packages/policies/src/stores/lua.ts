/**
 * Atomic counter scripts, one per algorithm (plus the reconcile `add`). They read the clock from
 * Redis (TIME) so every gateway agrees on window boundaries whatever its own clock says, and refuse
 * a hit without counting it so RateLimit-Remaining stays exact.
 *
 * KEYS[1] is the counter's base key wrapped in a hash tag, so the window keys derived from it land in
 * the same cluster slot. Replies are integers: {current, previous, elapsed ms, admitted (1|0)}.
 */

const PRELUDE = `
-- Redis < 5 needs effects replication to write after TIME; newer versions always do it.
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local anchor = tonumber(ARGV[4])
local start = anchor + math.floor((now - anchor) / windowMs) * windowMs
local elapsed = now - start
local currentKey = KEYS[1] .. ':' .. string.format('%.0f', start)
`;

/** ARGV: windowMs, limit, cost, anchor, peek (1|0). */
export const FIXED_WINDOW_SCRIPT = `${PRELUDE}
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', currentKey) or '0')
if ARGV[5] == '1' then return {current, 0, elapsed, 1} end
if current + cost > limit then return {current, 0, elapsed, 0} end
current = redis.call('INCRBY', currentKey, cost)
redis.call('PEXPIREAT', currentKey, start + windowMs + 1000)
return {current, 0, elapsed, 1}
`;

/** ARGV: windowMs, limit, cost, anchor, peek (1|0). Same weighting as window.ts slidingEstimate. */
export const SLIDING_WINDOW_SCRIPT = `${PRELUDE}
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local previousKey = KEYS[1] .. ':' .. string.format('%.0f', start - windowMs)
local previous = tonumber(redis.call('GET', previousKey) or '0')
local current = tonumber(redis.call('GET', currentKey) or '0')
if ARGV[5] == '1' then return {current, previous, elapsed, 1} end
local estimate = previous * (windowMs - elapsed) / windowMs + current
if estimate + cost > limit then return {current, previous, elapsed, 0} end
current = redis.call('INCRBY', currentKey, cost)
redis.call('PEXPIREAT', currentKey, start + 2 * windowMs + 1000)
return {current, previous, elapsed, 1}
`;

/** ARGV: windowMs, delta, (unused), anchor. Returns the window's shared total after adding. */
export const ADD_SCRIPT = `${PRELUDE}
local total = redis.call('INCRBY', currentKey, tonumber(ARGV[2]))
redis.call('PEXPIREAT', currentKey, start + 2 * windowMs + 1000)
return total
`;
