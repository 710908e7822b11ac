#!/usr/bin/env bash
# HTTP benchmark harness: egov against its ceilings.
#
#   bench/run.sh [sqlite|postgres|all]        (default: all)
#
# Environment:
#   SCENARIOS    which groups to run: http, identity, cases, hall, grid, exchange, mailbox, workplan, separated
#                by spaces or commas           (default "http identity cases";
#                hall is left out of the default: with its 1M-document
#                search index it adds a few minutes, see BENCHMARKS.md)
#   DURATION     wrk run length per scenario      (default 10s)
#   CONNECTIONS  wrk open connections; also the concurrent grant loops of
#                the identity scenarios        (default 64)
#   SIGNIN_CONNECTIONS  connections for password sign-ins, each citizen of its
#                own (default 8)
#   FLOOD_CONNECTIONS   connections of the sign-in flood, each from its own
#                loopback address (default 250)
#   THREADS      wrk threads (and oidc_load runtime threads) (default 2)
#   WARMUP       untimed run before each one   (default 2s; 0 to skip)
#   ARGON2_SECONDS  length of each raw Argon2id measurement (default 3)
#   PEER         1 runs the peers: oidc-provider (Node.js) in the identity
#                group when node and npm are installed, SpiffWorkflow (Python)
#                in the cases group when python3 is; 0 skips them (default 1)
#   CASE_SECONDS     timed length of each case-engine phase (default 10)
#                    and of the SpiffWorkflow peer run
#   CASE_WARMUP      untimed run before each case-engine phase (default 1)
#   CASE_CONCURRENCY concurrent tasks of the case engine phases (default 32)
#   SCAN_CASES   open cases the supervision scan runs over (default 1000000;
#                0 skips the scan)
#   HALL_ITEMS   service items the hall group files applications for, each
#                on a fresh database (default "110105SCJGJ0001 110105SCJGJ0002":
#                a single-department item filed by citizens and a joint item
#                filed by enterprises)
#   HALL_SECONDS     timed length of each application run (default 10)
#   HALL_WARMUP      untimed run before it (default 1)
#   HALL_CONCURRENCY concurrent applicants, one account each (default 32)
#   HALL_MATERIAL_KIB size of each material file, in KiB (default 256)
#   SEARCH_DOCS  index sizes the hall group's search benchmark runs at
#                (default "100000 1000000"; 0 skips it)
#   SEARCH_QUERIES   queries per index size (default 2000)
#   CATALOGUE_DATASETS  resources in the catalogue the exchange group's
#                package_search runs over (examples/catalogue_search.rs;
#                default 100000; 0 skips it)
#   CATALOGUE_QUERIES   searches it times (default 2000)
#   MAILBOX_SECONDS, MAILBOX_CONCURRENCY  the mailbox group's timed letters
#                (and requests for information) and their writers at a time
#                (defaults 10, 32)
#   MAILBOX_PUBLISHED  published letters (and disclosure documents) the list
#                and search run over (examples/mailbox_load.rs,
#                examples/disclosure_load.rs; default 1000000)
#   MAILBOX_QUERIES    list pages and searches it times (default 2000)
#   WORKPLAN_TASKS, WORKPLAN_REPORTS  the size of the plan the workplan group
#                reads, lights and renders (examples/workplan_load.rs;
#                defaults 10000 and 100000, under 100 items)
#   WORKPLAN_QUERIES   reads, roll-ups and pages it times (default 200)
#   GRID_READ_CASES  grid cases stored before the Open311 reads are measured
#                (examples/open311_read.rs; default 10000000; 0 skips them)
#   GRID_READ_SECONDS  timed length of each read phase (default 10)
#   ROUTING_DECISIONS  sizes of the made-up dispatch histories the grid group
#                trains the dispatch classifier on (default "5000 50000")
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
#             rotating refresh-token grants (examples/oidc_load.rs), then a
#             flood of wrong passwords from FLOOD_CONNECTIONS addresses at
#             once (bench/flood.py) with the server's peak memory. Once per
#             run, after the engines, the same client-credentials wrk run
#             and rotating refresh chains (from tokens it seeds at start)
#             against oidc-provider (bench/peer/oidc-provider).
#   cases     the case engine without HTTP (examples/case_load.rs), on a fresh
#             database of its own: case creations, whole joint-approval
#             instances (5 commits each) and the supervision scan over
#             SCAN_CASES open cases. Once per run: the raw fsync rate of the
#             file system under the temp directory (the ceiling of serial
#             durable commits) and, after the engines, the same joint approval
#             on SpiffWorkflow with an fsync'd save per step
#             (bench/peer/spiffworkflow). Once per run, too: the bare
#             writer-thread ceiling of the same joint approvals, egov's own
#             statements on egov's schema without egov around them
#             (examples/write_ceiling.rs), egov's SQLite commits as a share
#             of it.
#   hall      the service hall without HTTP, on fresh databases of its own:
#             applications filed with their materials per second
#             (examples/application_load.rs: draft, one PDF per material the
#             guide requires now, submit), one run per HALL_ITEMS item, beside
#             the same raw fsync rate as the cases group (measured once per
#             run) and the same durable writes made without egov (files and
#             commits, python3; the disk's ceiling for the scenario). Once per
#             run, after the engines: the Chinese full-text
#             search benchmark (crates/search/examples/search_bench.rs, when
#             it exists and builds) at each SEARCH_DOCS size, pinned to CPU 0
#             with taskset.
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
    echo "  env: SCENARIOS (http identity cases) DURATION (10s) CONNECTIONS (64) THREADS (2) WARMUP (2s) BUILD (1)" >&2
    echo "       SIGNIN_CONNECTIONS (8) ARGON2_SECONDS (3) PEER (1)" >&2
    echo "       CASE_SECONDS (10) CASE_WARMUP (1) CASE_CONCURRENCY (32) SCAN_CASES (1000000)" >&2
    echo "       HALL_ITEMS (110105SCJGJ0001 110105SCJGJ0002) HALL_SECONDS (10) HALL_WARMUP (1)" >&2
    echo "       HALL_CONCURRENCY (32) HALL_MATERIAL_KIB (256) SEARCH_DOCS (100000 1000000) SEARCH_QUERIES (2000)" >&2
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

SCENARIOS="${SCENARIOS:-http identity cases}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
SIGNIN_CONNECTIONS="${SIGNIN_CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-2s}"
ARGON2_SECONDS="${ARGON2_SECONDS:-3}"
PEER="${PEER:-1}"
CASE_SECONDS="${CASE_SECONDS:-10}"
CASE_WARMUP="${CASE_WARMUP:-1}"
CASE_CONCURRENCY="${CASE_CONCURRENCY:-32}"
SCAN_CASES="${SCAN_CASES:-1000000}"
HALL_ITEMS="${HALL_ITEMS:-110105SCJGJ0001 110105SCJGJ0002}"
HALL_SECONDS="${HALL_SECONDS:-10}"
HALL_WARMUP="${HALL_WARMUP:-1}"
HALL_CONCURRENCY="${HALL_CONCURRENCY:-32}"
HALL_MATERIAL_KIB="${HALL_MATERIAL_KIB:-256}"
SEARCH_DOCS="${SEARCH_DOCS:-100000 1000000}"
SEARCH_QUERIES="${SEARCH_QUERIES:-2000}"
GRID_READ_CASES="${GRID_READ_CASES:-10000000}"
CATALOGUE_DATASETS="${CATALOGUE_DATASETS:-100000}"
CATALOGUE_QUERIES="${CATALOGUE_QUERIES:-2000}"
MAILBOX_SECONDS="${MAILBOX_SECONDS:-10}"
MAILBOX_CONCURRENCY="${MAILBOX_CONCURRENCY:-32}"
MAILBOX_PUBLISHED="${MAILBOX_PUBLISHED:-1000000}"
MAILBOX_QUERIES="${MAILBOX_QUERIES:-2000}"
WORKPLAN_TASKS="${WORKPLAN_TASKS:-10000}"
WORKPLAN_REPORTS="${WORKPLAN_REPORTS:-100000}"
WORKPLAN_QUERIES="${WORKPLAN_QUERIES:-200}"
GRID_READ_SECONDS="${GRID_READ_SECONDS:-10}"
ROUTING_DECISIONS="${ROUTING_DECISIONS:-5000 50000}"
BUILD="${BUILD:-1}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER

want_http=0
want_identity=0
want_cases=0
want_hall=0
want_grid=0
want_exchange=0
want_mailbox=0
want_workplan=0
for group in ${SCENARIOS//,/ }; do
    case "$group" in
        http) want_http=1 ;;
        identity) want_identity=1 ;;
        cases) want_cases=1 ;;
        hall) want_hall=1 ;;
        # Reports taken in over Open311, beside the bare axum ceiling of the
        # http group (which it brings along) and the disk's fdatasync rate.
        grid)
            want_grid=1
            want_http=1
            ;;
        # Exchange calls by a department's machine client, beside the same
        # rows read through CKAN's open datastore_search (no grant, no log)
        # and the bare axum ceiling of the http group.
        exchange)
            want_exchange=1
            want_http=1
            ;;
        # Letters written beside the case engine opening the same cases
        # alone, and the public list and search over published letters.
        mailbox) want_mailbox=1 ;;
        # A large plan's nodes read alone (the ceiling), its roll-up, its
        # board page (whole and one item) and the year-end ranking.
        workplan) want_workplan=1 ;;
        *)
            echo "bench: unknown scenario group '$group' in SCENARIOS (http, identity, cases, hall, grid, exchange, mailbox, workplan)" >&2
            exit 2
            ;;
    esac
done
[[ $want_http == 1 || $want_identity == 1 || $want_cases == 1 || $want_hall == 1 || $want_mailbox == 1 || $want_workplan == 1 ]] || usage
[[ ${SEARCH_DOCS// /} != 0 ]] || SEARCH_DOCS=""
# Only the http and identity groups talk to a running egov.
want_server=0
[[ $want_http == 0 && $want_identity == 0 ]] || want_server=1

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
    # What the egov under test said last, before its folder is removed.
    if [[ -n ${egov_err_file:-} && -s $egov_err_file ]]; then
        log "bench: the last lines egov wrote to stderr:"
        tail -n 15 "$egov_err_file" >&2
    fi
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

if [[ $want_server == 1 ]] && ! command -v wrk >/dev/null 2>&1; then
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
    # One cargo invocation for everything: separate ones resolve features
    # for different package sets and build much of the tree again each.
    build_args=(--bin egov)
    [[ $want_http == 0 ]] || build_args+=(--example bare_axum)
    [[ $want_identity == 0 ]] || build_args+=(--example argon2_rate --example oidc_load)
    [[ $want_cases == 0 ]] || build_args+=(--example case_load --example write_ceiling)
    [[ $want_hall == 0 ]] || build_args+=(--example application_load)
    [[ $want_grid == 0 ]] || build_args+=(--example open311_read)
    [[ $want_exchange == 0 ]] || build_args+=(--example catalogue_search)
    [[ $want_mailbox == 0 ]] || build_args+=(--example mailbox_load --example disclosure_load)
    [[ $want_workplan == 0 ]] || build_args+=(--example workplan_load)
    (cd "$root" && cargo build --release --quiet --workspace "${build_args[@]}")
else
    log "bench: BUILD=0, measuring the binaries already built"
fi
egov_bin="$target_dir/release/egov"
bare_bin="$target_dir/release/examples/bare_axum"
argon2_bin="$target_dir/release/examples/argon2_rate"
load_bin="$target_dir/release/examples/oidc_load"
case_bin="$target_dir/release/examples/case_load"
ceiling_bin="$target_dir/release/examples/write_ceiling"
hall_bin="$target_dir/release/examples/application_load"
read_bin="$target_dir/release/examples/open311_read"
search_bin="$target_dir/release/examples/search_bench"
# Only the http and identity groups run egov itself.
[[ $want_server == 0 || -x $egov_bin ]] || die "no $egov_bin after the build"
if [[ $want_http == 1 ]]; then
    [[ -x $bare_bin ]] || die "no $bare_bin after the build"
fi
if [[ $want_identity == 1 ]]; then
    [[ -x $argon2_bin ]] || die "no $argon2_bin after the build"
    [[ -x $load_bin ]] || die "no $load_bin after the build"
fi
if [[ $want_cases == 1 ]]; then
    [[ -x $case_bin ]] || die "no $case_bin after the build"
fi
if [[ $want_hall == 1 ]]; then
    [[ -x $hall_bin ]] || die "no $hall_bin after the build"
fi
cpus="$(nproc)"

# HOOK (hall group): the search benchmark, crates/search/examples/search_bench.rs
# (egov-search: tantivy + jieba; --docs N --queries M --dir PATH, prints a
# "queries: ... p50 ... p99 ..." line). When it is missing or does not
# build, the hall group runs without it and its report says why.
search_note=""
if [[ $want_hall == 1 && -z $SEARCH_DOCS ]]; then
    search_note="not run: SEARCH_DOCS=0"
elif [[ $want_hall == 1 && ! -f $root/crates/search/examples/search_bench.rs ]]; then
    search_note="not run: crates/search/examples/search_bench.rs does not exist yet"
elif [[ $want_hall == 1 && $BUILD != 0 ]]; then
    if ! (cd "$root" && cargo build --release --quiet -p egov-search --example search_bench) 2>"$work/search-build.err"; then
        tail -n 20 "$work/search-build.err" >&2
        search_note="not run: crates/search/examples/search_bench.rs does not build (see above)"
    fi
fi
if [[ $want_hall == 1 && -z $search_note && ! -x $search_bin ]]; then
    search_note="not run: no $search_bin (BUILD=0 and never built)"
fi

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

# The case-engine peer: SpiffWorkflow on CPython; its run.sh makes its venv.
spiff_dir="$root/bench/peer/spiffworkflow"
case_peer_note=""
if [[ $want_cases == 1 && $PEER == 0 ]]; then
    case_peer_note="not run: PEER=0"
elif [[ $want_cases == 1 ]] && ! command -v python3 >/dev/null 2>&1; then
    case_peer_note="not run: python3 is not installed"
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
wrk_fact="not used (no HTTP group)"
if [[ $want_server == 1 ]]; then
    wrk_fact="$( (wrk --version 2>&1 || true) | head -n1 | awk '{ print $1, $2 }'), -t${THREADS} -c${CONNECTIONS} -d${DURATION} (warm-up ${WARMUP}); sign-ins -c${SIGNIN_CONNECTIONS}"
fi
facts="$(
    cat <<EOF
date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')
machine:     $(nproc) CPUs, ${cpu_model}, $(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)
kernel:      $(uname -sr)
egov commit: ${commit}
load:        $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min load average at the start)
scenarios:   ${SCENARIOS}
wrk:         ${wrk_fact}
note:        the load generator and the server under test share these CPUs
EOF
)"
if [[ $want_cases == 1 ]]; then
    facts+=$'\n'"cases:       ${CASE_CONCURRENCY} tasks, ${CASE_SECONDS}s a phase (warm-up ${CASE_WARMUP}s), scan over ${SCAN_CASES} open cases"
fi
if [[ $want_hall == 1 ]]; then
    facts+=$'\n'"hall:        ${HALL_CONCURRENCY} applicants, ${HALL_SECONDS}s a run (warm-up ${HALL_WARMUP}s), items ${HALL_ITEMS}, ${HALL_MATERIAL_KIB} KiB a material; search at ${SEARCH_DOCS:-no} docs, ${SEARCH_QUERIES} queries"
fi
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
    # egov, on a port the kernel picks; it prints the address it got. The
    # benchmark registers one citizen per sign-in connection, all from
    # 127.0.0.1, more than the default registrations per address allow.
    (cd "$dir" && EGOV_REGISTRATIONS_PER_HOUR=100000 exec "$egov_bin" --config "$dir/none.toml" serve \
        --bind "$HOST:0" --data-dir "$dir/data" "$@" \
        >"$dir/egov.out" 2>"$dir/egov.err") &
    local egov_pid=$!
    egov_server_pid=$egov_pid
    egov_err_file="$dir/egov.err"
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

# The citizens who sign in (bench_user N); the first also runs the refresh chains.
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

# bench_user N: the Nth benchmark citizen's user name (the 0th is BENCH_USER).
bench_user() {
    if (($1 == 0)); then printf '%s' "$BENCH_USER"; else printf '%s_%s' "$BENCH_USER" "$1"; fi
}

# resident_id SEQ: a valid resident ID (GB 11643 check digit) born
# 1949-12-31 in 110105, with sequence number SEQ (1-999).
resident_id() {
    local base weights=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) checks=10X98765432 sum=0 i
    base="11010519491231$(printf '%03d' "$1")"
    for ((i = 0; i < 17; i++)); do
        sum=$((sum + ${base:i:1} * weights[i]))
    done
    printf '%s%s' "$base" "${checks:sum % 11:1}"
}

# register_citizen ENGINE DIR BASE N DB_ARGS...: registers bench_user N through
# the form (double-submit form token) and confirms the phone with the code
# texted to it, read from the outbox (the benchmark has no SMS gateway).
register_citizen() {
    local engine=$1 dir=$2 base=$3 n=$4
    shift 4
    local headers form_token status reply location
    local phone="138001380$(printf '%02d' "$n")"
    headers="$(curl -fsS --max-time 10 -D - -o "$dir/register.html" "$base/register/citizen")"
    form_token="$(tr -d '\r' <<<"$headers" | sed -nE 's/^[Ss]et-[Cc]ookie: egov_form=([^;]*).*/\1/p' | head -n1)"
    [[ -n $form_token ]] || die "$engine: no form cookie from GET /register/citizen"
    reply="$(curl -sS --max-time 20 -o "$dir/register.out" -w '%{http_code} %{redirect_url}' \
        -H "Cookie: egov_form=$form_token" \
        --data-urlencode "csrf=$form_token" \
        --data-urlencode "username=$(bench_user "$n")" \
        --data-urlencode "real_name=王小明" \
        --data-urlencode "resident_id=$(resident_id $((n + 2)))" \
        --data-urlencode "phone=$phone" \
        --data-urlencode "password=$BENCH_PASSWORD" \
        --data-urlencode "confirm=$BENCH_PASSWORD" \
        "$base/register/citizen")"
    read -r status location <<<"$reply"
    [[ $status == 303 ]] || die "$engine: registering citizen $n answered $status, not 303"
    local ticket code confirm_token
    ticket="${location##*t=}"
    code="$("$egov_bin" --config "$dir/none.toml" --data-dir "$dir/data" "$@" sms outbox \
        --phone "$phone" --limit 1 | cut -f4 | grep -oE '[0-9]{6}' | head -n1)"
    [[ -n $code ]] || die "$engine: no confirmation code in the outbox for $phone"
    confirm_token="$(curl -fsS --max-time 10 -D - -o /dev/null "$location" | tr -d '\r' |
        sed -nE 's/^[Ss]et-[Cc]ookie: egov_form=([^;]*).*/\1/p' | head -n1)"
    status="$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' \
        -H "Cookie: egov_form=$confirm_token" --data-urlencode "csrf=$confirm_token" \
        --data-urlencode "ticket=$ticket" --data-urlencode "code=$code" \
        "$base/register/confirm")"
    [[ $status == 303 ]] || die "$engine: confirming citizen $n's phone answered $status, not 303"
}

# identity_scenarios ENGINE DIR DB_ARGS...: sign-ins, client-credentials and
# refresh grants against the running egov.
identity_scenarios() {
    local engine=$1 dir=$2
    shift 2
    local results="$results_dir/$today-$engine.txt"
    local base="http://$egov_addr"

    # The citizens who sign in, one per sign-in connection: a burst of one
    # person's password from many connections is what the throttle refuses.
    local n login_bodies=() headers
    for ((n = 0; n < SIGNIN_CONNECTIONS; n++)); do
        register_citizen "$engine" "$dir" "$base" "$n" "$@"
        login_bodies+=("username=$(bench_user "$n")&password=$BENCH_PASSWORD&csrf=bench-form")
    done
    local login_body="${login_bodies[0]}"

    # One sign-in by hand, so a broken form shows here and not as wrk errors.
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
    BENCH_BODY="$(IFS=$'\n'; printf '%s' "${login_bodies[*]}")" BENCH_COOKIE="egov_form=bench-form" \
        run_scenario "$engine" "egov password sign-ins" "$base/login" \
        "$SIGNIN_CONNECTIONS" "$root/bench/wrk/form_post.lua"
    BENCH_BODY="$cc_body" BENCH_AUTHORIZATION="$authorization" \
        run_scenario "$engine" "egov client-credentials grants" "$base/oidc/token" \
        "$CONNECTIONS" "$root/bench/wrk/form_post.lua"
    run_refresh "$engine" "$base" "$client_id" "$client_secret"
    run_flood "$engine" "$base"
}

declare -a flood_rows=()

# run_flood ENGINE BASE: FLOOD_CONNECTIONS connections posting wrong
# passwords at once, each from its own loopback address and under names of
# its own (bench/flood.py), so neither lockout stops them before the
# password hash: the hashing gate bounds the work. Sign-in answers per
# second by status (422 checked and wrong, 503 refused by the full gate),
# and the server's memory before, at its peak (VmHWM, reset first) and after.
run_flood() {
    local engine=$1 base=$2 conns=${FLOOD_CONNECTIONS:-250}
    local results="$results_dir/$today-$engine.txt" out
    local status=/proc/$egov_server_pid/status
    log "bench: $engine: sign-in flood ($conns connections from as many addresses)"
    echo 5 >"/proc/$egov_server_pid/clear_refs" 2>/dev/null || true
    local before after peak
    before="$(awk '/^VmRSS/ { print $2 }' "$status")"
    out="$(python3 "$root/bench/flood.py" "$base" "$conns" "${DURATION%s}")" ||
        die "$engine: the sign-in flood failed: $out"
    peak="$(awk '/^VmHWM/ { print $2 }' "$status")"
    after="$(awk '/^VmRSS/ { print $2 }' "$status")"
    printf '### %s / sign-in flood\n$ python3 bench/flood.py %s %s %s\n%s\nVmRSS before %s kB, VmHWM during %s kB, VmRSS after %s kB\n\n' \
        "$engine" "$base" "$conns" "${DURATION%s}" "$out" "$before" "$peak" "$after" >>"$results"
    local checked busy locked p50 p99
    # A status that never came is absent from the line: zero.
    field() { { grep -oE "$1=[^ ]+" <<<"$out" || true; } | cut -d= -f2; }
    checked="$(field s422)"
    busy="$(field s503)"
    locked="$(field s429)"
    p50="$(field checked_p50)"
    p99="$(field checked_p99)"
    flood_rows+=("$(awk -v e="$engine" -v c="$conns" -v k="${checked:-0}" -v b="${busy:-0}" \
        -v l="${locked:-0}" -v p50="$p50" -v p99="$p99" -v pk="$peak" -v bf="$before" -v af="$after" \
        'BEGIN { printf "| %s | %d | %.1f | %.1f | %.1f | %s | %s | %.0f | %.0f | %.0f |", e, c, k, b, l, p50, p99, bf / 1024, pk / 1024, af / 1024 }')")
}

# run_refresh ENGINE BASE CLIENT_ID CLIENT_SECRET [TOKENS NAME]: rotating
# refresh chains, one per connection (examples/oidc_load.rs; wrk cannot
# rotate tokens). egov's chains start from a sign-in and a code each; the
# peer's from the refresh tokens it wrote to TOKENS.
run_refresh() {
    local engine=$1 base=$2 id=$3 secret=$4 tokens=${5:-} out line
    local results="$results_dir/$today-$engine.txt"
    local name=${6:-egov refresh grants}
    local start=(--username "$BENCH_USER" --password "$BENCH_PASSWORD")
    [[ -z $tokens ]] || start=(--refresh-tokens "$tokens")
    log "bench: $engine: $name ($base/oidc/token, $CONNECTIONS chains)"
    out="$("$load_bin" refresh --base "$base" --client-id "$id" --client-secret "$secret" \
        --redirect-uri "$BENCH_REDIRECT" "${start[@]}" \
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

# kv LINE KEY: the value of KEY=value in LINE.
kv() {
    local v
    v="$(grep -oE "(^| )$2=[^ ]*" <<<"$1" | head -n1 || true)"
    printf '%s' "${v#*=}"
}

declare -A cases # "engine/key" -> figure of examples/case_load.rs
declare -A ceiling # fsync, fdatasync -> raw durable writes per second
fsync_note=""

# fsync_ceiling: raw durable writes per second on the file system under the
# temp directory (SQLite's data directory, the hall group's file stores and
# the SpiffWorkflow peer's files): one thread overwriting 4 KiB in place,
# then fsync (or fdatasync), 3 s each. Serial durable commits cannot go
# faster than this. Measured once per run, for the cases and hall groups.
fsync_ceiling() {
    if ! command -v python3 >/dev/null 2>&1; then
        fsync_note="not measured: python3 is not installed"
        return 0
    fi
    log "bench: raw fsync rate of the temp directory's file system (3 s each for fsync and fdatasync)"
    local out
    out="$(python3 - "$work" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
block = b"x" * 4096
for name, sync in (("fsync", os.fsync), ("fdatasync", os.fdatasync)):
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 3:
        os.pwrite(fd, block, (n % 64) * 4096)
        sync(fd)
        n += 1
    elapsed = time.perf_counter() - start
    print(f"{name}_per_sec={n / elapsed:.0f} {name}_us={elapsed / n * 1e6:.0f}", end=" ")
print()
os.close(fd)
os.remove(path)
PY
)" || {
        fsync_note="not measured: the probe failed"
        return 0
    }
    ceiling[fsync]="$(kv "$out" fsync_per_sec)"
    ceiling[fdatasync]="$(kv "$out" fdatasync_per_sec)"
    fsync_note="$(printf '%s fsync/s (%s µs), %s fdatasync/s (%s µs): one thread overwriting 4 KiB, %s on %s' \
        "${ceiling[fsync]}" "$(kv "$out" fsync_us)" "${ceiling[fdatasync]}" "$(kv "$out" fdatasync_us)" \
        "$(df -PT "$work" | awk 'NR == 2 { print $2 }')" "$(df -P "$work" | awk 'NR == 2 { print $1 }')")"
}

# hall_disk_ceiling FILES: what the disk allows for the durable writes a
# submission with FILES materials makes, done by a plain program with no
# database: HALL_CONCURRENCY threads each loop on FILES new files of
# HALL_MATERIAL_KIB KiB (written, fsynced, renamed, the directory fsynced, as
# egov's file store does; every file kept, as a filing's materials are, so
# the page cache grows as egov's does instead of reusing the pages of an
# overwritten file) and then 3 + FILES commits of 4 KiB each, written to
# one log and fdatasynced with group commit: one thread at a time flushes,
# covering every commit asked for until then, as SQLite's writer (and
# PostgreSQL's WAL) groups them. Its submissions/s is the disk's ceiling for
# the hall scenario.
declare -A disk # files -> raw submissions per second
hall_disk_ceiling() {
    local files=$1 out
    command -v python3 >/dev/null 2>&1 || return 0
    [[ -z ${disk[$files]:-} ]] || return 0
    log "bench: the same durable writes without egov: $files x $HALL_MATERIAL_KIB KiB files + $((3 + files)) commits, $HALL_CONCURRENCY threads, 4 s"
    out="$(python3 - "$work/hall-raw" "$files" "$HALL_MATERIAL_KIB" "$HALL_CONCURRENCY" <<'PY'
import os, sys, threading, time
root, files, kib, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(root, exist_ok=True)
material = os.urandom(kib * 1024)
wal = os.open(os.path.join(root, "wal"), os.O_WRONLY | os.O_CREAT, 0o644)
tally = threading.Lock()
log = threading.Condition()
asked, flushed, flushing = 0, 0, False
def commit():
    global asked, flushed, flushing
    with log:
        asked += 1
        mine = asked
        while flushed < mine:
            if flushing:
                log.wait()
                continue
            flushing, upto = True, asked
            log.release()
            try:
                pages = upto - flushed
                os.pwrite(wal, material[:4096] * pages, (flushed % 1024) * 4096)
                os.fdatasync(wal)
            finally:
                log.acquire()
            flushed, flushing = upto, False
            log.notify_all()
done = [0]
start = time.perf_counter()
stop = start + 4
def applicant(t):
    n = 0
    while time.perf_counter() < stop:
        for f in range(files):
            path = os.path.join(root, f"{t}-{f}-{n}")
            fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, material)
            os.fsync(fd)
            os.close(fd)
            os.rename(path + ".tmp", path)
            d = os.open(root, os.O_RDONLY)
            os.fsync(d)
            os.close(d)
        for c in range(3 + files):
            commit()
        n += 1
        if time.perf_counter() < stop:
            with tally:
                done[0] += 1
pool = [threading.Thread(target=applicant, args=(t,)) for t in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
print(f"submissions_per_sec={done[0] / (stop - start):.1f}")
PY
)" || return 0
    rm -rf "$work/hall-raw"
    disk[$files]="$(kv "$out" submissions_per_sec)"
}

# writer_ceiling: the statements of the case engine's joint approvals run
# bare, on egov's schema, on one rusqlite writer thread with group commit
# (examples/write_ceiling.rs), on a file in the temp directory: the ceiling
# egov's SQLite commits are measured against. Once per run, with the case
# group's concurrency.
writer_ceiling_note=""
writer_ceiling() {
    local dir="$work/write-ceiling" out
    log "bench: bare writer-thread ceiling of the joint approvals' statements (write_ceiling, ${CASE_SECONDS}s)"
    if ! out="$("$ceiling_bin" --dir "$dir" --seconds "$CASE_SECONDS" --warmup "$CASE_WARMUP" \
        --concurrency "$CASE_CONCURRENCY" 2>&1)"; then
        writer_ceiling_note="not measured: write_ceiling failed: $out"
        return
    fi
    rm -rf "$dir"
    local line
    line="$(grep '^write_ceiling ' <<<"$out" | tail -n1)"
    ceiling[writer]="$(kv "$line" transactions_per_sec)"
    ceiling[writer_instances]="$(kv "$line" instances_per_sec)"
    writer_ceiling_note="$(printf '%s commits/s, %s instances/s (p50 %s, p99 %s, %s µs CPU per commit, %s commits per COMMIT on average): the joint approvals of case_load, egov'"'"'s own statements on egov'"'"'s schema with the values they bind and the audit record hashed in Rust, on one rusqlite writer thread, a savepoint each, one COMMIT per group, the WAL synced by a second thread before answering, as egov does; without the engine'"'"'s definitions, calendar and checks' \
        "${ceiling[writer]}" "${ceiling[writer_instances]}" "$(kv "$line" p50)" "$(kv "$line" p99)" "$(kv "$line" cpu_us_per_tx)" "$(kv "$line" mean_group)")"
    printf '### bare writer-thread ceiling\n$ write_ceiling --seconds %s --concurrency %s\n%s\n\n' \
        "$CASE_SECONDS" "$CASE_CONCURRENCY" "$out" >>"$results_dir/$today-sqlite.txt"
}

# pg_insert_ceiling: PostgreSQL's own ceiling of durable commits on this
# machine, in the same run: pgbench with CASE_CONCURRENCY connections, each
# inserting one row per transaction into a scratch database (no egov, no
# Rust), for CASE_SECONDS. egov's PostgreSQL commits are reported beside it.
pg_ceiling_note=""
pg_insert_ceiling() {
    if ! command -v pgbench >/dev/null 2>&1; then
        pg_ceiling_note="not measured: pgbench is not installed"
        return 0
    fi
    local db="egov_bench_ceiling_$(date +%Y%m%d_%H%M%S)_$$" out
    databases+=("$db")
    psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
    psql -X -q -d "$db" -c "CREATE TABLE ceiling (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now(), v TEXT NOT NULL)" >/dev/null
    printf 'INSERT INTO ceiling (v) VALUES (%s);\n' "'one row'" >"$work/pg-ceiling.sql"
    log "bench: PostgreSQL one-row-insert ceiling (pgbench, $CASE_CONCURRENCY connections, ${CASE_SECONDS}s)"
    local seconds="${CASE_SECONDS%.*}"
    if ! out="$(pgbench -n -c "$CASE_CONCURRENCY" -j 2 -T "${seconds:-10}" -f "$work/pg-ceiling.sql" "$db" 2>&1)"; then
        pg_ceiling_note="not measured: pgbench failed: $(tail -n 2 <<<"$out")"
        return 0
    fi
    ceiling[pg_insert]="$(grep -oE '^tps = [0-9.]+' <<<"$out" | head -n1 | awk '{ printf "%.0f", $3 }')"
    pg_ceiling_note="$(printf '%s commits/s: pgbench, %s connections, one INSERT of one row per transaction, PostgreSQL %s (synchronous_commit %s)' \
        "${ceiling[pg_insert]}" "$CASE_CONCURRENCY" "$(psql -X -A -t -d "$db" -c 'SHOW server_version')" \
        "$(psql -X -A -t -d "$db" -c 'SHOW synchronous_commit')")"
    printf '### PostgreSQL one-row-insert ceiling\n$ pgbench -n -c %s -j 2 -T %s -f <INSERT one row>\n%s\n\n' \
        "$CASE_CONCURRENCY" "${seconds:-10}" "$out" >>"$results_dir/$today-postgres.txt"
}

# case_scenarios ENGINE DIR: examples/case_load.rs on a fresh database of its
# own: creations, joint-approval instances, the supervision scan.
case_scenarios() {
    local engine=$1 dir=$2
    local results="$results_dir/$today-$engine.txt"
    local url shown
    if [[ $engine == postgres ]]; then
        local db="egov_bench_cases_$(date +%Y%m%d_%H%M%S)_$$"
        databases+=("$db")
        psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$db"
        shown="$url"
    else
        mkdir -p "$dir/cases"
        url="sqlite://$dir/cases/egov.db"
        shown="sqlite://<temp dir>/egov.db"
    fi
    local scan_args=(--scan-cases "$SCAN_CASES")
    [[ $SCAN_CASES != 0 ]] || scan_args=(--skip-scan)
    local args=(--seconds "$CASE_SECONDS" --warmup "$CASE_WARMUP" --concurrency "$CASE_CONCURRENCY" "${scan_args[@]}")
    log "bench: $engine: case engine (case_load ${args[*]})"
    local out
    out="$("$case_bin" --database-url "$url" "${args[@]}" 2>&1)" || {
        printf '%s\n' "$out" >&2
        printf '### %s / case engine (FAILED)\n$ case_load --database-url %s %s\n%s\n\n' \
            "$engine" "$shown" "${args[*]}" "$out" >>"$results"
        die "$engine: case_load failed or counted wrong (see above)"
    }
    {
        [[ -z ${ceiling[fsync]:-} ]] || printf '### raw fsync rate\n%s\n\n' "$fsync_note"
        printf '### %s / case engine\n$ case_load --database-url %s %s\n%s\n\n' \
            "$engine" "$shown" "${args[*]}" "$out"
    } >>"$results"

    local create instances scan
    create="$(grep '^case_load phase=create ' <<<"$out" | tail -n1)"
    instances="$(grep '^case_load phase=instances ' <<<"$out" | tail -n1)"
    [[ -n $create && -n $instances ]] || die "could not read case_load's output for $engine (see $results)"
    local key
    for key in creations_per_sec p50 p90 p99 errors; do
        cases[$engine/create_$key]="$(kv "$create" "$key")"
    done
    for key in instances_per_sec commits_per_sec transitions_per_sec step_p50 step_p90 step_p99 \
        instance_p50 instance_p99 errors cpu_us_per_commit; do
        cases[$engine/$key]="$(kv "$instances" "$key")"
    done
    rows+=("| $engine | case creations (start) | ${cases[$engine/create_creations_per_sec]} | ${cases[$engine/create_p50]} | ${cases[$engine/create_p90]} | ${cases[$engine/create_p99]} |")
    rows+=("| $engine | joint-approval commits (start, accept, 3 × branch_approve) | ${cases[$engine/commits_per_sec]} | ${cases[$engine/step_p50]} | ${cases[$engine/step_p90]} | ${cases[$engine/step_p99]} |")
    rows+=("| $engine | joint-approval instances (5 commits each) | ${cases[$engine/instances_per_sec]} | ${cases[$engine/instance_p50]} | - | ${cases[$engine/instance_p99]} |")
    if [[ $SCAN_CASES != 0 ]]; then
        scan="$(grep '^case_load phase=scan ' <<<"$out" | tail -n1)"
        [[ -n $scan ]] || die "could not read case_load's scan line for $engine (see $results)"
        for key in inserted insert_seconds open_cases due raised scan_seconds idle_scan_seconds \
            idle_scan_median_seconds; do
            cases[$engine/scan_$key]="$(kv "$scan" "$key")"
        done
    fi
}

declare -A hall # "engine/item/key" -> figure of examples/application_load.rs

# hall_scenarios ENGINE DIR: examples/application_load.rs once per HALL_ITEMS
# item, each on a fresh database of its own (SQLite: a file in a fresh
# directory; PostgreSQL: a fresh database) and a fresh file store for the
# materials. The stores (about 1 GB a run with the defaults) stay until the
# exit trap removes the temp directory: deleting thousands of files makes
# ext4 without a journal (as on the machine in BENCHMARKS.md) skip the
# recently deleted inodes one by one at each new file for a minute or more,
# which would slow the next run's uploads.
hall_scenarios() {
    local engine=$1 dir=$2
    local results="$results_dir/$today-$engine.txt"
    local item url shown out line key
    if [[ $want_cases == 0 && -n ${ceiling[fsync]:-} ]]; then
        printf '### raw fsync rate\n%s\n\n' "$fsync_note" >>"$results"
    fi
    for item in ${HALL_ITEMS//,/ }; do
        if [[ $engine == postgres ]]; then
            local db="egov_bench_hall_$(date +%Y%m%d_%H%M%S)_$$_${item,,}"
            databases+=("$db")
            psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
            url="postgres://$PGUSER@$PGHOST:$PGPORT/$db"
            shown="$url"
        else
            mkdir -p "$dir/hall-$item"
            url="sqlite://$dir/hall-$item/egov.db"
            shown="sqlite://<temp dir>/egov.db"
        fi
        local files="$work/hall-files/$engine-$item"
        local args=(--item "$item" --seconds "$HALL_SECONDS" --warmup "$HALL_WARMUP"
            --concurrency "$HALL_CONCURRENCY" --material-kib "$HALL_MATERIAL_KIB")
        log "bench: $engine: service hall (application_load ${args[*]})"
        out="$("$hall_bin" --database-url "$url" --files-dir "$files" "${args[@]}" 2>&1)" || {
            printf '%s\n' "$out" >&2
            printf '### %s / service hall, %s (FAILED)\n$ application_load --database-url %s --files-dir <temp dir> %s\n%s\n\n' \
                "$engine" "$item" "$shown" "${args[*]}" "$out" >>"$results"
            die "$engine: application_load failed or counted wrong for $item (see above)"
        }
        printf '### %s / service hall, %s\n$ application_load --database-url %s --files-dir <temp dir> %s\n%s\n\n' \
            "$engine" "$item" "$shown" "${args[*]}" "$out" >>"$results"
        line="$(grep '^application_load phase=submit ' <<<"$out" | tail -n1)"
        [[ -n $line ]] || die "could not read application_load's output for $engine / $item (see $results)"
        for key in joint audience files_per_submission material_kib submissions submissions_per_sec \
            p50 p90 p99 material_mb_per_sec db_commits_per_submission db_commits_per_sec sqlite_commits_run_per_sec \
            file_fsyncs_per_submission file_fsyncs_per_sec io_write_mb_per_sec draft_p50 file_p50 \
            submit_p50 errors; do
            hall[$engine/$item/$key]="$(kv "$line" "$key")"
        done
        local what="joint, ${hall[$engine/$item/audience]}s"
        [[ ${hall[$engine/$item/joint]} == true ]] || what="single department, ${hall[$engine/$item/audience]}s"
        rows+=("| $engine | application submissions, $item ($what; ${hall[$engine/$item/files_per_submission]} × ${hall[$engine/$item/material_kib]} KiB) | ${hall[$engine/$item/submissions_per_sec]} | ${hall[$engine/$item/p50]} | ${hall[$engine/$item/p90]} | ${hall[$engine/$item/p99]} |")
    done
}

declare -A search # "docs/key" -> figure of search_bench

# bench_search: the search benchmark at each SEARCH_DOCS size, pinned to
# CPU 0, its index in the temp directory (removed after each size).
bench_search() {
    local results="$results_dir/$today-search.txt"
    local pin=() pinned docs out line
    if command -v taskset >/dev/null 2>&1; then
        pin=(taskset -c 0)
        pinned="pinned to CPU 0 (taskset -c 0)"
    else
        pinned="NOT pinned: taskset is not installed"
    fi
    printf '## search run, %s\n%s\n\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts" >>"$results"
    for docs in $SEARCH_DOCS; do
        log "bench: search: search_bench --docs $docs --queries $SEARCH_QUERIES, $pinned"
        if ! out="$("${pin[@]}" "$search_bin" --docs "$docs" --queries "$SEARCH_QUERIES" \
            --dir "$work/search-$docs" 2>&1)"; then
            tail -n 20 <<<"$out" >&2
            printf '### search / %s docs (FAILED)\n$ %s search_bench --docs %s --queries %s --dir <temp dir>\n%s\n\n' \
                "$docs" "${pin[*]}" "$docs" "$SEARCH_QUERIES" "$out" >>"$results"
            rm -rf "$work/search-$docs"
            search_note="failed at $docs docs: search_bench exited non-zero (see above and bench/results/$today-search.txt)"
            return 0
        fi
        rm -rf "$work/search-$docs"
        printf '### search / %s docs\n$ %s search_bench --docs %s --queries %s --dir <temp dir>\n%s\n\n' \
            "$docs" "${pin[*]}" "$docs" "$SEARCH_QUERIES" "$out" >>"$results"
        # "queries: N in S s = Q q/s; latency ms p50 A  p90 B  p99 C  max D; ..."
        line="$(grep -m1 '^queries:' <<<"$out" || true)"
        search[$docs/qps]="$(sed -nE 's|.*= ([0-9.]+) q/s.*|\1|p' <<<"$line")"
        search[$docs/p50]="$(sed -nE 's|.* p50 ([0-9.]+).*|\1|p' <<<"$line")"
        search[$docs/p90]="$(sed -nE 's|.* p90 ([0-9.]+).*|\1|p' <<<"$line")"
        search[$docs/p99]="$(sed -nE 's|.* p99 ([0-9.]+).*|\1|p' <<<"$line")"
        search[$docs/build]="$(sed -nE 's|^build: ([0-9]+) docs in ([0-9.]+) s.*|\2|p' <<<"$out" | head -n1)"
        search[$docs/size]="$(sed -nE 's|^index size: ([0-9.]+) MiB.*|\1|p' <<<"$out" | head -n1)"
        if [[ -z ${search[$docs/p50]} || -z ${search[$docs/p99]} ]]; then
            search_note="ran, but its output could not be read at $docs docs (see bench/results/$today-search.txt)"
            return 0
        fi
        rows+=("| search | $docs docs, one query at a time, one core | ${search[$docs/qps]} | ${search[$docs/p50]}ms | ${search[$docs/p90]}ms | ${search[$docs/p99]}ms |")
    done
    search_note="ran: crates/search/examples/search_bench.rs, $SEARCH_QUERIES queries per size, $pinned"
}

# bench_case_peer: SpiffWorkflow running the same joint approval, an fsync'd
# JSON save after every step, for as long as one egov phase.
bench_case_peer() {
    local results="$results_dir/$today-peer.txt"
    local out line
    log "bench: peer: SpiffWorkflow joint approval (bench/peer/spiffworkflow/run.sh --seconds $CASE_SECONDS)"
    if ! out="$("$spiff_dir/run.sh" --seconds "$CASE_SECONDS" 2>&1)"; then
        tail -n 5 <<<"$out" >&2
        case_peer_note="not run: bench/peer/spiffworkflow/run.sh failed (see above)"
        return 0
    fi
    line="$(grep '^spiffworkflow ' <<<"$out" | tail -n1)"
    cases[peer/instances_per_sec]="$(kv "$line" instances_per_sec)"
    cases[peer/steps_per_sec]="$(kv "$line" steps_per_sec)"
    if [[ -z ${cases[peer/instances_per_sec]} ]]; then
        tail -n 5 <<<"$out" >&2
        case_peer_note="not run: no result line from bench/peer/spiffworkflow/run.sh"
        return 0
    fi
    {
        printf '## peer run (case engine), %s\n%s\n\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts"
        printf '### peer / SpiffWorkflow joint approval\n$ bench/peer/spiffworkflow/run.sh --seconds %s\n%s\n\n' \
            "$CASE_SECONDS" "$out"
    } >>"$results"
    rows+=("| peer | SpiffWorkflow joint-approval steps (fsync'd saves) | ${cases[peer/steps_per_sec]} | - | - | - |")
    rows+=("| peer | SpiffWorkflow joint-approval instances (5 saves each) | ${cases[peer/instances_per_sec]} | - | - | - |")
    case_peer_note="ran: SpiffWorkflow $(kv "$line" version) on $("$spiff_dir/.venv/bin/python" --version 2>&1), one process, one thread, fsync after every step"
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
        if [[ $want_server == 1 ]]; then
            local db="egov_bench_$(date +%Y%m%d_%H%M%S)_$$"
            databases+=("$db")
            psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
            db_args=(--database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$db")
        fi
        engine_note="PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version' | awk '{ print $1 }') at $PGHOST:$PGPORT"
    fi

    if [[ $want_server == 1 ]]; then
        start_egov "$engine" "$dir" "${db_args[@]}"
        {
            printf '## %s run, %s\n%s\n' "$engine" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts"
            printf 'egov:        %s, %s\n' "$egov_addr" "$engine_note"
        } >>"$results"
        [[ $want_http == 1 ]] || printf '\n' >>"$results"
    else
        {
            printf '## %s run, %s\n%s\n' "$engine" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$facts"
            printf 'egov:        no server (cases and hall groups only), %s\n\n' "$engine_note"
        } >>"$results"
    fi

    if [[ $want_http == 1 ]]; then
        http_scenarios "$engine" "$dir"
    fi
    if [[ $want_identity == 1 ]]; then
        identity_scenarios "$engine" "$dir" "${db_args[@]}"
    fi
    if [[ $want_exchange == 1 ]]; then
        exchange_scenarios "$engine" "$dir" "${db_args[@]}"
    fi
    if [[ $want_grid == 1 ]]; then
        grid_scenarios "$engine" "$dir" "${db_args[@]}"
        if [[ $routing_done == 0 ]]; then
            routing_scenarios "$dir" "${db_args[@]}"
            routing_done=1
        fi
    fi
    stop_servers
    if [[ $want_cases == 1 ]]; then
        case_scenarios "$engine" "$dir"
    fi
    if [[ $want_hall == 1 ]]; then
        hall_scenarios "$engine" "$dir"
    fi
    if [[ $want_grid == 1 && $GRID_READ_CASES != 0 ]]; then
        grid_read_scenarios "$engine" "$dir"
    fi
    if [[ $want_exchange == 1 && $CATALOGUE_DATASETS != 0 ]]; then
        catalogue_search_scenario "$engine" "$dir"
    fi
    if [[ $want_mailbox == 1 ]]; then
        interaction_scenario "$engine" "$dir" mailbox_load
        interaction_scenario "$engine" "$dir" disclosure_load
    fi
    if [[ $want_workplan == 1 ]]; then
        workplan_scenario "$engine" "$dir"
    fi

    drop_databases
    rm -rf "$dir"
}

# grid_scenarios ENGINE DIR DB_ARGS...: Open311 reports posted to the running
# egov (demo grid: 东城区 and 西城区) with an API key made by the CLI, each
# checked against the classes and the grid and written durably before the
# answer; each waits on the command centre's list until a dispatcher files
# it (a case is written at the pace dispatchers decide, not at the rate
# reports arrive). Afterwards, how many were stored.
grid_scenarios() {
    local engine=$1 dir=$2
    shift 2
    local key
    key="$("$egov_bin" --config "$dir/none.toml" admin api-key create --data-dir "$dir/data" "$@" \
        --name bench-open311 --scope open311:write 2>/dev/null)" || die "$engine: could not make an API key"
    # Points spread over both districts, several classes.
    local bodies="" i lat lon codes=(e0102 e0504 c0101 e0201 e0301 c0108)
    for i in $(seq 0 31); do
        lat="$(awk -v i="$i" 'BEGIN { printf "%.5f", 39.895 + (i % 8) * 0.006 }')"
        lon="$(awk -v i="$i" 'BEGIN { printf "%.5f", 116.355 + int(i / 8) * 0.013 }')"
        local code=${codes[$((i % ${#codes[@]}))]} extra=""
        [[ $code != c0101 ]] || extra="&attribute%5Bcover_state%5D=missing"
        bodies+="api_key=$key&service_code=$code&lat=$lat&long=$lon&description=%E8%B7%AF%E8%BE%B9%E9%97%AE%E9%A2%98+$i$extra"$'\n'
    done
    BENCH_BODY="$bodies" run_scenario "$engine" "open311 POST requests" \
        "http://$egov_addr/open311/v2/requests.json" "$CONNECTIONS" "$root/bench/wrk/form_post.lua"
    # Every report answered is on disk, waiting to be filed.
    local stored
    if [[ $engine == postgres ]]; then
        # DB_ARGS is `--database-url URL`: the database is the URL's last part.
        stored="$(psql -X -At -d "${2##*/}" -c 'SELECT COUNT(*) FROM grid_reports WHERE case_id IS NULL' 2>/dev/null)"
    else
        stored="$(sqlite3 "$dir/data/egov.db" 'SELECT COUNT(*) FROM grid_reports WHERE case_id IS NULL' 2>/dev/null)"
    fi
    grid_note["$engine"]="reports stored, waiting to be filed: ${stored:-?}"
    printf 'grid: %s\n\n' "${grid_note[$engine]}" >>"$results_dir/$today-$engine.txt"
}
declare -A grid_note

# exchange_scenarios ENGINE DIR DB_ARGS...: a consuming department's
# machine client (a single sign-on client made and bound to 市民政局 by the
# CLI, granted the demo catalogue's air quality by station) reads rows of
# it with its client-credentials token: each call grant-checked, only the
# granted fields projected, logged in the audit chain durably before the
# answer, the answer signed. Beside it, the same rows through CKAN's open
# datastore_search (no grant, no log, no signature). Afterwards, how many
# calls the log holds.
exchange_scenarios() {
    local engine=$1 dir=$2
    shift 2
    local base="http://$egov_addr" client_out client_id client_secret token
    client_out="$("$egov_bin" --config "$dir/none.toml" admin oidc-client create \
        --data-dir "$dir/data" "$@" --name bench-exchange --redirect-uri "$BENCH_REDIRECT" 2>"$dir/client.err")" ||
        die "$engine: egov admin oidc-client create failed: $(cat "$dir/client.err")"
    client_id="$(awk '$1 == "client_id:" { print $2 }' <<<"$client_out")"
    client_secret="$(awk '$1 == "client_secret:" { print $2 }' <<<"$client_out")"
    "$egov_bin" --config "$dir/none.toml" catalogue bind-client --data-dir "$dir/data" "$@" \
        --client-id "$client_id" --department 110000-MZJ >/dev/null ||
        die "$engine: could not bind the exchange client"
    "$egov_bin" --config "$dir/none.toml" catalogue request --data-dir "$dir/data" "$@" \
        --resource 110000-STHJJ-00001 --consumer 110000-MZJ --fields station,date,aqi,pm25 \
        --purpose 空气质量与老年人健康服务 --until "$(date -d '+1 year' +%F)" >/dev/null ||
        die "$engine: could not grant the resource"
    token="$(curl -fsS --max-time 10 -u "$client_id:$client_secret" \
        --data 'grant_type=client_credentials&scope=exchange' "$base/oidc/token" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')" ||
        die "$engine: no client-credentials token"
    # The station 东四, its days; a filter, a projection, a sort.
    local query="filters=%7B%22station%22%3A%22%E4%B8%9C%E5%9B%9B%22%7D&fields=date,aqi,pm25&sort=date%20desc"
    curl -fsS --max-time 10 -o /dev/null -H "Authorization: Bearer $token" \
        "$base/api/v1/exchange/resources/110000-STHJJ-00001/rows?$query" ||
        die "$engine: an exchange call failed"
    BENCH_AUTHORIZATION="Bearer $token" run_scenario "$engine" "exchange GET rows" \
        "$base/api/v1/exchange/resources/110000-STHJJ-00001/rows?$query" "$CONNECTIONS" \
        "$root/bench/wrk/get_bearer.lua"
    run_scenario "$engine" "ckan datastore_search (open, unlogged)" \
        "$base/api/3/action/datastore_search?resource_id=110000-sthjj-00001-csv&$query"
    local logged
    if [[ $engine == postgres ]]; then
        logged="$(psql -X -At -d "${2##*/}" -c "SELECT (SELECT COUNT(*) FROM audit_log WHERE action = 'exchange.query') + (SELECT COUNT(*) FROM audit_pending WHERE action = 'exchange.query')" 2>/dev/null)"
    else
        logged="$(sqlite3 "$dir/data/egov.db" "SELECT COUNT(*) FROM audit_log WHERE action = 'exchange.query'" 2>/dev/null)"
    fi
    exchange_note["$engine"]="calls in the audit chain: ${logged:-?}"
    printf 'exchange: %s\n\n' "${exchange_note[$engine]}" >>"$results_dir/$today-$engine.txt"
}
declare -A exchange_note

# routing_scenarios DIR DB_ARGS...: the dispatch classifier on made-up
# dispatch histories (egov grid routing evaluate): trained on four fifths,
# its accuracy on the last fifth beside always suggesting the commonest
# department, its training time and suggestions a second on one thread.
# CPU only, so run once whatever the engines.
routing_done=0
routing_scenarios() {
    local dir=$1
    shift
    local results="$results_dir/$today-routing.txt" n out line
    for n in $ROUTING_DECISIONS; do
        log "bench: dispatch classifier over $n decisions"
        out="$("$egov_bin" --config "$dir/none.toml" grid routing evaluate --decisions "$n" \
            --data-dir "$dir/data" "$@" 2>/dev/null)" || die "egov grid routing evaluate failed"
        printf '$ egov grid routing evaluate --decisions %s\n%s\n\n' "$n" "$out" >>"$results"
        line="$(grep '^routing ' <<<"$out" | tail -n1)"
        [[ -n $line ]] || die "could not read egov grid routing evaluate's output"
        rows+=("| cpu | dispatch classifier, $n decisions: held-out accuracy $(kv "$line" accuracy) (commonest department $(kv "$line" commonest)), trained in $(kv "$line" train_s) s; suggestions/s on one thread | $(kv "$line" suggest_per_s) | – | – | – |")
    done
}

# fresh_database ENGINE DIR NAME: a fresh database for an example that
# fills its own (dropped at the end on PostgreSQL); sets url and shown (the
# URL as the results print it).
fresh_database() {
    local engine=$1 dir=$2 name=$3
    if [[ $engine == postgres ]]; then
        local db="egov_bench_${name}_$(date +%Y%m%d_%H%M%S)_$$"
        databases+=("$db")
        psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
        url="postgres://$PGUSER@$PGHOST:$PGPORT/$db"
        shown="$url"
    else
        mkdir -p "$dir/$name"
        url="sqlite://$dir/$name/egov.db"
        shown="sqlite://<temp dir>/egov.db"
    fi
}

# grid_read_scenarios ENGINE DIR: Open311 reads over GRID_READ_CASES stored
# grid cases on a fresh database (examples/open311_read.rs, no HTTP): a
# client's page, the spec's defaults (up to 1,000), one by id, and the open
# ones near a point.
grid_read_scenarios() {
    local engine=$1 dir=$2
    local results="$results_dir/$today-$engine.txt" url shown
    fresh_database "$engine" "$dir" read
    local args=(--cases "$GRID_READ_CASES" --seconds "$GRID_READ_SECONDS")
    log "bench: $engine: Open311 reads (open311_read ${args[*]})"
    local out
    out="$("$read_bin" --database-url "$url" "${args[@]}" 2>&1)" || {
        printf '%s\n' "$out" >&2
        die "$engine: open311_read failed (see above)"
    }
    printf '### %s / Open311 reads\n$ open311_read --database-url %s %s\n%s\n\n' \
        "$engine" "$shown" "${args[*]}" "$out" >>"$results"
    local line phase
    for phase in page default one near; do
        line="$(grep "^open311_read phase=$phase " <<<"$out" | tail -n1)"
        [[ -n $line ]] || die "could not read open311_read's output for $engine"
        rows+=("| $engine | Open311 GET requests: $phase ($GRID_READ_CASES cases) | $(kv "$line" qps) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |")
    done
}

# interaction_scenario ENGINE DIR EXAMPLE: citizen interaction on a fresh
# database, in process (no HTTP): with mailbox_load, letters written by
# signed-in writers; with disclosure_load, requests for information filed;
# each beside the case engine opening the same process's cases alone (its
# ceiling), then the public list and search over MAILBOX_PUBLISHED published
# letters or documents (examples/mailbox_load.rs, examples/disclosure_load.rs).
interaction_scenario() {
    local engine=$1 dir=$2 example=$3
    local results="$results_dir/$today-$engine.txt" url shown
    local filed things heading
    case $example in
        mailbox_load) filed=letters things="letters" heading="mailboxes" ;;
        disclosure_load) filed=requests things="documents" heading="disclosure" ;;
    esac
    fresh_database "$engine" "$dir" "${example%_load}"
    local args=(--seconds "$MAILBOX_SECONDS" --concurrency "$MAILBOX_CONCURRENCY"
        --published "$MAILBOX_PUBLISHED" --queries "$MAILBOX_QUERIES")
    log "bench: $engine: $heading ($example ${args[*]})"
    local out
    out="$("$target_dir/release/examples/$example" --database-url "$url" "${args[@]}" 2>&1)" || {
        printf '%s\n' "$out" >&2
        die "$engine: $example failed (see above)"
    }
    printf '### %s / %s\n$ %s --database-url %s %s\n%s\n\n' \
        "$engine" "$heading" "$example" "$shown" "${args[*]}" "$out" >>"$results"
    local line phase
    for phase in "$filed" cases list search; do
        line="$(grep "^$example engine=$engine phase=$phase " <<<"$out" | tail -n1)"
        [[ -n $line ]] || die "could not read $example's output for $engine"
        case $phase in
            letters) rows+=("| $engine | letters written (signed in, $MAILBOX_CONCURRENCY at a time) | $(kv "$line" rate) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |") ;;
            requests) rows+=("| $engine | requests for information filed (signed in, $MAILBOX_CONCURRENCY at a time) | $(kv "$line" rate) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |") ;;
            cases) rows+=("| $engine | ceiling: the same cases opened alone ($filed ÷ cases $(kv "$line" "${filed}_share")) | $(kv "$line" rate) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |") ;;
            list) rows+=("| $engine | published $things, a page of 20 ($(kv "$line" published) published) | $(kv "$line" qps) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |") ;;
            search) rows+=("| $engine | published $things searched (index built in $(kv "$line" index_seconds) s) | $(kv "$line" qps) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |") ;;
        esac
    done
}

# workplan_scenario ENGINE DIR: a plan of WORKPLAN_TASKS tasks with
# WORKPLAN_REPORTS reports on a fresh database, in process
# (examples/workplan_load.rs): its nodes read alone (the ceiling of the
# roll-up), the roll-up, the board page through the router (the items, and
# one item's tasks) and the year-end ranking, one after another.
workplan_scenario() {
    local engine=$1 dir=$2
    local results="$results_dir/$today-$engine.txt" url shown
    fresh_database "$engine" "$dir" workplan
    local args=(--tasks "$WORKPLAN_TASKS" --reports "$WORKPLAN_REPORTS" --queries "$WORKPLAN_QUERIES")
    log "bench: $engine: work plans (workplan_load ${args[*]})"
    local out line phase what
    out="$("$target_dir/release/examples/workplan_load" --database-url "$url" "${args[@]}" 2>&1)" || {
        printf '%s\n' "$out" >&2
        die "$engine: workplan_load failed (see above)"
    }
    printf '### %s / work plans\n$ workplan_load --database-url %s %s\n%s\n\n' \
        "$engine" "$shown" "${args[*]}" "$out" >>"$results"
    for phase in nodes rollup board board_item ranking; do
        line="$(grep "^workplan_load engine=$engine phase=$phase " <<<"$out" | tail -n1)"
        [[ -n $line ]] || die "could not read workplan_load's output for $engine"
        case $phase in
            nodes) what="ceiling: the plan's nodes read alone ($WORKPLAN_TASKS tasks)" ;;
            rollup) what="roll-up: nodes read, every light worked out and rolled up" ;;
            board) what="board page, the items ($(kv "$line" bytes) bytes)" ;;
            board_item) what="board page, one item's tasks with the timeline ($(kv "$line" bytes) bytes)" ;;
            ranking) what="year-end ranking ($WORKPLAN_REPORTS reports)" ;;
        esac
        rows+=("| $engine | $what | $(kv "$line" qps) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |")
    done
}

# catalogue_search_scenario ENGINE DIR: CKAN's package_search through the
# router in process over CATALOGUE_DATASETS resources on a fresh database
# (examples/catalogue_search.rs): the catalogue's first load (read and
# indexed), then searches one after another.
catalogue_search_scenario() {
    local engine=$1 dir=$2
    local results="$results_dir/$today-$engine.txt" url shown
    fresh_database "$engine" "$dir" catalogue
    local args=(--datasets "$CATALOGUE_DATASETS" --queries "$CATALOGUE_QUERIES")
    log "bench: $engine: package_search (catalogue_search ${args[*]})"
    local out line
    out="$("$target_dir/release/examples/catalogue_search" --database-url "$url" "${args[@]}" 2>&1)" || {
        printf '%s\n' "$out" >&2
        die "$engine: catalogue_search failed (see above)"
    }
    printf '### %s / package_search\n$ catalogue_search --database-url %s %s\n%s\n\n' \
        "$engine" "$shown" "${args[*]}" "$out" >>"$results"
    line="$(grep '^catalogue_search ' <<<"$out" | tail -n1)"
    [[ -n $line ]] || die "could not read catalogue_search's output for $engine"
    rows+=("| $engine | CKAN package_search, $CATALOGUE_DATASETS datasets (first load $(kv "$line" load_seconds) s), one at a time | $(kv "$line" qps) | $(kv "$line" p50) | $(kv "$line" p90) | $(kv "$line" p99) |")
}

# bench_peer: oidc-provider's client-credentials grants, with the same wrk
# script, connections and length as egov's; then its refresh grants, with the
# same load generator, one rotating chain per connection from tokens it
# seeded at start.
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
    stop_servers
    # Refresh chains on a peer of their own: its in-memory adapter keeps the
    # newest 1,000 objects, so the client-credentials run would have pushed
    # seeded grants out.
    (cd "$peer_dir" && PEER_CLIENT_ID=bench PEER_CLIENT_SECRET="$secret" \
        PEER_REFRESH_CHAINS="$CONNECTIONS" PEER_REFRESH_FILE="$dir/refresh-tokens" \
        exec node server.mjs "$HOST" 0 >"$dir/peer2.out" 2>"$dir/peer2.err") &
    peer_pid=$!
    pids+=("$peer_pid")
    if line="$(wait_for_line "$dir/peer2.out" '^oidc-provider listening on http://' "$peer_pid")"; then
        peer_addr="$(sed -E 's|^oidc-provider listening on http://([^ ]+).*|\1|' <<<"$line")"
        run_refresh peer "http://$peer_addr" bench "$secret" "$dir/refresh-tokens" "oidc-provider refresh grants"
    fi
    peer_note="ran: oidc-provider $(cd "$peer_dir" && node -p 'require("./node_modules/oidc-provider/package.json").version'), Node.js $(node --version), in-memory adapter, one process"
    stop_servers
    rm -rf "$dir"
}

if [[ $want_cases == 1 || $want_hall == 1 || $want_grid == 1 ]]; then
    fsync_ceiling
fi
if [[ $want_cases == 1 ]]; then
    writer_ceiling
    if [[ " ${engines[*]} " == *" postgres "* ]]; then
        pg_insert_ceiling
    fi
fi
for engine in "${engines[@]}"; do
    bench_engine "$engine"
done
if [[ $want_identity == 1 && -z $peer_note ]]; then
    bench_peer
fi
if [[ $want_cases == 1 && -z $case_peer_note ]]; then
    bench_case_peer
fi
if [[ $want_hall == 1 ]]; then
    for engine in "${engines[@]}"; do
        for item in ${HALL_ITEMS//,/ }; do
            [[ -z ${hall[$engine/$item/files_per_submission]:-} ]] ||
                hall_disk_ceiling "${hall[$engine/$item/files_per_submission]}"
        done
    done
fi
if [[ $want_hall == 1 && -z $search_note ]]; then
    bench_search
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
    printf '| engine | flood connections | checked (422)/s | refused, gate full (503)/s | locked (429)/s | checked p50 | checked p99 | RSS before, MiB | peak RSS, MiB | RSS after, MiB |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    printf '%s\n' "${flood_rows[@]}"
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
        per_core_row "peer" "oidc-provider refresh grants" \
            "${rps[peer/oidc-provider refresh grants]:-0}" 120
        printf '\n| engine | client-credentials grants ÷ oidc-provider (target 1.5x) | refresh grants ÷ oidc-provider (target 1x) |\n'
        printf '|---|---:|---:|\n'
        for engine in "${engines[@]}"; do
            awk -v e="$engine" -v c="${rps[$engine/egov client-credentials grants]}" \
                -v pc="${rps[peer/oidc-provider client-credentials grants]}" \
                -v r="${rps[$engine/egov refresh grants]}" -v pr="${rps[peer/oidc-provider refresh grants]:-0}" \
                'BEGIN { ratio = "-"; if (pr > 0) ratio = sprintf("%.2fx", r / pr); printf "| %s | %.2fx | %s |\n", e, c / pc, ratio }'
        done
    fi
    printf '\npeer: %s\n' "$peer_note"
fi
if [[ $want_cases == 1 ]]; then
    peer_ips="${cases[peer/instances_per_sec]:-}"
    printf '\n'
    printf '| engine | case creations/s | joint-approval instances/s | commits/s | transitions/s | egov instances/s ÷ peer |\n'
    printf '|---|---:|---:|---:|---:|---:|\n'
    for engine in "${engines[@]}"; do
        awk -v e="$engine" -v c="${cases[$engine/create_creations_per_sec]}" \
            -v i="${cases[$engine/instances_per_sec]}" -v s="${cases[$engine/commits_per_sec]}" \
            -v t="${cases[$engine/transitions_per_sec]}" -v p="$peer_ips" \
            'BEGIN { printf "| %s | %.1f | %.1f | %.1f | %.1f | %s |\n", e, c, i, s, t, (p == "" || p == 0 ? "-" : sprintf("%.1fx", i / p)) }'
    done
    if [[ -n $peer_ips ]]; then
        printf '| peer (SpiffWorkflow) | - | %s | %s | - | 1.0x |\n' "$peer_ips" "${cases[peer/steps_per_sec]}"
    fi
    printf '\ncommits/s: 5 durable commits per instance (start, accept, 3 x branch_approve); the peer saves and fsyncs 5 times per instance. transitions/s: the 4 acts of each instance.\n'
    if [[ $SCAN_CASES != 0 ]]; then
        printf '\n'
        printf '| engine | open cases | bulk insert | due (1%%) | alerts raised | scan raising them | next scan, nothing due | median of 9 more |\n'
        printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
        for engine in "${engines[@]}"; do
            awk -v e="$engine" -v o="${cases[$engine/scan_open_cases]}" -v ins="${cases[$engine/scan_insert_seconds]}" \
                -v n="${cases[$engine/scan_inserted]}" -v d="${cases[$engine/scan_due]}" \
                -v r="${cases[$engine/scan_raised]}" -v s="${cases[$engine/scan_scan_seconds]}" \
                -v i1="${cases[$engine/scan_idle_scan_seconds]}" -v im="${cases[$engine/scan_idle_scan_median_seconds]}" \
                'BEGIN { printf "| %s | %d | %d in %.1f s | %d | %d | %.3f s | %.2f ms | %.2f ms |\n", e, o, n, ins, d, r, s, 1000 * i1, 1000 * im }'
        done
    fi
    printf '\nfsync ceiling: %s\n' "${fsync_note:-not measured}"
    printf 'writer-thread ceiling (SQLite): %s\n' "${writer_ceiling_note:-not measured}"
    if [[ -n ${ceiling[writer]:-} && -n ${cases[sqlite/commits_per_sec]:-} ]]; then
        awk -v c="${cases[sqlite/commits_per_sec]}" -v w="${ceiling[writer]}" \
            'BEGIN { printf "  egov SQLite commits/s ÷ writer-thread ceiling: %.2f (target 0.8)\n", c / w }'
        awk -v c="${cases[sqlite/cpu_us_per_commit]:-}" 'BEGIN { if (c != "") printf "  egov SQLite CPU per commit: %s µs (the whole process)\n", c }'
    fi
    if [[ -n ${ceiling[fdatasync]:-} ]]; then
        awk -v f="${ceiling[fdatasync]}" 'BEGIN { printf "  at one fdatasync per commit, 5 commits an instance, one at a time: at most %.0f instances/s\n", f / 5 }'
    fi
    if [[ " ${engines[*]} " == *" postgres "* ]]; then
        printf 'PostgreSQL one-row-insert ceiling: %s\n' "${pg_ceiling_note:-not measured}"
        if [[ -n ${ceiling[pg_insert]:-} && -n ${cases[postgres/commits_per_sec]:-} ]]; then
            awk -v c="${cases[postgres/commits_per_sec]}" -v w="${ceiling[pg_insert]}" \
                'BEGIN { printf "  egov PostgreSQL commits/s ÷ one-row-insert ceiling: %.2f\n", c / w }'
            awk -v c="${cases[postgres/cpu_us_per_commit]:-}" 'BEGIN { if (c != "") printf "  egov PostgreSQL CPU per commit: %s µs (egov'"'"'s process; the server'"'"'s not counted)\n", c }'
        fi
    fi
    printf 'case peer: %s\n' "$case_peer_note"
fi
if [[ $want_hall == 1 ]]; then
    printf '\n'
    printf '| engine | item | files x KiB | submissions/s | same writes without egov, /s | egov / same writes | MB/s of materials | p50 | p99 | DB transactions/s | COMMITs run/s | file-store fsyncs/s |\n'
    printf '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    for engine in "${engines[@]}"; do
        for item in ${HALL_ITEMS//,/ }; do
            awk -v e="$engine" -v it="$item" -v j="${hall[$engine/$item/joint]}" \
                -v f="${hall[$engine/$item/files_per_submission]}" -v k="${hall[$engine/$item/material_kib]}" \
                -v s="${hall[$engine/$item/submissions_per_sec]}" -v mb="${hall[$engine/$item/material_mb_per_sec]}" \
                -v p50="${hall[$engine/$item/p50]}" -v p99="${hall[$engine/$item/p99]}" \
                -v c="${hall[$engine/$item/db_commits_per_sec]}" -v fs="${hall[$engine/$item/file_fsyncs_per_sec]}" \
                -v run="${hall[$engine/$item/sqlite_commits_run_per_sec]:--}" \
                -v raw="${disk[${hall[$engine/$item/files_per_submission]:-x}]:-}" \
                'BEGIN {
                    r3 = (raw == "" || raw == 0) ? "-" : sprintf("%.2f", s / raw)
                    printf "| %s | %s%s | %d x %d | %.1f | %s | %s | %.1f | %s | %s | %.0f | %s | %.0f |\n", e, it, (j == "true" ? " (joint)" : ""), f, k, s, (raw == "" ? "-" : raw), r3, mb, p50, p99, c, run, fs
                }'
        done
    done
    printf '\nper submission: draft 1 DB transaction; the form saved 1; each file 1 and 2 fsyncs in the file store (the file, its directory); submit 1. DB transactions/s = submissions/s x (3 + files). COMMITs run/s: the COMMITs SQLite'"'"'s writer ran, each covering the transactions grouped into it (- on PostgreSQL, which groups WAL flushes itself); MB = 10^6 bytes.\n'
    printf 'same writes without egov: %s threads, each writing the submission'"'"'s files (%s KiB each: write, fsync, rename, directory fsync, as the file store does) and then its 3 + files commits (4 KiB each to one log, fdatasync, grouped: one flush covers every commit asked for until then); python3, 4 s, on the same file system. egov reaching it means the disk is the bound.\n' "$HALL_CONCURRENCY" "$HALL_MATERIAL_KIB"
    printf 'fsync ceiling: %s\n' "${fsync_note:-not measured}"
    if [[ -n ${ceiling[fdatasync]:-} ]]; then
        for item in ${HALL_ITEMS//,/ }; do
            f="${hall[${engines[0]}/$item/files_per_submission]:-}"
            [[ -n $f ]] || continue
            awk -v it="$item" -v f="$f" -v fd="${ceiling[fdatasync]}" -v fy="${ceiling[fsync]}" \
                'BEGIN { printf "  %s: at one fdatasync per DB transaction (%d a submission), none grouped: at most %.0f submissions/s; with its %d file fsyncs in series too: %.0f/s\n", it, 3 + f, fd / (3 + f), 2 * f, fy / (3 + 3 * f) }'
        done
    fi
    if [[ -n ${search[@]+x} ]]; then
        printf '\n| search | docs | index build | index size | queries/s, one core | p50 | p90 | p99 |\n'
        printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
        for docs in $SEARCH_DOCS; do
            [[ -n ${search[$docs/p50]:-} ]] || continue
            printf '| egov-search | %s | %s s | %s MiB | %s | %s ms | %s ms | %s ms |\n' "$docs" \
                "${search[$docs/build]:--}" "${search[$docs/size]:--}" "${search[$docs/qps]:--}" \
                "${search[$docs/p50]}" "${search[$docs/p90]:--}" "${search[$docs/p99]}"
        done
    fi
    printf 'search: %s\n' "${search_note:-not run}"
fi
if [[ $want_grid == 1 ]]; then
    printf '\n| engine | Open311 reports/s | p99 | ÷ bare axum /healthz | ÷ fdatasync/s (one durable commit each) | after the run |\n'
    printf '|---|---:|---:|---:|---:|---|\n'
    for engine in "${engines[@]}"; do
        awk -v e="$engine" -v r="${rps[$engine/open311 POST requests]:-0}" -v b="${rps[$engine/bare axum /healthz]:-0}" \
            -v f="${ceiling[fdatasync]:-0}" -v p="$(grep -F "| $engine | open311 POST requests |" <<<"$(printf '%s\n' "${rows[@]}")" | awk -F'|' '{ gsub(/ /, "", $7); print $7 }')" \
            -v n="${grid_note[$engine]:-}" \
            'BEGIN { printf "| %s | %.0f | %s | %s | %s | %s |\n", e, r, p, (b > 0 ? sprintf("%.3f", r / b) : "-"), (f > 0 ? sprintf("%.1fx", r / f) : "-"), n }'
    done
    printf 'target: 10,000 reports/s with p99 under 20 ms; fsync ceiling: %s\n' "${fsync_note:-not measured}"
fi
if [[ $want_exchange == 1 ]]; then
    printf '\n| engine | exchange calls/s | p99 | ÷ CKAN datastore_search (unlogged) | ÷ bare axum /healthz | after the run |\n'
    printf '|---|---:|---:|---:|---:|---|\n'
    for engine in "${engines[@]}"; do
        awk -v e="$engine" -v r="${rps[$engine/exchange GET rows]:-0}" -v c="${rps[$engine/ckan datastore_search (open, unlogged)]:-0}" \
            -v b="${rps[$engine/bare axum /healthz]:-0}" \
            -v p="$(grep -F "| $engine | exchange GET rows |" <<<"$(printf '%s\n' "${rows[@]}")" | awk -F'|' '{ gsub(/ /, "", $7); print $7 }')" \
            -v n="${exchange_note[$engine]:-}" \
            'BEGIN { printf "| %s | %.0f | %s | %s | %s | %s |\n", e, r, p, (c > 0 ? sprintf("%.3f", r / c) : "-"), (b > 0 ? sprintf("%.3f", r / b) : "-"), n }'
    done
    printf 'target: 10,000 logged queries/s with p99 under 20 ms; anchor: X-Road ~110 transactions/s through a security server on 32 cores (reported)\n'
fi
printf '\nraw output:'
for engine in "${engines[@]}"; do
    printf ' bench/results/%s-%s.txt' "$today" "$engine"
done
if [[ -n ${rps[peer/oidc-provider client-credentials grants]:-} || -n ${cases[peer/instances_per_sec]:-} ]]; then
    printf ' bench/results/%s-peer.txt' "$today"
fi
if [[ -n ${search[@]+x} ]]; then
    printf ' bench/results/%s-search.txt' "$today"
fi
printf '\n'
