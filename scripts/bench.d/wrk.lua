-- wrk script shared by every load of scripts/bench.
--
-- Environment (read in every wrk thread):
--   BENCH_TEST          name of the measurement, copied into the result
--   BENCH_METHOD        GET (default) or POST
--   BENCH_BODY_FILE     file whose bytes are the request body (POST)
--   BENCH_CONTENT_TYPE  Content-Type of the body
--   BENCH_EXPECT        the status that counts as success (default 200)
--   BENCH_SALT          with a body: every "{{N}}" in it becomes
--                       SALT-THREAD-COUNTER, so every request sends a
--                       different tip (tipdesk answers an identical
--                       resubmission from the same client with the stored
--                       tip instead of storing it again)
--   BENCH_TARGETS       "host:port,host:port,...": thread N connects to
--                       target N (round robin) instead of the URL's
--                       address, so one wrk loads several instances
-- Other headers (Cookie, Connection: close, X-Forwarded-For) come from
-- wrk's own -H.
--
-- At the end it prints one line "BENCHJSON {...}" that scripts/bench keeps:
-- successes counted per status in the response hook, and wrk's own latency
-- percentiles.

local test = os.getenv("BENCH_TEST") or "unnamed"
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
   local f = assert(io.open(body_file, "rb"))
   wrk.body = f:read("*a")
   f:close()
end
local ctype = os.getenv("BENCH_CONTENT_TYPE")
if ctype and ctype ~= "" then
   wrk.headers["Content-Type"] = ctype
end

local salt = os.getenv("BENCH_SALT") or ""
local template = wrk.body
local unique = template ~= nil and template:find("{{N}}", 1, true) ~= nil

local threads = {}

local targets = {}
for hp in (os.getenv("BENCH_TARGETS") or ""):gmatch("[^,]+") do
   table.insert(targets, hp)
end

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
   if #targets > 0 then
      local host, port = targets[(#threads - 1) % #targets + 1]:match("^(.*):(%d+)$")
      thread.addr = wrk.lookup(host, port)[1]
   end
end

function init(args)
   n_ok = 0
   n_other = 0
   first_other = 0
   counter = 0
end

if unique then
   function request()
      counter = counter + 1
      local body = template:gsub("{{N}}", salt .. "-" .. thread_no .. "-" .. counter)
      return wrk.format(nil, nil, nil, body)
   end
end

function response(status, headers, body)
   if status == expect then
      n_ok = n_ok + 1
   else
      n_other = n_other + 1
      if first_other == 0 then first_other = status end
   end
end

function done(summary, latency, requests)
   local ok, other, first = 0, 0, 0
   for _, t in ipairs(threads) do
      ok = ok + t:get("n_ok")
      other = other + t:get("n_other")
      local f = t:get("first_other")
      if first == 0 and f ~= 0 then first = f end
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"test":"%s","requests":%d,"seconds":%.3f,"rps":%.1f,' ..
      '"ok":%d,"ok_per_s":%.1f,"other":%d,"other_status":%d,' ..
      '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
      '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d}\n',
      test, summary.requests, secs, summary.requests / secs,
      ok, ok / secs, other, first,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect, e.read, e.write, e.timeout))
end
