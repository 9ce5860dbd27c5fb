-- Print wrk's summary and latency percentiles as one JSON line for benchmarks/wrk.py.
-- With WRK_LIMIT set, wrk exits as soon as one thread has seen that many responses
-- (wrk would otherwise idle until -d runs out); it then prints no summary.

local limit = tonumber(os.getenv("WRK_LIMIT") or "0") or 0

if limit > 0 then
  local count = 0
  response = function(status, headers, body)
    count = count + 1
    if count >= limit then
      io.write("WRK_LIMIT_REACHED\n")
      io.flush()
      os.exit(0)
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
