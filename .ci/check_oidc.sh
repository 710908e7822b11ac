#!/usr/bin/env bash
# Standard clients: egov's OpenID Connect provider driven by two independent
# relying-party libraries, openid-client (Node.js) and Authlib (Python). Each
# does discovery, the authorization code flow with PKCE (S256) through egov's
# own login form, the token exchange, ID token validation against the JWKS
# (RS256 for one client, ES256 for the other), UserInfo, refresh, and checks
# that a reused code is refused.
#
# Usage: bash .ci/check_oidc.sh [EGOV_BINARY]   (default target/debug/egov)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BIN=${1:-target/debug/egov}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
  echo "no egov binary at $BIN (build it with cargo build)" >&2
  exit 2
fi
for tool in curl node npm python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is required" >&2; exit 2; }
done

# The server and the CLI must see only what this script gives them.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^EGOV_' || true)

WORK=$(mktemp -d)
DATA="$WORK/data"
CONFIG="$WORK/absent.toml" # never created: no egov.toml from the work tree
SERVER_PID=

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n--> %s\n' "$*"; }

server_log() {
  echo "---- egov stdout ----" >&2
  grep -v "password:" "$WORK/serve.out" >&2 || true # not the throwaway admin password
  echo "---- egov stderr (last 40 lines) ----" >&2
  tail -n 40 "$WORK/serve.err" >&2 || true
}

# ---- the server ----

step "starting egov on a fresh data directory"
"$BIN" serve --bind 127.0.0.1:0 --data-dir "$DATA" --config "$CONFIG" --no-demo \
  >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!

BASE=
for _ in $(seq 1 600); do
  BASE=$(sed -n 's/^egov is serving \(http:\/\/[^ ]*\).*/\1/p' "$WORK/serve.out" | tail -n 1)
  [ -n "$BASE" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "egov exited before serving" >&2
    server_log
    exit 1
  fi
  sleep 0.1
done
if [ -z "$BASE" ]; then
  echo "egov printed no 'egov is serving' line within 60 s" >&2
  server_log
  exit 1
fi
BASE=${BASE%/}

ready=
for _ in $(seq 1 300); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ]; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "$BASE/readyz did not answer 200 within 30 s" >&2
  server_log
  exit 1
fi
echo "egov is ready at $BASE"

# ---- relying parties and citizens ----

REDIRECT_URI=http://127.0.0.1:9/callback # nothing listens: the clients read the Location header

# create_client NAME [ALG] -> prints "ID SECRET"
create_client() {
  local out id secret
  out=$("$BIN" admin oidc-client create --data-dir "$DATA" --config "$CONFIG" \
    --name "$1" --redirect-uri "$REDIRECT_URI" ${2:+--alg "$2"})
  id=$(printf '%s\n' "$out" | sed -n 's/^client_id: *//p')
  secret=$(printf '%s\n' "$out" | sed -n 's/^client_secret: *//p')
  if [ -z "$id" ] || [ -z "$secret" ]; then
    echo "could not read the client id and secret from:" >&2
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s %s\n' "$id" "$secret"
}

# register_citizen USERNAME REAL_NAME RESIDENT_ID PHONE PASSWORD, through the
# public registration form as a person would.
register_citizen() {
  local jar="$WORK/register.$1.cookies" csrf headers="$WORK/register.$1.headers"
  csrf=$(curl -sS -c "$jar" "$BASE/register/citizen" |
    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  if [ -z "$csrf" ]; then
    echo "the registration form has no csrf field" >&2
    return 1
  fi
  curl -sS -b "$jar" -c "$jar" -D "$headers" -o /dev/null -X POST "$BASE/register/citizen" \
    --data-urlencode "csrf=$csrf" \
    --data-urlencode "username=$1" \
    --data-urlencode "real_name=$2" \
    --data-urlencode "resident_id=$3" \
    --data-urlencode "phone=$4" \
    --data-urlencode "password=$5" \
    --data-urlencode "confirm=$5"
  local confirm_path
  confirm_path=$(tr -d '\r' <"$headers" | sed -n 's/^[Ll]ocation: \(\/register\/confirm?t=.*\)$/\1/p')
  if ! head -n 1 "$headers" | grep -q ' 303' || [ -z "$confirm_path" ]; then
    echo "registering $1 did not redirect to the phone confirmation:" >&2
    cat "$headers" >&2
    return 1
  fi
  # The code texted to the phone, read from the outbox (no SMS gateway here).
  local code
  code=$("$BIN" sms outbox --data-dir "$DATA" --config "$CONFIG" --phone "$4" --limit 1 |
    cut -f4 | grep -oE '[0-9]{6}' | head -n 1)
  if [ -z "$code" ]; then
    echo "no confirmation code in the outbox for $4" >&2
    return 1
  fi
  csrf=$(curl -sS -b "$jar" -c "$jar" "$BASE$confirm_path" |
    sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -sS -b "$jar" -c "$jar" -D "$headers" -o /dev/null -X POST "$BASE/register/confirm" \
    --data-urlencode "csrf=$csrf" \
    --data-urlencode "ticket=${confirm_path##*t=}" \
    --data-urlencode "code=$code"
  if ! head -n 1 "$headers" | grep -q ' 303' ||
    ! grep -qi '^location: /login?registered=1' "$headers"; then
    echo "confirming $1's phone did not redirect to /login?registered=1:" >&2
    cat "$headers" >&2
    return 1
  fi
  echo "registered citizen $1 (phone confirmed)"
}

step "registering relying parties and citizens"
read -r NODE_CLIENT_ID NODE_CLIENT_SECRET < <(create_client oidc-check-node RS256) || exit 1
[ -n "${NODE_CLIENT_ID:-}" ] || { echo "registering the node client failed" >&2; exit 1; }
echo "client for openid-client: $NODE_CLIENT_ID (RS256)"
read -r PY_CLIENT_ID PY_CLIENT_SECRET < <(create_client oidc-check-python ES256) || exit 1
[ -n "${PY_CLIENT_ID:-}" ] || { echo "registering the python client failed" >&2; exit 1; }
echo "client for Authlib: $PY_CLIENT_ID (ES256)"

NODE_USER=zhang.san
NODE_PASSWORD=Chang-Cheng-Wan-Li-9
PY_USER=li.si
PY_PASSWORD=Huang-He-Chang-Jiang-7
register_citizen "$NODE_USER" 张三 11010519491231002X 13800138000 "$NODE_PASSWORD"
register_citizen "$PY_USER" 李四 440524188001010014 13900139000 "$PY_PASSWORD"

# ---- the clients ----

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARIES=()

# tally LABEL OUTPUT_FILE EXIT_CODE: adds the client's closing line to the
# totals; a client that died without one counts as one failure.
tally() {
  local label=$1 file=$2 rc=$3 line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$file" | tail -n 1 || true)
  if [ -n "$line" ]; then
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1 # a non-zero exit is a failure even if the checks all said ok
      line="$line (but exited $rc)"
    fi
  else
    p=0
    f=1
    line="no summary (exited $rc)"
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + p))
  TOTAL_FAILED=$((TOTAL_FAILED + f))
  SUMMARIES+=("$label: $line")
}

step "openid-client (Node.js)"
NODE_DIR=clients/oidc/node
if (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error); then
  echo "openid-client $(node -p "require('./$NODE_DIR/node_modules/openid-client/package.json').version")"
  set +e
  (cd "$NODE_DIR" &&
    EGOV_BASE_URL="$BASE" EGOV_CLIENT_ID="$NODE_CLIENT_ID" EGOV_CLIENT_SECRET="$NODE_CLIENT_SECRET" \
      EGOV_USERNAME="$NODE_USER" EGOV_PASSWORD="$NODE_PASSWORD" EGOV_REDIRECT_URI="$REDIRECT_URI" \
      EGOV_EXPECTED_ALG=RS256 timeout 300 node check.mjs) 2>&1 | tee "$WORK/node.out"
  rc=${PIPESTATUS[0]}
  set -e
else
  echo "not ok - npm ci in $NODE_DIR failed" | tee "$WORK/node.out"
  rc=1
fi
tally node "$WORK/node.out" "$rc"

step "Authlib (Python)"
PY_DIR=clients/oidc/python
VENV="$PY_DIR/.venv"
if python3 -m venv "$VENV" &&
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$PY_DIR/requirements.txt"; then
  echo "Authlib $("$VENV/bin/python" -c 'import authlib; print(authlib.__version__)')"
  set +e
  EGOV_BASE_URL="$BASE" EGOV_CLIENT_ID="$PY_CLIENT_ID" EGOV_CLIENT_SECRET="$PY_CLIENT_SECRET" \
    EGOV_USERNAME="$PY_USER" EGOV_PASSWORD="$PY_PASSWORD" EGOV_REDIRECT_URI="$REDIRECT_URI" \
    EGOV_EXPECTED_ALG=ES256 timeout 300 "$VENV/bin/python" "$PY_DIR/check.py" 2>&1 | tee "$WORK/python.out"
  rc=${PIPESTATUS[0]}
  set -e
else
  echo "not ok - setting up $VENV failed" | tee "$WORK/python.out"
  rc=1
fi
tally python "$WORK/python.out" "$rc"

step "OpenID Connect standard clients"
if [ "$TOTAL_FAILED" -ne 0 ]; then
  server_log
fi
printf '%s\n' "${SUMMARIES[@]}"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" -eq 0 ]
