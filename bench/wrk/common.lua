-- What every stream of `python -m bench load` shares: the headers the proxy in front of gunicorn would
-- add, the tally of answers a stream did not expect, and one JSON line for the benchmark to read.
--
-- wrk runs setup() and done() in its main Lua state and init(), request() and response() in one state
-- per thread, so each thread keeps its own tally in globals and done() collects them with thread:get.

local common = {}
local threads = {}

-- Globals of each thread's state, read back by done().
ok = 0
unexpected = {}

function common.setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function common.init()
  -- Each thread draws different client addresses.
  math.randomseed(os.time() * 100 + thread_number)
end

-- The app runs with production settings behind one trusted proxy (CARECRM_TRUSTED_PROXY_HOPS=1): the
-- proxy ends TLS and says so, and names the client. Every request comes from an address of its own, as
-- customers do, so the per-client rate limits count as they would for real traffic rather than
-- pinning every request on 127.0.0.1.
function common.headers(extra)
  local headers = {
    ["X-Forwarded-Proto"] = "https",
    ["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254)
    ),
  }
  for name, value in pairs(extra or {}) do
    headers[name] = value
  end
  return headers
end

function common.tally(expected, what)
  if expected then
    ok = ok + 1
  else
    unexpected[what] = (unexpected[what] or 0) + 1
  end
end

local function encode(value)
  local kind = type(value)
  if kind == "number" or kind == "boolean" then
    return tostring(value)
  elseif kind == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif kind == "table" then
    local parts = {}
    if #value > 0 then
      for _, item in ipairs(value) do
        table.insert(parts, encode(item))
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for key, item in pairs(value) do
      table.insert(parts, encode(tostring(key)) .. ":" .. encode(item))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

-- `extra(figures, threads)` lets a stream put what only it knows in the line's `extra`.
function common.done(summary, latency, extra)
  local result = {
    requests = summary.requests,
    duration_us = summary.duration,
    socket_errors = {
      connect = summary.errors.connect,
      read = summary.errors.read,
      write = summary.errors.write,
      timeout = summary.errors.timeout,
    },
    non_2xx_3xx = summary.errors.status,
    latency_us = {
      p50 = latency:percentile(50),
      p95 = latency:percentile(95),
      p99 = latency:percentile(99),
      max = latency.max,
    },
    ok = 0,
    unexpected = {},
    extra = {},
  }
  for _, thread in ipairs(threads) do
    result.ok = result.ok + thread:get("ok")
    for what, count in pairs(thread:get("unexpected")) do
      result.unexpected[what] = (result.unexpected[what] or 0) + count
    end
  end
  if extra then
    extra(result.extra, threads)
  end
  io.write("LOAD-RESULT ", encode(result), "\n")
end

return common
