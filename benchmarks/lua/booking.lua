-- POST /api/v1/appointments spread over slots: each place of a slot is asked for exactly once.
-- Arguments: slots file ("YYYY-MM-DD HH:MM service" a line), capacity per slot, number of
-- threads, first place (places taken by earlier runs), first phone serial (phones never repeat),
-- and "1" when every booker opts in to text messages ("notify": true), else "0".
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local bench = require("common")
setup, done = bench.setup, bench.done

function init(args)
  slots = {}
  for _, line in ipairs(bench.read_lines(args[1])) do
    local day, start, service = line:match("^(%S+) (%S+) (%S+)$")
    table.insert(slots, { day = day, start = start, service = service })
  end
  capacity = tonumber(args[2])
  nthreads = tonumber(args[3])
  first_place = tonumber(args[4])
  phone_base = tonumber(args[5])
  notify = args[6] == "1" and "true" or "false"
  sent = 0
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local place = first_place + sent * nthreads + id
  local slot = slots[math.floor(place / capacity) % #slots + 1]
  -- a mainland mobile number no other request uses: 15, two digits of thread, seven of serial
  local phone = string.format("15%02d%07d", id % 100, phone_base + sent)
  sent = sent + 1
  bench.set("max_sent", sent)
  local body = string.format(
    '{"center": "zhuangzhai", "service": %s, "date": "%s", "start": "%s", ' ..
    '"name": "张伟", "phone": "%s", "notify": %s}', slot.service, slot.day, slot.start, phone,
    notify)
  return wrk.format("POST", "/api/v1/appointments", nil, body)
end

function response(status, headers, body)
  bench.count(status)
end
