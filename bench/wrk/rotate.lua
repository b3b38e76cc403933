-- Requests that rotate over paths read from a file (one a line), for
-- `wrk -s rotate.lua <url> -- FILE START THREADS METHOD [BODY]`: wrk thread i (of THREADS) sends paths
-- START + i - 1, START + i - 1 + THREADS, … so no path repeats until the file is used up; at
-- the end it prints "rotate next: N", where the row's next run must start. GET rows use it to
-- miss any per-URL cache; POST and PATCH rows send a new body every time (a write that changes
-- something), PATCH over many posts so that writes do not queue on one row; BODY "micropub"
-- sends a Micropub JSON create instead of the admin API's body (as bench/rows.py write_body). The admin's token
-- comes in the Authorization header given with -H.
local paths = {}
local threads = {}
local stride, method, shape = 1, "GET", "admin"
start = 0  -- globals: done() reads them from the threads (init runs in each thread, not in done's state)
counter = 0
id = 0

setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

init = function(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  start, stride, method, shape = tonumber(args[2]), tonumber(args[3]), args[4], args[5] or "admin"
  if method ~= "GET" then
    wrk.headers["Content-Type"] = "application/json"
  end
end

request = function()
  local n = start + counter * stride + (id - 1)
  counter = counter + 1
  local path = paths[(n % #paths) + 1]
  if method == "GET" then
    return wrk.format("GET", path)
  end
  local text = string.format("Benchmark write %d of wrk thread %d, with a few words of text.", counter, id)
  local body
  if shape == "micropub" then
    body = string.format('{"type": ["h-entry"], "properties": {"content": ["%s"], "category": ["bench"]}}', text)
  else
    body = string.format('{"content": "%s", "tags": ["bench"]}', text)
  end
  return wrk.format(method, path, nil, body)
end

done = function(summary, latency, requests)
  local most = 0
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("counter"))
  end
  io.write(string.format("rotate next: %d\n", threads[1]:get("start") + most * #threads))
end
