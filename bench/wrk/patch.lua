-- PATCH one post's content with a new text per request (admin edit: a new revision each time).
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"  -- added to the -H headers (Authorization)
local counter = 0
local threads = 0
id = 0

setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

request = function()
  counter = counter + 1
  local body = string.format('{"content": "Edited by the benchmark, edit %d of wrk thread %d."}', counter, id)
  return wrk.format(nil, nil, nil, body)
end
