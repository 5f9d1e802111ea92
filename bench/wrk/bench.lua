-- wrk script of bench/loadtest.py: the token header, unique POST bodies, a count of every
-- non-2xx response (wrk itself only counts >= 400) and a JSON summary line from done().
--   BENCH_TOKEN=<jwt>   send "Authorization: Token <jwt>"
--   BENCH_POST=1        POST a new article per request, titles unique per run/thread/request
--   BENCH_NONCE=<text>  makes titles unique across runs
local token = os.getenv("BENCH_TOKEN") or ""
local post = os.getenv("BENCH_POST") == "1"
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())

local threads = {}
non2xx, bad_status, counter, thread_id = 0, 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  wrk.headers["Accept"] = "application/json"
  if token ~= "" then
    wrk.headers["Authorization"] = "Token " .. token
  end
  if post then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

if post then
  -- Only defined for POST: a script without request() lets wrk reuse one pre-built request.
  function request()
    counter = counter + 1
    local body = string.format(
      '{"article":{"title":"Bench %s %d %d","description":"Written under load",' ..
      '"body":"A benchmark article, one of many.","tagList":["bench","load"]}}',
      nonce, thread_id, counter)
    return wrk.format(nil, nil, nil, body)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    bad_status = status
  end
end

function done(summary, latency, requests)
  local bad, last = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if thread:get("bad_status") ~= 0 then last = thread:get("bad_status") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"non2xx":%d,"last_bad_status":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean, bad, last,
    e.connect, e.read, e.write, e.status, e.timeout))
end
