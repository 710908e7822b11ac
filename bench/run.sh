#!/usr/bin/env bash
# HTTP benchmark harness: egov against its ceilings.
#
#   bench/run.sh [sqlite|postgres|all]        (default: all)
#
# Environment:
#   SCENARIOS    which groups to run: http, identity, or both, separated by
#                spaces or commas              (default "http identity")
#   DURATION     wrk run length per scenario      (default 10s)
#   CONNECTIONS  wrk open connections; also the concurrent grant loops of
#                the identity scenarios        (default 64)
#   SIGNIN_CONNECTIONS  connections for password sign-ins (default 8)
#   THREADS      wrk threads (and oidc_load runtime threads) (default 2)
#   WARMUP       untimed run before each one   (default 2s; 0 to skip)
#   ARGON2_SECONDS  length of each raw Argon2id measurement (default 3)
#   PEER         1 runs the oidc-provider peer (Node.js) in the identity
#                group when node and npm are installed; 0 skips it (default 1)
#   BUILD        1 builds before measuring; 0 measures the binaries already
#                in target/release                 (default 1)
#   PGHOST, PGPORT, PGUSER  the PostgreSQL server used for the postgres engine
#                (default 127.0.0.1, 5432, postgres; trust authentication)
#
# For each engine it starts egov on a fresh data directory (and, for
# PostgreSQL, a fresh database that is dropped afterwards).
#
#   http      a bare axum server answering with egov's own JSON, and four
#             wrk scenarios: /healthz and a department list, egov and bare.
#   identity  a citizen and an OpenID Connect client are registered; then
#             raw Argon2id checks per second (the ceiling of sign-ins),
#             password sign-ins (wrk), client-credentials grants (wrk) and
#             rotating refresh-token grants (examples/oidc_load.rs). Once per
#             run, after the engines, the same client-credentials wrk run
#             against oidc-provider (bench/peer/oidc-provider).
#
# It prints one markdown table row per scenario and appends the raw output
# to bench/results/<date>-<engine>.txt. See BENCHMARKS.md.
#
# The load generator and the servers share the machine: on a small machine
# wrk takes CPU the server would otherwise have. Compare figures taken on the
# same machine only.

set -euo pipefail

usage() {
    echo "usage: bench/run.sh [sqlite|postgres|all]" >&2
    echo "  env: SCENARIOS (http identity) DURATION (10s) CONNECTIONS (64) THREADS (2) WARMUP (2s) BUILD (1)" >&2
    echo "       SIGNIN_CONNECTIONS (8) ARGON2_SECONDS (3) PEER (1)" >&2
    exit 2
}

case "${1:-all}" in
    sqlite) engines=(sqlite) ;;
    postgres) engines=(postgres) ;;
    all) engines=(sqlite postgres) ;;
    -h | --help) usage ;;
    *) usage ;;
esac
[[ $# -le 1 ]] || usage

SCENARIOS="${SCENARIOS:-http identity}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
SIGNIN_CONNECTIONS="${SIGNIN_CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-2s}"
ARGON2_SECONDS="${ARGON2_SECONDS:-3}"
PEER="${PEER:-1}"
BUILD="${BUILD:-1}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER

want_http=0
want_identity=0
for group in ${SCENARIOS//,/ }; do
    case "$group" in
        http) want_http=1 ;;
        identity) want_identity=1 ;;
        *)
            echo "bench: unknown scenario group '$group' in SCENARIOS (http, identity)" >&2
            exit 2
            ;;
    esac
done
[[ $want_http == 1 || $want_identity == 1 ]] || usage

# Every target is on the loopback interface; nothing here leaves the machine.
HOST=127.0.0.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
results_dir="$root/bench/results"
today="$(date +%F)"

# The servers run with their defaults: no EGOV_* setting from the caller's
# environment (in particular EGOV_DATABASE_URL) may point them elsewhere.
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^EGOV_' || true)

log() { printf '%s\n' "$*" >&2; }
die() {
    log "bench: $*"
    exit 1
}

# ---------------------------------------------------------------- cleanup

work="$(mktemp -d "${TMPDIR:-/tmp}/egov-bench.XXXXXX")"
pids=()      # servers we started
databases=() # PostgreSQL databases we created

stop_servers() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${pids[@]}"; do
        # Give a graceful shutdown five seconds, then insist.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}

drop_databases() {
    local db
    for db in "${databases[@]}"; do
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 ||
            psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            log "bench: could not drop database $db; drop it by hand"
    done
    databases=()
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_servers
    drop_databases
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- preparation

if ! command -v wrk >/dev/null 2>&1; then
    log "bench: installing wrk (Debian package wrk)"
    sudo_=()
    [[ $(id -u) -eq 0 ]] || sudo_=(sudo)
    "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>"$work/apt.err" || {
        cat "$work/apt.err" >&2
        die "could not install wrk (Debian package wrk)"
    }
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

if [[ $BUILD != 0 ]]; then
    log "bench: building release egov and the examples the scenarios need"
    (cd "$root" && cargo build --release --quiet)
    if [[ $want_http == 1 ]]; then
        (cd "$root" && cargo build --release --quiet -p egov-web --example bare_axum)
    fi
    if [[ $want_identity == 1 ]]; then
        (cd "$root" && cargo build --release --quiet -p egov-identity --example argon2_rate)
        (cd "$root" && cargo build --release --quiet --example oidc_load)
    fi
else
    log "bench: BUILD=0, measuring the binaries already built"
fi
egov_bin="$target_dir/release/egov"
bare_bin="$target_dir/release/examples/bare_axum"
argon2_bin="$target_dir/release/examples/argon2_rate"
load_bin="$target_dir/release/examples/oidc_load"
[[ -x $egov_bin ]] || die "no $egov_bin after the build"
if [[ $want_http == 1 ]]; then
    [[ -x $bare_bin ]] || die "no $bare_bin after the build"
fi
if [[ $want_identity == 1 ]]; then
    [[ -x $argon2_bin ]] || die "no $argon2_bin after the build"
    [[ -x $load_bin ]] || die "no $load_bin after the build"
fi
cpus="$(nproc)"

# The peer: oidc-provider on Node.js, installed from its pinned lock file.
peer_dir="$root/bench/peer/oidc-provider"
peer_note=""
if [[ $want_identity == 1 && $PEER != 0 ]]; then
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        peer_note="not run: node and npm are not installed"
    elif [[ ! -d $peer_dir/node_modules/oidc-provider ]]; then
        log "bench: installing the oidc-provider peer (npm ci in bench/peer/oidc-provider)"
        (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.out" 2>&1 || {
            tail -n 5 "$work/npm.out" >&2
            peer_note="not run: npm ci failed in bench/peer/oidc-provider"
        }
    fi
elif [[ $want_identity == 1 ]]; then
    peer_note="not run: PEER=0"
fi

mkdir -p "$results_dir"

commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi
if [[ $BUILD == 0 ]]; then
    commit="$commit (BUILD=0: the binaries may be older than this)"
fi
cpu_model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
[[ -n $cpu_model ]] || cpu_model="unknown"
facts="$(
    cat <<EOF
date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')
machine:     $(nproc) CPUs, ${cpu_model}, $(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)
kernel:      $(uname -sr)
egov commit: ${commit}
load:        $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min load average at the start)
scenarios:   ${SCENARIOS}
wrk:         $(wrk --version 2>&1 | head -n1 | awk '{ print $1, $2 }'), -t${THREADS} -c${CONNECTIONS} -d${DURATION} (warm-up ${WARMUP}); sign-ins -c${SIGNIN_CONNECTIONS}
note:        the load generator and the server under test share these CPUs
EOF
)"
printf '%s\n\n' "$facts"

# ----------------------------------------------------------------- helpers

# wait_for_line FILE PATTERN PID: prints the first line of FILE matching
# PATTERN, waiting up to 120 s while PID lives.
wait_for_line() {
    local file=$1 pattern=$2 pid=$3 line
    for _ in $(seq 1200); do
        line="$(grep -m1 -E "$pattern" "$file" 2>/dev/null || true)"
        if [[ -n $line ]]; then
            printf '%s\n' "$line"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

wait_ready() {
    local url=$1 pid=$2
    for _ in $(seq 600); do
        curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# wrk_figures < OUTPUT: the figures of one wrk run, tab-separated:
# req/s, p50, p90, p99, non-2xx count, socket errors.
wrk_figures() {
    awk '
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = $2 }
        $1 == "90%" { p90 = $2 }
        $1 == "99%" { p99 = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { sub(/^ *Socket errors: */, ""); errs = $0 }
        END {
            printf "%s\t%s\t%s\t%s\t%s\t%s\n", rps, p50, p90, p99, (bad == "" ? 0 : bad), errs
        }'
}

rows=()       # markdown rows, in order
declare -A rps # "engine/scenario" -> req/s

# run_scenario ENGINE NAME URL [CONNECTIONS [SCRIPT]]: one wrk scenario.
# A SCRIPT reads its request from BENCH_* variables (bench/wrk/form_post.lua).
run_scenario() {
    local engine=$1 name=$2 url=$3 conns=${4:-$CONNECTIONS} script=${5:-}
    local out fig r p50 p90 p99 bad errs
    local results="$results_dir/$today-$engine.txt"
    local script_args=()
    [[ -z $script ]] || script_args=(-s "$script")
    log "bench: $engine: $name ($url)"
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        wrk -t"$THREADS" -c"$conns" -d"$WARMUP" "${script_args[@]}" "$url" >/dev/null
    fi
    out="$(wrk --latency -t"$THREADS" -c"$conns" -d"$DURATION" "${script_args[@]}" "$url")"
    {
        printf '### %s / %s\n$ wrk --latency -t%s -c%s -d%s %s%s\n%s\n\n' \
            "$engine" "$name" "$THREADS" "$conns" "$DURATION" \
            "${script:+-s ${script#"$root"/} }" "$url" "$out"
    } >>"$results"
    fig="$(printf '%s\n' "$out" | wrk_figures)"
    IFS=$'\t' read -r r p50 p90 p99 bad errs <<<"$fig"
    [[ -n $r ]] || die "could not read wrk's output for $engine / $name (see $results)"
    rows+=("| $engine | $name | $r | $p50 | $p90 | $p99 |")
    rps["$engine/$name"]=$r
    if [[ $bad != 0 ]]; then
        rows+=("|  | ^ WARNING: $bad responses were not 2xx/3xx |  |  |  |  |")
    fi
    if [[ -n $errs ]]; then
        rows+=("|  | ^ WARNING: socket errors: $errs |  |  |  |  |")
    fi
}

# ------------------------------------------------------------------ engines

# start_egov ENGINE DIR DB_ARGS...: starts egov on DIR/data; sets egov_addr.
start_egov() {
    local engine=$1 dir=$2
    shift 2
    # egov, on a port the kernel picks; it prints the address it got.
    (cd "$dir" && exec "$egov_bin" --config "$dir/none.toml" serve \
        --bind "$HOST:0" --data-dir "$dir/data" "$@" \
        >"$dir/egov.out" 2>"$dir/egov.err") &
    local egov_pid=$!
    pids+=("$egov_pid")
    local line
    line="$(wait_for_line "$dir/egov.out" '^egov is serving http://' "$egov_pid")" || {
        tail -n 20 "$dir/egov.err" >&2 || true
        die "$engine: egov did not start"
    }
    egov_addr="$(sed -E 's|^egov is serving http://([^ ]+).*|\1|' <<<"$line")"
    wait_ready "http://$egov_addr/readyz" "$egov_pid" || {
        tail -n 20 "$dir/egov.err" >&2 || true
        die "$engine: egov at $egov_addr did not become ready"
    }
}

# http_scenarios ENGINE DIR: egov against bare axum (/healthz, departments).
http_scenarios() {
    local engine=$1 dir=$2
    local results="$results_dir/$today-$engine.txt"

    # egov's answer, which the bare server sends back: the same content and
    # length, with each object's keys in alphabetical order (serde_json::Value).
    local body="$dir/departments.json"
    curl -fsS --max-time 10 -o "$body" "http://$egov_addr/api/v1/departments?division=110000"
    local egov_bytes rows_n
    egov_bytes="$(wc -c <"$body")"
    rows_n="$(grep -o '"code"' "$body" | wc -l)"
    [[ $egov_bytes -gt 2 ]] || die "$engine: empty department list from egov"

    "$bare_bin" "$HOST:0" "$body" >"$dir/bare.out" 2>"$dir/bare.err" &
    local bare_pid=$!
    pids+=("$bare_pid")
    local line
    line="$(wait_for_line "$dir/bare.err" '^bare axum listening on http://' "$bare_pid")" || {
        tail -n 20 "$dir/bare.err" >&2 || true
        die "$engine: bare_axum did not start"
    }
    local bare_addr
    bare_addr="$(sed -E 's|^bare axum listening on http://([^ ]+).*|\1|' <<<"$line")"
    wait_ready "http://$bare_addr/healthz" "$bare_pid" || die "$engine: bare_axum not answering"
    local bare_bytes
    bare_bytes="$(curl -fsS --max-time 10 "http://$bare_addr/api/v1/departments" | wc -c)"

    log "bench: $engine: egov at $egov_addr, bare axum at $bare_addr;" \
        "department list: $egov_bytes bytes (egov), $bare_bytes bytes (bare), ~$rows_n \"code\" fields"
    printf 'body:        %s bytes from egov, %s bytes from bare axum\n\n' \
        "$egov_bytes" "$bare_bytes" >>"$results"

    run_scenario "$engine" "egov /healthz" "http://$egov_addr/healthz"
    run_scenario "$engine" "bare axum /healthz" "http://$bare_addr/healthz"
    run_scenario "$engine" "egov departments" "http://$egov_addr/api/v1/departments?division=110000"
    run_scenario "$engine" "bare axum departments" "http://$bare_addr/api/v1/departments"
}

# The citizen who signs in; a valid resident ID (GB 11643) and mobile number.
BENCH_USER=bench_citizen
BENCH_PASSWORD=Chang-Cheng-Wan-Li-9
BENCH_REDIRECT=http://127.0.0.1:9/cb

declare -A argon1 argonn # engine -> raw Argon2id checks/s on 1 and $cpus threads

# argon2_ceiling ENGINE: raw Argon2id checks per second on this machine, with
# egov's parameters, on 1 thread and on one per CPU.
argon2_ceiling() {
    local engine=$1 out
    local results="$results_dir/$today-$engine.txt"
    log "bench: $engine: raw Argon2id checks/s (${ARGON2_SECONDS}s on 1 and on $cpus threads)"
    out="$("$argon2_bin" "$ARGON2_SECONDS" "1,$cpus" 2>/dev/null)" || die "argon2_rate failed"
    printf '### %s / raw Argon2id\n$ argon2_rate %s 1,%s\n%s\n\n' \
        "$engine" "$ARGON2_SECONDS" "$cpus" "$out" >>"$results"
    argon1[$engine]="$(awk '$5 == "threads=1" { sub(/per_second=/, "", $8); print $8 }' <<<"$out")"
    argonn[$engine]="$(awk -v t="threads=$cpus" '$5 == t { sub(/per_second=/, "", $8); print $8 }' <<<"$out")"
    [[ -n ${argon1[$engine]} && -n ${argonn[$engine]} ]] || die "could not read argon2_rate's output: $out"
}

# identity_scenarios ENGINE DIR DB_ARGS...: sign-ins, client-credentials and
# refresh grants against the running egov.
identity_scenarios() {
    local engine=$1 dir=$2
    shift 2
    local results="$results_dir/$today-$engine.txt"
    local base="http://$egov_addr"

    # A citizen, through the registration form (double-submit form token).
    local headers form_token status
    headers="$(curl -fsS --max-time 10 -D - -o "$dir/register.html" "$base/register/citizen")"
    form_token="$(tr -d '\r' <<<"$headers" | sed -nE 's/^[Ss]et-[Cc]ookie: egov_form=([^;]*).*/\1/p' | head -n1)"
    [[ -n $form_token ]] || die "$engine: no form cookie from GET /register/citizen"
    status="$(curl -sS --max-time 20 -o "$dir/register.out" -w '%{http_code}' \
        -H "Cookie: egov_form=$form_token" \
        --data-urlencode "csrf=$form_token" \
        --data-urlencode "username=$BENCH_USER" \
        --data-urlencode "real_name=王小明" \
        --data-urlencode "resident_id=11010519491231002X" \
        --data-urlencode "phone=13800138000" \
        --data-urlencode "password=$BENCH_PASSWORD" \
        --data-urlencode "confirm=$BENCH_PASSWORD" \
        "$base/register/citizen")"
    [[ $status == 303 ]] || die "$engine: registering the citizen answered $status, not 303"

    # One sign-in by hand, so a broken form shows here and not as wrk errors.
    local login_body="username=$BENCH_USER&password=$BENCH_PASSWORD&csrf=bench-form"
    headers="$(curl -sS --max-time 20 -D - -o /dev/null -H 'Cookie: egov_form=bench-form' \
        --data "$login_body" "$base/login")"
    grep -qi '^set-cookie: egov_session=' <<<"$headers" ||
        die "$engine: the citizen could not sign in: $(head -n1 <<<"$headers")"

    # An OpenID Connect client, through the CLI.
    local client_out client_id client_secret authorization
    client_out="$("$egov_bin" --config "$dir/none.toml" admin oidc-client create \
        --data-dir "$dir/data" "$@" --name bench --redirect-uri "$BENCH_REDIRECT" 2>"$dir/client.err")" || {
        cat "$dir/client.err" >&2
        die "$engine: egov admin oidc-client create failed"
    }
    client_id="$(awk '$1 == "client_id:" { print $2 }' <<<"$client_out")"
    client_secret="$(awk '$1 == "client_secret:" { print $2 }' <<<"$client_out")"
    [[ -n $client_id && -n $client_secret ]] || die "$engine: no client id or secret in: $client_out"
    authorization="Basic $(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)"
    local cc_body="grant_type=client_credentials&scope=api"
    curl -fsS --max-time 10 -o /dev/null -H "Authorization: $authorization" \
        --data "$cc_body" "$base/oidc/token" ||
        die "$engine: a client-credentials grant failed"

    # The ceiling of sign-ins, measured while egov is idle, then sign-ins.
    argon2_ceiling "$engine"
    BENCH_BODY="$login_body" BENCH_COOKIE="egov_form=bench-form" \
        run_scenario "$engine" "egov password sign-ins" "$base/login" \
        "$SIGNIN_CONNECTIONS" "$root/bench/wrk/form_post.lua"
    BENCH_BODY="$cc_body" BENCH_AUTHORIZATION="$authorization" \
        run_scenario "$engine" "egov client-credentials grants" "$base/oidc/token" \
        "$CONNECTIONS" "$root/bench/wrk/form_post.lua"
    run_refresh "$engine" "$base" "$client_id" "$client_secret"
}

# run_refresh ENGINE BASE CLIENT_ID CLIENT_SECRET: rotating refresh chains,
# one per connection (examples/oidc_load.rs; wrk cannot rotate tokens).
run_refresh() {
    local engine=$1 base=$2 id=$3 secret=$4 out line
    local results="$results_dir/$today-$engine.txt"
    local name="egov refresh grants"
    log "bench: $engine: $name ($base/oidc/token, $CONNECTIONS chains)"
    out="$("$load_bin" refresh --base "$base" --client-id "$id" --client-secret "$secret" \
        --redirect-uri "$BENCH_REDIRECT" --username "$BENCH_USER" --password "$BENCH_PASSWORD" \
        --connections "$CONNECTIONS" --threads "$THREADS" \
        --duration "$DURATION" --warmup "$WARMUP" 2>&1)" || {
        printf '%s\n' "$out" >&2
        die "$engine: oidc_load refresh failed"
    }
    printf '### %s / %s\n$ oidc_load refresh --connections %s --threads %s --duration %s --warmup %s %s\n%s\n\n' \
        "$engine" "$name" "$CONNECTIONS" "$THREADS" "$DURATION" "$WARMUP" "$base" "$out" >>"$results"
    line="$(grep '^mode=refresh ' <<<"$out" | tail -n1)"
    local r p50 p90 p99 errors
    r="$(grep -o 'rps=[^ ]*' <<<"$line" | cut -d= -f2)"
    p50="$(grep -o 'p50=[^ ]*' <<<"$line" | cut -d= -f2)"
    p90="$(grep -o 'p90=[^ ]*' <<<"$line" | cut -d= -f2)"
    p99="$(grep -o 'p99=[^ ]*' <<<"$line" | cut -d= -f2)"
    errors="$(grep -o 'errors=[^ ]*' <<<"$line" | cut -d= -f2)"
    [[ -n $r ]] || die "could not read oidc_load's output for $engine / $name (see $results)"
    rows+=("| $engine | $name | $r | $p50 | $p90 | $p99 |")
    rps["$engine/$name"]=$r
    if [[ $errors != 0 ]]; then
        rows+=("|  | ^ WARNING: $errors grants failed (see $results) |  |  |  |  |")
    fi
}

bench_engine() {
    local engine=$1
    local dir="$work/$engine"
    local results="$results_dir/$today-$engine.txt"
    mkdir -p "$dir/data"

    local db_args=() engine_note="SQLite (bundled), data directory on $(df -PT "$work" | awk 'NR == 2 { print $2 }')"
    if [[ $engine == postgres ]]; then
        command -v psql >/dev/null 2>&1 || die "psql is needed for the postgres engine"
        psql -X -q -d postgres -c 'SELECT 1' >/dev/null 2>&1 ||
            die "PostgreSQL does not answer at $PGHOST:$PGPORT as $PGUSER"
        local db="egov_bench_$(date +%Y%m%d_%H%M%S)_$$"
        databases+=("$db")
        psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
        db_args=(--database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$db")
        engine_note="PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version' | awk '{ print $1 }') at $PGHOST:$PGPORT"
    fi

    start_egov "$engine" "$dir" "${db_args[@]}"
    {
        printf '## %s run, %s\n%s\n' "$engine" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts"
        printf 'egov:        %s, %s\n' "$egov_addr" "$engine_note"
    } >>"$results"
    [[ $want_http == 1 ]] || printf '\n' >>"$results"

    if [[ $want_http == 1 ]]; then
        http_scenarios "$engine" "$dir"
    fi
    if [[ $want_identity == 1 ]]; then
        identity_scenarios "$engine" "$dir" "${db_args[@]}"
    fi

    stop_servers
    drop_databases
    rm -rf "$dir"
}

# bench_peer: oidc-provider's client-credentials grants, with the same wrk
# script, connections and length as egov's.
bench_peer() {
    local dir="$work/peer"
    local results="$results_dir/$today-peer.txt"
    mkdir -p "$dir"
    local secret
    secret="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
    (cd "$peer_dir" && PEER_CLIENT_ID=bench PEER_CLIENT_SECRET="$secret" \
        exec node server.mjs "$HOST" 0 >"$dir/peer.out" 2>"$dir/peer.err") &
    local peer_pid=$!
    pids+=("$peer_pid")
    local line peer_addr
    line="$(wait_for_line "$dir/peer.out" '^oidc-provider listening on http://' "$peer_pid")" || {
        tail -n 20 "$dir/peer.err" >&2 || true
        peer_note="not run: oidc-provider did not start (see above)"
        stop_servers
        return 0
    }
    peer_addr="$(sed -E 's|^oidc-provider listening on http://([^ ]+).*|\1|' <<<"$line")"
    local authorization cc_body="grant_type=client_credentials&scope=api"
    authorization="Basic $(printf 'bench:%s' "$secret" | base64 -w0)"
    if ! curl -fsS --max-time 10 -o /dev/null -H "Authorization: $authorization" \
        --data "$cc_body" "http://$peer_addr/oidc/token"; then
        peer_note="not run: oidc-provider refused a client-credentials grant"
        stop_servers
        return 0
    fi
    {
        printf '## peer run, %s\n%s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts"
        printf 'peer:        oidc-provider %s on Node.js %s at %s, in-memory adapter\n\n' \
            "$(node -p 'require("./node_modules/oidc-provider/package.json").version' 2>/dev/null || echo '?')" \
            "$(node --version)" "$peer_addr"
    } >>"$results"
    BENCH_BODY="$cc_body" BENCH_AUTHORIZATION="$authorization" \
        run_scenario peer "oidc-provider client-credentials grants" "http://$peer_addr/oidc/token" \
        "$CONNECTIONS" "$root/bench/wrk/form_post.lua"
    peer_note="ran: oidc-provider $(cd "$peer_dir" && node -p 'require("./node_modules/oidc-provider/package.json").version'), Node.js $(node --version), in-memory adapter, one process"
    stop_servers
    rm -rf "$dir"
}

for engine in "${engines[@]}"; do
    bench_engine "$engine"
done
if [[ $want_identity == 1 && -z $peer_note ]]; then
    bench_peer
fi

# ------------------------------------------------------------------ report

printf '| engine | scenario | req/s | p50 | p90 | p99 |\n'
printf '|---|---|---:|---:|---:|---:|\n'
printf '%s\n' "${rows[@]}"
if [[ $want_http == 1 ]]; then
    printf '\n'
    printf '| engine | egov /healthz vs ceiling | egov departments vs ceiling |\n'
    printf '|---|---:|---:|\n'
    for engine in "${engines[@]}"; do
        awk -v e="$engine" \
            -v h="${rps[$engine/egov /healthz]}" -v hb="${rps[$engine/bare axum /healthz]}" \
            -v d="${rps[$engine/egov departments]}" -v db="${rps[$engine/bare axum departments]}" \
            'BEGIN { printf "| %s | %.0f%% | %.0f%% |\n", e, 100 * h / hb, 100 * d / db }'
    done
fi
if [[ $want_identity == 1 ]]; then
    printf '\n'
    printf '| engine | sign-ins/s | raw Argon2id checks/s, 1 thread | raw checks/s, %s threads | sign-ins / raw, 1 thread | sign-ins / raw, %s threads |\n' "$cpus" "$cpus"
    printf '|---|---:|---:|---:|---:|---:|\n'
    for engine in "${engines[@]}"; do
        awk -v e="$engine" -v s="${rps[$engine/egov password sign-ins]}" \
            -v a1="${argon1[$engine]}" -v an="${argonn[$engine]}" \
            'BEGIN { printf "| %s | %.1f | %.1f | %.1f | %.0f%% | %.0f%% |\n", e, s, a1, an, 100 * s / a1, 100 * s / an }'
    done
    printf '\n'
    printf '| engine | scenario | req/s | per core (/ %s CPUs) | Keycloak sizing, per vCPU | per core / Keycloak |\n' "$cpus"
    printf '|---|---|---:|---:|---:|---:|\n'
    per_core_row() {
        awk -v e="$1" -v n="$2" -v r="$3" -v k="$4" -v c="$cpus" \
            'BEGIN { printf "| %s | %s | %.1f | %.1f | %d | %.1fx |\n", e, n, r, r / c, k, r / c / k }'
    }
    for engine in "${engines[@]}"; do
        per_core_row "$engine" "password sign-ins" "${rps[$engine/egov password sign-ins]}" 15
        per_core_row "$engine" "client-credentials grants" "${rps[$engine/egov client-credentials grants]}" 120
        per_core_row "$engine" "refresh grants" "${rps[$engine/egov refresh grants]}" 120
    done
    if [[ -n ${rps[peer/oidc-provider client-credentials grants]:-} ]]; then
        per_core_row "peer" "oidc-provider client-credentials grants" \
            "${rps[peer/oidc-provider client-credentials grants]}" 120
    fi
    printf '\npeer: %s\n' "$peer_note"
fi
printf '\nraw output:'
for engine in "${engines[@]}"; do
    printf ' bench/results/%s-%s.txt' "$today" "$engine"
done
if [[ -n ${rps[peer/oidc-provider client-credentials grants]:-} ]]; then
    printf ' bench/results/%s-peer.txt' "$today"
fi
printf '\n'
