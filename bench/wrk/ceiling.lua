-- The ceiling: a view that answers a fixed JSON body, through the same middleware as every page.
local common = require("common")

setup = common.setup
init = common.init

function request()
  return wrk.format("GET", "/bench/ceiling/", common.headers())
end

function response(status)
  common.tally(status == 200, tostring(status))
end

function done(summary, latency)
  common.done(summary, latency)
end
