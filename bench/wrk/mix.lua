-- wrk script of bench/mix.py: every read endpoint in turn, each over its own set of pages,
-- with one POST /api/articles in every BENCH_WRITE_EVERY requests (0: reads only).
--   BENCH_MIX_FILE=<path>  one endpoint per line: "<0|1 token> <path> [<path> ...]"
--   BENCH_TOKEN=<jwt>      the token sent where a line asks for one, and with every POST
--   BENCH_WRITE_EVERY=<n>  every n-th request of a thread is a POST (0: never)
--   BENCH_NONCE=<text>     makes titles unique across runs
--   BENCH_DELAY_MS=<ms>    each connection waits this long before each request (a rate below
--                          capacity: bench/soak.py)
local token = os.getenv("BENCH_TOKEN") or ""
local write_every = tonumber(os.getenv("BENCH_WRITE_EVERY") or "0")
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local mix_file = os.getenv("BENCH_MIX_FILE")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")

local threads = {}
non2xx, bad_status, counter, writes, created, thread_id = 0, 0, 0, 0, 0, 0
local endpoints = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  for line in io.lines(mix_file) do
    local words = {}
    for word in line:gmatch("%S+") do table.insert(words, word) end
    if #words >= 2 then
      local headers = {["Accept"] = "application/json"}
      if words[1] == "1" then headers["Authorization"] = "Token " .. token end
      local paths = {}
      for i = 2, #words do table.insert(paths, words[i]) end
      table.insert(endpoints, {headers = headers, paths = paths, next = thread_id})
    end
  end
end

local post_headers = {
  ["Accept"] = "application/json",
  ["Content-Type"] = "application/json",
}

function request()
  counter = counter + 1
  if write_every > 0 and counter % write_every == 0 then
    writes = writes + 1
    post_headers["Authorization"] = "Token " .. token
    local body = string.format(
      '{"article":{"title":"Mix %s %d %d","description":"Written under a read load",' ..
      '"body":"A benchmark article among reads.","tagList":["bench","mix"]}}',
      nonce, thread_id, counter)
    return wrk.format("POST", "/api/articles", post_headers, body)
  end
  -- Endpoints in turn; within one, its pages in turn (threads start at different pages).
  local endpoint = endpoints[(counter % #endpoints) + 1]
  endpoint.next = endpoint.next % #endpoint.paths + 1
  return wrk.format("GET", endpoint.paths[endpoint.next], endpoint.headers)
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function response(status, headers, body)
  -- 201 is POST /articles' answer only (every GET of the mix answers 200).
  if status == 201 then created = created + 1 end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    bad_status = status
  end
end

function done(summary, latency, requests)
  local bad, last, written, made = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    written = written + thread:get("writes")
    made = made + thread:get("created")
    if thread:get("bad_status") ~= 0 then last = thread:get("bad_status") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"non2xx":%d,"last_bad_status":%d,"writes":%d,"created":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean, bad, last,
    written, made, e.connect, e.read, e.write, e.status, e.timeout))
end
