-- wrk script for POST /v1/auth/login; the account comes from the environment
-- (BENCH_EMAIL, BENCH_PASSWORD), set by http_bench.sh.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}',
                         os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASSWORD"))
