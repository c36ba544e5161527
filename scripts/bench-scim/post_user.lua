-- wrk script: POST /Users with a new userName on every request.
-- wrk -s post_user.lua URL/Users -- PREFIX   (PREFIX keeps runs apart)
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  prefix = args[1] or "bench"
  n = 0
end
function request()
  n = n + 1
  local name = string.format("%s-%d-%d@example.com", prefix, tid, n)
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","name":{"givenName":"Bench","familyName":"User"},"emails":[{"value":"' .. name .. '","type":"work"}]}'
  return wrk.format("POST", nil, nil, body)
end
