#!/usr/bin/env bash
# HTTP benchmark harness: egov against a bare axum server (the ceiling).
#
#   bench/run.sh [sqlite|postgres|all]        (default: all)
#
# Environment:
#   DURATION     wrk run length per scenario      (default 10s)
#   CONNECTIONS  wrk open connections              (default 64)
#   THREADS      wrk threads                       (default 2)
#   WARMUP       untimed wrk run before each one   (default 2s; 0 to skip)
#   BUILD        1 builds before measuring; 0 measures the binaries already
#                in target/release                 (default 1)
#   PGHOST, PGPORT, PGUSER  the PostgreSQL server used for the postgres engine
#                (default 127.0.0.1, 5432, postgres; trust authentication)
#
# For each engine it starts egov on a fresh data directory (and, for
# PostgreSQL, a fresh database that is dropped afterwards), then a bare axum
# server answering with egov's own JSON, and runs four wrk scenarios. It
# prints one markdown table row per scenario and appends wrk's raw output to
# bench/results/<date>-<engine>.txt. See BENCHMARKS.md.
#
# The load generator and the servers share the machine: on a small machine
# wrk takes CPU the server would otherwise have. Compare figures taken on the
# same machine only.

set -euo pipefail

usage() {
    echo "usage: bench/run.sh [sqlite|postgres|all]" >&2
    echo "  env: DURATION (10s) CONNECTIONS (64) THREADS (2) WARMUP (2s) BUILD (1)" >&2
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

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-2s}"
BUILD="${BUILD:-1}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER

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
    log "bench: building release egov and the bare_axum example"
    (cd "$root" && cargo build --release --quiet)
    (cd "$root" && cargo build --release --quiet -p egov-web --example bare_axum)
else
    log "bench: BUILD=0, measuring the binaries already built"
fi
egov_bin="$target_dir/release/egov"
bare_bin="$target_dir/release/examples/bare_axum"
[[ -x $egov_bin ]] || die "no $egov_bin after the build"
[[ -x $bare_bin ]] || die "no $bare_bin after the build"

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
wrk:         $(wrk --version 2>&1 | head -n1 | awk '{ print $1, $2 }'), -t${THREADS} -c${CONNECTIONS} -d${DURATION} (warm-up ${WARMUP})
note:        wrk and the server under test share these CPUs
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

# run_scenario ENGINE NAME URL
run_scenario() {
    local engine=$1 name=$2 url=$3 out fig r p50 p90 p99 bad errs
    local results="$results_dir/$today-$engine.txt"
    log "bench: $engine: $name ($url)"
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
    fi
    out="$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$url")"
    {
        printf '### %s / %s\n$ wrk --latency -t%s -c%s -d%s %s\n%s\n\n' \
            "$engine" "$name" "$THREADS" "$CONNECTIONS" "$DURATION" "$url" "$out"
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

    # egov, on a port the kernel picks; it prints the address it got.
    (cd "$dir" && exec "$egov_bin" --config "$dir/none.toml" serve \
        --bind "$HOST:0" --data-dir "$dir/data" "${db_args[@]}" \
        >"$dir/egov.out" 2>"$dir/egov.err") &
    local egov_pid=$!
    pids+=("$egov_pid")
    local line
    line="$(wait_for_line "$dir/egov.out" '^egov is serving http://' "$egov_pid")" || {
        tail -n 20 "$dir/egov.err" >&2 || true
        die "$engine: egov did not start"
    }
    local egov_addr
    egov_addr="$(sed -E 's|^egov is serving http://([^ ]+).*|\1|' <<<"$line")"
    wait_ready "http://$egov_addr/readyz" "$egov_pid" || {
        tail -n 20 "$dir/egov.err" >&2 || true
        die "$engine: egov at $egov_addr did not become ready"
    }

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
    {
        printf '## %s run, %s\n%s\n' "$engine" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts"
        printf 'egov:        %s, %s\n' "$egov_addr" "$engine_note"
        printf 'body:        %s bytes from egov, %s bytes from bare axum\n\n' "$egov_bytes" "$bare_bytes"
    } >>"$results"

    run_scenario "$engine" "egov /healthz" "http://$egov_addr/healthz"
    run_scenario "$engine" "bare axum /healthz" "http://$bare_addr/healthz"
    run_scenario "$engine" "egov departments" "http://$egov_addr/api/v1/departments?division=110000"
    run_scenario "$engine" "bare axum departments" "http://$bare_addr/api/v1/departments"

    stop_servers
    drop_databases
    rm -rf "$dir"
}

for engine in "${engines[@]}"; do
    bench_engine "$engine"
done

# ------------------------------------------------------------------ report

printf '| engine | scenario | req/s | p50 | p90 | p99 |\n'
printf '|---|---|---:|---:|---:|---:|\n'
printf '%s\n' "${rows[@]}"
printf '\n'
printf '| engine | egov /healthz vs ceiling | egov departments vs ceiling |\n'
printf '|---|---:|---:|\n'
for engine in "${engines[@]}"; do
    awk -v e="$engine" \
        -v h="${rps[$engine/egov /healthz]}" -v hb="${rps[$engine/bare axum /healthz]}" \
        -v d="${rps[$engine/egov departments]}" -v db="${rps[$engine/bare axum departments]}" \
        'BEGIN { printf "| %s | %.0f%% | %.0f%% |\n", e, 100 * h / hb, 100 * d / db }'
done
printf '\nraw wrk output:'
for engine in "${engines[@]}"; do
    printf ' bench/results/%s-%s.txt' "$today" "$engine"
done
printf '\n'

