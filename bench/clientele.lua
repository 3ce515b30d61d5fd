-- wrk script for bench/run.sh: one script, three modes, chosen after `--`.
--
--   wrk ... -H "X-Api-Key: $KEY" -s bench/clientele.lua http://127.0.0.1:PORT -- ids FILE
--       GET /v1/clients/{id}, a random id from FILE (one per line) each request
--   ... -- path /v1/clients?q=smith
--       GET that path every request
--   ... -- post
--       POST /v1/clients with a new person and a unique email each request
--       (unique across runs through $BENCH_NONCE)
--
-- BENCH_PREFIX (default /v1/clients) is the collection path of the ids and
-- post modes: bench/peer.sh points them at Directus's /items/clients.
--
-- done() prints one machine-readable line that run.sh turns into a table row:
--   RESULT requests=… duration_us=… rps=… p50_us=… p90_us=… p99_us=… max_us=…
--          connect=… read=… write=… status=… timeout=…
-- `status` is wrk's count of responses with a status of 400 or more.

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1]
   local target = args[2]
   counter = 0
   prefix = os.getenv("BENCH_PREFIX") or "/v1/clients"
   math.randomseed(os.time() * 1000 + (tid or 0))
   if mode == "ids" then
      ids = {}
      for line in io.lines(target) do
         if #line > 0 then
            ids[#ids + 1] = line
         end
      end
      if #ids == 0 then
         error("no ids in " .. target)
      end
   elseif mode == "path" then
      fixed = wrk.format("GET", target)
   elseif mode == "post" then
      wrk.headers["Content-Type"] = "application/json"
      nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
   else
      error("unknown mode " .. tostring(mode))
   end
end

local tags = { "bench", "vip", "prospect", "referral", "tax" }

function request()
   if mode == "ids" then
      return wrk.format("GET", prefix .. "/" .. ids[math.random(#ids)])
   elseif mode == "post" then
      counter = counter + 1
      local body = string.format(
         '{"first_name":"Load","last_name":"Tester%d","email":"load.%s.%d.%d@bench.example",' ..
         '"phone":"(212) 555-%04d","status":"active","tags":["%s"],' ..
         '"address":{"line1":"%d Main St","city":"New York","region":"NY","postal_code":"10001","country":"US"},' ..
         '"custom_fields":{"client_number":"L-%d-%d"}}',
         counter % 1000, nonce, tid, counter, counter % 10000, tags[(counter % #tags) + 1],
         counter % 9999 + 1, tid, counter)
      return wrk.format("POST", prefix, nil, body)
   else
      return fixed
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, summary.requests / secs,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
