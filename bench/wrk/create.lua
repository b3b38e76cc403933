-- POST a new post per request (admin create); the token comes in the Authorization header.
wrk.method = "POST"
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
  local body = string.format(
    '{"content": "Benchmark post %d of wrk thread %d, with a few words of text.", "tags": ["bench"]}',
    counter, id)
  return wrk.format(nil, nil, nil, body)
end
