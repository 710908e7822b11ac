#!/usr/bin/env bash
# SpiffWorkflow peer of the case-engine benchmark (joint approval).
#
#   bench/peer/spiffworkflow/run.sh [--seconds N] [--count N] [--no-fsync]
#
# Creates .venv beside this script on first use (python3 -m venv, then
# pip install -r requirements.txt), then runs bench.py with the given
# arguments. The per-instance JSON files go to a fresh temporary directory
# (under $TMPDIR, default /tmp) that is removed afterwards; fsync cost depends
# on that file system.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/spiffworkflow-bench.XXXXXX")"
trap 'rm -rf "$data"' EXIT

"$venv/bin/python" "$here/bench.py" --dir "$data" "$@"
