-- wrk script for bench/routes.py: one route, a bearer token per request rotated over a
-- file of tokens (each thread takes its own slice, so with enough tokens each is used
-- once), status codes counted per thread and summed with the percentiles in done().
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  method = os.getenv("BENCH_METHOD") or "GET"
  target = os.getenv("BENCH_PATH") or "/"
  body = os.getenv("BENCH_BODY")
  if body == "" then body = nil end
  tokens = {}
  local token_file = os.getenv("BENCH_TOKENS")
  if token_file and token_file ~= "" then
    local i = 0
    for line in io.lines(token_file) do
      if i % nthreads == (tid - 1) then table.insert(tokens, line) end
      i = i + 1
    end
  end
  idx = 0
  wrapped = 0
  codes = {}
end

function request()
  local headers = {}
  if #tokens > 0 then
    idx = idx + 1
    if idx > #tokens then idx = 1; wrapped = wrapped + 1 end
    headers["Authorization"] = "Bearer " .. tokens[idx]
  end
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, target, headers, body)
end

function response(status, headers, response_body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local wraps = 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("codes")) do total[code] = (total[code] or 0) + n end
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local parts = {}
  for code, n in pairs(total) do table.insert(parts, string.format('"%d": %d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "token_wraps": %d, "socket_errors": {"connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d}, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, wraps, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ", ")))
end
