-- wrk script for the signup benchmark: every request a new address, JSON body.
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  prefix = "t" .. id .. "-" .. math.random(1, 1e9)
end

function request()
  counter = counter + 1
  local body = '{"name": "قارئ ' .. counter .. '", "email": "' .. prefix .. "-" .. counter .. '@bench.example"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Accept"] = "application/json"}, body)
end
