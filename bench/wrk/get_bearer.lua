-- wrk script: a GET with a bearer token on every request.
--
--   BENCH_AUTHORIZATION='Bearer ...' wrk -s bench/wrk/get_bearer.lua URL
--
-- bench/run.sh uses it for the exchange: a consuming department's machine
-- client reading a resource's rows with its client-credentials token.

wrk.method = "GET"
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
    wrk.headers["Authorization"] = authorization
end
