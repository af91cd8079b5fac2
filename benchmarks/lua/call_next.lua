-- A clerk per connection (run wrk with as many threads as connections): call-next at the
-- thread's window, then start and complete the ticket called (its id read from the answer).
-- Argument: a file of window ids, one a line; thread n works at the n-th. The bearer token
-- comes from wrk's -H.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local bench = require("common")
setup, done = bench.setup, bench.done

function init(args)
  local windows = bench.read_lines(args[1])
  window = windows[id % #windows + 1]
  step, ticket = "call", nil
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if step == "call" then
    return wrk.format("POST", "/api/v1/windows/" .. window .. "/call-next")
  elseif step == "start" then
    return wrk.format("POST", "/api/v1/tickets/" .. ticket .. "/start")
  end
  -- the applicant as a clerk types it: some items cannot be completed without
  return wrk.format("POST", "/api/v1/tickets/" .. ticket .. "/complete", nil,
    '{"outcome": "completed", "applicant_name": "张伟", "applicant_phone": "13800138000"}')
end

function response(status, headers, body)
  bench.count(status)
  if step == "call" then
    if status == 200 then
      ticket = body:match('"id":%s*(%d+)')
      bench.add("calls")
      step = "start"
    elseif status == 204 then
      bench.add("empty")
    else
      bench.add("failed")
    end
  elseif step == "start" then
    if status == 200 then
      bench.add("starts")
      step = "complete"
    else
      bench.add("failed")
      step = "call"
    end
  else
    if status == 200 then bench.add("completes") else bench.add("failed") end
    step = "call"
  end
end
