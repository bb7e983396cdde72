-- wrk script: GET /v1/auth/me with a bearer token (BENCH_TOKEN).
local token = os.getenv("BENCH_TOKEN")

request = function()
  return wrk.format("GET", "/v1/auth/me", {["Authorization"] = "Bearer " .. token})
end
