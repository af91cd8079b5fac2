-- Shared by every benchmark script: thread ids, status counts, and a JSON summary at the end.
local M = {}

local threads = {}
local next_id = 0

-- main state: give each thread an id (a global `id` in its state) and keep it for done()
function M.setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- thread state: count answers per status and any named counter
statuses = {}
counters = {}

function M.count(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function M.add(name, n)
  counters[name] = (counters[name] or 0) + (n or 1)
end

function M.set(name, value)
  counters[name] = value
end

function M.read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(lines, line) end
  end
  return lines
end

local function json_map(map)
  local parts = {}
  for key, value in pairs(map) do
    table.insert(parts, string.format('"%s": %.0f', tostring(key), value))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- counters named max_* keep the highest value of any thread; the others add up
local function merge(into, from)
  for key, value in pairs(from or {}) do
    if string.sub(tostring(key), 1, 4) == "max_" then
      into[key] = math.max(into[key] or 0, value)
    else
      into[key] = (into[key] or 0) + value
    end
  end
end

-- main state: one line of JSON the runner reads
function M.done(summary, latency, requests)
  local all_statuses, all_counters = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_counters, thread:get("counters"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us": %.0f, "requests": %.0f, "bytes": %.0f, ' ..
    '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, ' ..
    '"latency_us": {"mean": %.1f, "stdev": %.1f, "max": %.0f, "p50": %.0f, "p75": %.0f, ' ..
    '"p90": %.0f, "p99": %.0f}, "statuses": %s, "counters": %s}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    json_map(all_statuses), json_map(all_counters)))
end

return M
