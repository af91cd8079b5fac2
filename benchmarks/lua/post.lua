-- POST to the URL's path: an empty body, or JSON bodies rotated from the file given (one a line).
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local bench = require("common")
setup, done = bench.setup, bench.done

function init(args)
  bodies = args[1] and bench.read_lines(args[1]) or { "" }
  position = id % #bodies
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  position = position % #bodies + 1
  return wrk.format("POST", wrk.path, nil, bodies[position])
end

function response(status, headers, body)
  bench.count(status)
end
