-- Customers following their orders: each looks an order up on /track/ (its number and email, posted
-- with a CSRF token as the form posts it), which grants the browser's new session that order and
-- redirects to the order's page, then reads that page with the session. Lookups and page reads
-- alternate; a lookup's answer says which page to read and with which session.
-- Arguments: a file of urlencoded lookup bodies (one per line, each with the CSRF token), the CSRF
-- Cookie header the token belongs to, the site's origin, and the session cookie's name.
local common = require("common")

setup = common.setup

local lookups = {}
local position
local csrf_cookie, origin, session_pattern
local pages = {}

-- Global read back by done(): lookups that found their order.
found_orders = 0

function init(args)
  common.init()
  for line in io.lines(args[1]) do
    table.insert(lookups, line)
  end
  csrf_cookie, origin = args[2], args[3]
  session_pattern = "^(" .. args[4]:gsub("%p", "%%%0") .. "=[^;]+)"
  -- Threads and runs start at different orders: the per-order limit counts lookups of each number.
  position = math.random(#lookups)
end

function request()
  local page = table.remove(pages, 1)
  if page then
    return wrk.format("GET", page.path, common.headers({ Cookie = csrf_cookie .. "; " .. page.session }))
  end
  position = position % #lookups + 1
  return wrk.format(
    "POST",
    "/track/",
    common.headers({
      Cookie = csrf_cookie,
      Origin = origin,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }),
    lookups[position]
  )
end

function response(status, headers, body)
  if status == 302 then
    -- A lookup that found its order: on to the order's page, with the session it was granted to.
    local location = headers["Location"] or ""
    local session = (headers["Set-Cookie"] or ""):match(session_pattern)
    local found = session ~= nil and location:sub(1, 7) == "/track/" and location:sub(8, 8) ~= "?"
    if found then
      found_orders = found_orders + 1
      table.insert(pages, { path = location, session = session })
    end
    common.tally(found, "302 elsewhere than an order's page")
  elseif status == 200 then
    -- The lookup form answers 200 too, when the pair is not found: only the order's page counts.
    common.tally(body:find('id="items-title"', 1, true) ~= nil, "200 without the order's page")
  else
    common.tally(false, tostring(status))
  end
end

function done(summary, latency)
  common.done(summary, latency, function(figures, threads)
    figures.lookups = 0
    for _, thread in ipairs(threads) do
      figures.lookups = figures.lookups + thread:get("found_orders")
    end
  end)
end
