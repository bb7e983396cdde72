-- wrk script: POST /v1/auth/api-keys with a bearer token (BENCH_TOKEN), one
-- key per request (names numbered per thread; names need not be unique).
local token = os.getenv("BENCH_TOKEN")
local n = 0

request = function()
  n = n + 1
  return wrk.format("POST", "/v1/auth/api-keys",
                    {["Content-Type"] = "application/json",
                     ["Authorization"] = "Bearer " .. token},
                    '{"name":"bench-' .. n .. '","role":"user"}')
end
