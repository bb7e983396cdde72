-- wrk script: POST /v1/notes (a schema-driven collection) with a bearer
-- token (BENCH_TOKEN), one record per request.
local token = os.getenv("BENCH_TOKEN")
local n = 0

request = function()
  n = n + 1
  return wrk.format("POST", "/v1/notes",
                    {["Content-Type"] = "application/json",
                     ["Authorization"] = "Bearer " .. token},
                    '{"title":"bench-' .. n .. '","body":"a note","owner":"bench","stars":3}')
end
