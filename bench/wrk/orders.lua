-- The store pushing new orders: POST /api/v1/orders/ with the integration user's token, each order new
-- (an external id and number of its own), two in three from a customer the shop already has, the
-- others from a new customer the order creates.
-- Arguments: this run's id prefix, a file of existing customers' external ids (one per line), the token.
local common = require("common")

setup = common.setup

local CATALOGUE = {
  { "KIT-101", "Cast-iron skillet 28 cm", "Kitchen", 3990 },
  { "KIT-104", "Bamboo cutting board", "Kitchen", 1990 },
  { "TEX-202", "Waffle bath towel", "Home textiles", 2490 },
  { "TEC-301", "Wireless charging pad", "Electronics", 2999 },
  { "BEA-401", "Olive soap set", "Beauty", 1490 },
  { "GAR-503", "Solar string lights", "Garden", 2290 },
  { "OUT-601", "Insulated bottle 750 ml", "Outdoor", 2400 },
}
local CITIES = { { "Berlin", "10115", "DE" }, { "Lyon", "69001", "FR" }, { "Leeds", "LS1 4AP", "GB" } }

local customers = {}
local run, order_prefix, customer_prefix, number_prefix, email_prefix, order_pattern, authorization

-- Globals read back by done(): orders sent, and the external ids answered 201.
sent = 0
created = {}

function init(args)
  common.init()
  run = args[1]
  order_prefix = run .. "-O-" .. thread_number .. "-"
  customer_prefix = run .. "-C-" .. thread_number .. "-"
  number_prefix = run:upper() .. "-" .. thread_number .. "-"
  email_prefix = "new." .. run:lower() .. "." .. thread_number .. "."
  -- Only the order's external id has this shape; the answer names its customer's too.
  order_pattern = '"external_id"%s*:%s*"(' .. (run .. "-O-"):gsub("%p", "%%%0") .. '[^"]*)"'
  for line in io.lines(args[2]) do
    table.insert(customers, line)
  end
  authorization = "Token " .. args[3]
end

local function money(cents)
  return string.format("%d.%02d", math.floor(cents / 100), cents % 100)
end

local function order_body(n)
  local customer
  if math.random(3) <= 2 then
    customer = string.format('{"external_id":"%s"}', customers[math.random(#customers)])
  else
    customer = string.format(
      '{"external_id":"%s%d","email":"%s%d@mail.example","first_name":"Robin","last_name":"New"}',
      customer_prefix, n, email_prefix, n
    )
  end
  local items, total = {}, 0
  local first, count = math.random(#CATALOGUE), math.random(3)
  for k = 0, count - 1 do
    local sku, name, category, price = unpack(CATALOGUE[(first + k - 1) % #CATALOGUE + 1])
    local quantity = math.random(2)
    total = total + price * quantity
    table.insert(
      items,
      string.format(
        '{"sku":"%s","name":"%s","category":"%s","quantity":%d,"unit_price":"%s"}',
        sku, name, category, quantity, money(price)
      )
    )
  end
  local city, postal_code, country = unpack(CITIES[math.random(#CITIES)])
  local cod = math.random(5) == 1
  return string.format(
    '{"external_id":"%s%d","number":"%s%d","customer":%s,"placed_at":"%s","status":"%s",'
      .. '"currency":"EUR","total":"%s","payment_method":"%s","items":[%s],'
      .. '"shipping_address":{"name":"Robin New","line1":"1 Market Street","city":"%s",'
      .. '"postal_code":"%s","country":"%s"}}',
    order_prefix, n, number_prefix, n, customer,
    os.date("!%Y-%m-%dT%H:%M:%SZ"), cod and "pending" or "confirmed", money(total),
    cod and "cod" or "prepaid", table.concat(items, ","), city, postal_code, country
  )
end

function request()
  sent = sent + 1
  return wrk.format(
    "POST",
    "/api/v1/orders/",
    common.headers({ Authorization = authorization, ["Content-Type"] = "application/json" }),
    order_body(sent)
  )
end

function response(status, headers, body)
  if status == 201 then
    local external_id = body:match(order_pattern)
    if external_id then
      table.insert(created, external_id)
    end
    common.tally(external_id ~= nil, "201 without the order's external id")
  else
    common.tally(false, tostring(status))
  end
end

function done(summary, latency)
  common.done(summary, latency, function(figures, threads)
    figures.sent = 0
    figures.created = {}
    for _, thread in ipairs(threads) do
      figures.sent = figures.sent + thread:get("sent")
      for _, external_id in ipairs(thread:get("created")) do
        table.insert(figures.created, external_id)
      end
    end
  end)
end
