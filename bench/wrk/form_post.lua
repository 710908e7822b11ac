-- wrk script: the same form POST on every request.
--
--   BENCH_BODY='a=1&b=2' [BENCH_AUTHORIZATION='Basic ...'] [BENCH_COOKIE='k=v'] \
--       wrk -s bench/wrk/form_post.lua URL
--
-- bench/run.sh uses it for password sign-ins (POST /login with a matching
-- form cookie and field) and for client-credentials grants (POST
-- /oidc/token with HTTP Basic client authentication).

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
    wrk.headers["Authorization"] = authorization
end

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
end
