-- An agent working the inbox: its views in turn, signed in with the session the benchmark opened.
-- Arguments: the session's Cookie header.
local common = require("common")

setup = common.setup

local views = { "mine", "unassigned", "urgent", "breaching", "all" }
local cookie
local turn = 0

function init(args)
  common.init()
  cookie = args[1]
  turn = thread_number
end

function request()
  turn = turn % #views + 1
  return wrk.format("GET", "/console/inbox/?view=" .. views[turn], common.headers({ Cookie = cookie }))
end

function response(status)
  -- A signed-out agent would be redirected to the login page: only the page itself counts.
  common.tally(status == 200, tostring(status))
end

function done(summary, latency)
  common.done(summary, latency)
end
