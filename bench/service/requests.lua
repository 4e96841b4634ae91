-- wrk script of the service bench: one path, its bodies, a token; figures as JSON at the end.
--
--   wrk -c16 -d5s --latency -s requests.lua http://127.0.0.1:8000 -- METHOD PATH TOKEN BODIES
--
-- BODIES is a file of request bodies, one a line (or "-" for none), taken in turn; "{n}" in a
-- body becomes a number unique to the request (a thread's id, then its own counter), so each
-- submitIdea has a title of its own. A request without "{n}" is formatted once, at its first
-- sending, and sent as it is after that: wrk shares the machine's cores with the service, and
-- formatting every request again cost it about a fifth of its CPU a read (10 of 50 µs).
-- A response counts as failed when its status is not 2xx or its body carries GraphQL errors;
-- done() prints one JSON line that the bench parses.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  method, path, token, source = args[1], args[2], args[3], args[4]
  bodies = {}
  if source ~= "-" then
    for line in io.lines(source) do
      if #line > 0 then table.insert(bodies, line) end
    end
  end
  headers = { ["Content-Type"] = "application/json" }
  if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
  failed = 0
  sample = ""
  served = 0
end

formatted = {}

function request()
  served = served + 1
  if #bodies == 0 then
    formatted[1] = formatted[1] or wrk.format(method, path, headers, nil)
    return formatted[1]
  end
  local turn = (served - 1) % #bodies + 1
  local body = bodies[turn]
  if body:find("{n}", 1, true) then
    return wrk.format(method, path, headers, (body:gsub("{n}", tostring(id * 1000000000 + served))))
  end
  formatted[turn] = formatted[turn] or wrk.format(method, path, headers, body)
  return formatted[turn]
end

function response(status, headers, body)
  if status < 200 or status > 299 or (body and body:find('"errors":[{', 1, true)) then
    failed = failed + 1
    if sample == "" then sample = tostring(status) .. " " .. (body or ""):sub(1, 200) end
  end
end

function done(summary, latency, requests)
  local failed_total, sample_out = 0, ""
  for _, thread in ipairs(threads) do
    failed_total = failed_total + (thread:get("failed") or 0)
    local seen = thread:get("sample")
    if sample_out == "" and seen then sample_out = seen end
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, '
      .. '"max_ms": %.3f, "socket_errors": %d, "non_2xx": %d, "failed": %d, "sample": "%s"}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    failed_total, (sample_out:gsub('[%c"\\]', "?"))))
end
