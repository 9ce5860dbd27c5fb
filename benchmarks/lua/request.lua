-- Send one request other than a plain GET, then report as report.lua does.
-- benchmarks/wrk.py sets WRK_METHOD, WRK_HEADERS ("Name: value" lines) and WRK_BODY.
-- wrk takes a single -s script, so this one loads report.lua from its own directory.

local method = os.getenv("WRK_METHOD") or ""
if method ~= "" then
  wrk.method = method
end

local body = os.getenv("WRK_BODY") or ""
if body ~= "" then
  wrk.body = body
end

for line in (os.getenv("WRK_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
