#!/bin/sh
# corral benchmark: corrald against supervisord, s6 and runit.
# Usage: sh bench/run.sh [BUILD]   (run by `make bench`; BUILD defaults to build)
#
# Builds the timing helper bench/benchtool.c into a temporary directory, then
# runs bench/bench.py, which starts each supervisor in its own temporary
# directory, measures it, stops it by PID and prints the comparison table;
# then bench/logbench.py (with bench/logbench.c, built the same way), the
# log throughput figure on the file system of /var/log and on a tmpfs, with
# its CSV and plot in bench/out/ (or $BENCH_OUT); then bench/poolbench.py
# (with bench/poolbench.c), jobs a second through a pool beside the raw
# floor of a pipe ping-pong; then bench/rpcbench.py, supervisord's XML-RPC
# interface from both daemons (1,000 programs); then bench/webbench.py,
# GET / and GET /metrics with 1,000 programs beside supervisord's GET /;
# then bench/healthbench.py, corrald's CPU time per 1,000 HTTP and tcp health
# checks (1,000 programs checked every second) and status latency while
# 1,000 checks hang; then bench/scale.py, 100 to
# 10,000 programs started beside as many spawns of /bin/true; then
# bench/reexec.py, corralctl reexec with 10 and 1,000 programs; then
# bench/sweep.py, every supervisor at N = 10, 100, 1,000 (and corral at
# 10,000): start, PSS, status and reload against N, with plots; then
# bench/rollbench.py, requests answered and p99 latency during a rolling
# restart of 4 and 16 instances, beside supervisord's restart.
# bench/tree.py is the 1,000-process tree each supervisor is timed stopping.
# Knobs: see the top of bench/bench.py (BENCH_ROUNDS, BENCH_ONLY, ...).
# Exit status: 0 when everything ran (targets missed or not), 1 when some
# part could not run at all, 2 on usage or build errors.
set -eu

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || cc=gcc
py=/usr/bin/python3
[ -x "$py" ] || py=python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/corral-bench-tool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! "$cc" -std=gnu11 -O2 -Wall -Wextra -o "$tmp/benchtool" "$here/benchtool.c"; then
	echo "bench: cannot build bench/benchtool.c" >&2
	exit 2
fi
if ! "$cc" -std=gnu11 -O2 -Wall -Wextra -o "$tmp/logbench" "$here/logbench.c"; then
	echo "bench: cannot build bench/logbench.c" >&2
	exit 2
fi
if ! "$cc" -std=gnu11 -O2 -Wall -Wextra -o "$tmp/poolbench" "$here/poolbench.c"; then
	echo "bench: cannot build bench/poolbench.c" >&2
	exit 2
fi

status=0
"$py" "$here/bench.py" "$build" "$tmp/benchtool" || status=$?
# The log throughput figure (knobs: the top of bench/logbench.py).
"$py" "$here/logbench.py" "$build" "$tmp/logbench" || status=$?
# Pools: jobs a second beside the raw floor (knobs: the top of bench/poolbench.py).
"$py" "$here/poolbench.py" "$build" "$tmp/poolbench" || status=$?
# supervisord's XML-RPC interface, served by corrald and by supervisord.
"$py" "$here/rpcbench.py" "$build" || status=$?
# The operator's view: corrald's web page and /metrics beside supervisord's
# page, 1,000 programs, and the system calls of an idle corrald between scrapes.
"$py" "$here/webbench.py" "$build" || status=$?
# Health checks: CPU per 1,000 checks, and a hung check never delays the loop
# (knobs: the top of bench/healthbench.py).
"$py" "$here/healthbench.py" "$build" || status=$?
# corral at scale: N = 100, 1,000, 10,000 programs beside N spawns (the
# top of bench/scale.py).
"$py" "$here/scale.py" "$build" || status=$?
# Upgrading in place: corralctl reexec with 10 and 1,000 programs (the top
# of bench/reexec.py).
"$py" "$here/reexec.py" "$build" || status=$?
# The scale sweep of every supervisor (knobs: the top of bench/sweep.py).
"$py" "$here/sweep.py" "$build" "$tmp/benchtool" || status=$?
# Deploys under load: a rolling restart of 4 and 16 instances against steady
# state, and supervisorctl's restart under supervisord (BENCH_ROLL_* knobs:
# the top of bench/rollbench.py).
"$py" "$here/rollbench.py" "$build" || status=$?
exit "$status"
