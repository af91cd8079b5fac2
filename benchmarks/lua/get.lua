-- GET the URL's path, or rotate over the paths listed one a line in the file given as argument.
-- Extra headers (If-None-Match, Authorization) come from wrk's -H.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local bench = require("common")
setup, done = bench.setup, bench.done

function init(args)
  paths = args[1] and bench.read_lines(args[1]) or { wrk.path }
  position = id % #paths
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  bench.count(status)
end
