-- A write per request, for `wrk -s write.lua <url> -- METHOD` (POST creates a post, PATCH edits
-- one): a new text every time, so that every request changes something. The admin's token
-- comes in the Authorization header given with -H.
local counter = 0
local threads = 0
id = 0

setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

init = function(args)
  wrk.method = args[1]
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"content": "Benchmark write %d of wrk thread %d, with a few words of text.", "tags": ["bench"]}',
    counter, id)
  return wrk.format(nil, nil, nil, body)
end
