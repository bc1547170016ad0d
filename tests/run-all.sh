#!/bin/sh
# Run every corral test suite and sum them up.
#
#   sh tests/run-all.sh BUILD SANBUILD
#
# First the include graph (tests/check-includes.py: each folder includes only
# the layers below it), then the cmocka unit tests in BUILD/tests/unit/, then
# the same under sanitizers in SANBUILD/tests/unit/, then the end-to-end
# suite against BUILD's binaries.
# Each runner's output is shown with its own summary; the last line is
# exactly "N passed, N failed". Exit 0 only when nothing failed and at least
# one test ran. A unit binary that dies without cmocka's FAILED line (a
# sanitizer report, a crash, a timeout) counts as one failure.
build=${1:-build}
sanbuild=${2:-build-san}
here=$(cd "$(dirname "$0")" && pwd)
unit_timeout=${CORRAL_UNIT_TIMEOUT:-300}

passed=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/corral-run-all.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
trap 'rm -f "$out"; exit 130' INT TERM

# Sum of the numbers on cmocka summary lines like "[  PASSED  ] 5 test(s)."
sum_lines() {
	sed -n "s/^\[  $1  \] \([0-9][0-9]*\) test.*/\1/p" "$out" | awk '{ s += $1 } END { print s + 0 }'
}

run_units() {
	dir=$1
	upassed=0
	ufailed=0
	found=0
	echo "== unit tests in $dir"
	for t in "$dir"/tests/unit/test_*; do
		case $t in *.o | *.d) continue ;; esac
		[ -f "$t" ] && [ -x "$t" ] || continue
		found=$((found + 1))
		echo "-- $t"
		if command -v timeout >/dev/null 2>&1; then
			timeout "$unit_timeout" "$t" >"$out" 2>&1
		else
			"$t" >"$out" 2>&1
		fi
		rc=$?
		cat "$out"
		p=$(sum_lines PASSED)
		f=$(sum_lines FAILED)
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			if [ "$rc" -eq 124 ]; then
				why="timed out after ${unit_timeout}s"
			elif [ "$rc" -gt 128 ]; then
				why="killed by signal $((rc - 128))"
			else
				why="exit status $rc"
			fi
			echo "FAIL $t: crashed ($why) without a cmocka FAILED line (sanitizer report or crash above)"
			f=1
		elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $t: exited 0 without a cmocka summary line"
			f=1
		fi
		upassed=$((upassed + p))
		ufailed=$((ufailed + f))
	done
	if [ "$found" -eq 0 ]; then
		echo "FAIL: no unit test binaries in $dir/tests/unit (not built?)"
		ufailed=$((ufailed + 1))
	fi
	echo "unit ($dir): $upassed passed, $ufailed failed"
	passed=$((passed + upassed))
	failed=$((failed + ufailed))
}

py=/usr/bin/python3
[ -x "$py" ] || py=python3

# add_summary NAME WHAT: add the counts of the last "NAME: N passed, N
# failed" line in $out; without one, WHAT ended before its tests did.
add_summary() {
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed\$" "$out" | tail -n 1)
	if [ -n "$line" ]; then
		sp=$(echo "$line" | sed "s/^$1: \([0-9]*\) passed.*/\1/")
		sf=$(echo "$line" | sed 's/.* passed, \([0-9]*\) failed$/\1/')
	else
		echo "FAIL $1: $2 ended without its summary line"
		sp=0
		sf=1
	fi
	passed=$((passed + sp))
	failed=$((failed + sf))
}

# Each check of the include graph counts as a test.
run_includes() {
	echo "== include graph"
	"$py" "$here/check-includes.py" 2>&1 | tee "$out"
	add_summary includes "check-includes.py"
}

run_includes
run_units "$build"
run_units "$sanbuild"

# The end-to-end suite runs against the plain build and again against the
# sanitizer build, where a use-after-free in corrald is a crash, not luck.
run_e2e() {
	echo "== end-to-end tests against $1"
	CORRAL_BUILD=$1 "$py" "$here/e2e/run.py" -j 2 2>&1 | tee "$out"
	add_summary e2e "the runner"
}

run_e2e "$build"
if [ -x "$sanbuild/corrald" ] && [ -x "$sanbuild/corralctl" ]; then
	run_e2e "$sanbuild"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
