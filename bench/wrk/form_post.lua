-- wrk script: a form POST on every request.
--
--   BENCH_BODY='a=1&b=2' [BENCH_AUTHORIZATION='Basic ...'] [BENCH_COOKIE='k=v'] \
--       wrk -s bench/wrk/form_post.lua URL
--
-- bench/run.sh uses it for password sign-ins (POST /login with a matching
-- form cookie and field) and for client-credentials grants (POST
-- /oidc/token with HTTP Basic client authentication). BENCH_BODY may hold
-- several bodies, one per line: each thread sends them in turn (sign-ins of
-- several citizens).

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
    wrk.headers["Authorization"] = authorization
end

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
end

local bodies = {}
for line in (os.getenv("BENCH_BODY") or ""):gmatch("[^\n]+") do
    bodies[#bodies + 1] = line
end
if #bodies == 0 then
    bodies[1] = ""
end
wrk.body = bodies[1]

local requests = {}
local next_request = 0

-- Built per thread once wrk has set the Host header.
function init(args)
    for i, body in ipairs(bodies) do
        requests[i] = wrk.format(nil, nil, nil, body)
    end
end

function request()
    next_request = next_request % #requests + 1
    return requests[next_request]
end
