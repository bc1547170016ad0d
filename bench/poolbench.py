#!/usr/bin/python3
"""corral pools: jobs a second and the latency of one submit.

Run by bench/run.sh (`make bench`), which builds bench/poolbench.c into a
temporary directory and passes its path:

    python3 bench/poolbench.py BUILD POOLBENCH

    floor        two processes ping-pong one line over pipes (poolbench floor)
    --lines      jobs a second through a [pool:] of 2 workers (poolbench
                 echo), fed by one `corralctl submit --lines`
    submit       median and p99 of single `corralctl submit` calls, each a
                 new corralctl process (connect, job, answer, exit)

Target: --lines at least half the floor's rate. A benchmark, not a test:
a missed target is reported, never fatal; the exit status is 1 only when
something could not run at all.

Knobs (environment): BENCH_POOL_JOBS (default 200000), BENCH_POOL_CALLS
(default 500), BENCH_POOL_ROUNDS (default 3; the best run is kept).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import env_int

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOOL = sys.argv[2] if len(sys.argv) > 2 else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


JOBS = max(1000, env_int("BENCH_POOL_JOBS", 200000))
CALLS = max(10, env_int("BENCH_POOL_CALLS", 500))
ROUNDS = max(1, env_int("BENCH_POOL_ROUNDS", 3))


def main():
    if not TOOL or not os.access(TOOL, os.X_OK):
        print("poolbench: usage: poolbench.py BUILD POOLBENCH", file=sys.stderr)
        return 1
    build = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
    corrald, ctl = os.path.join(build, "corrald"), os.path.join(build, "corralctl")
    floor = max(float(subprocess.run([TOOL, "floor", str(JOBS)], capture_output=True, text=True,
                                     check=True).stdout) for _ in range(ROUNDS))
    tmp = tempfile.mkdtemp(prefix="corral-poolbench-")
    sock = os.path.join(tmp, "corral.sock")
    with open(os.path.join(tmp, "corral.conf"), "w") as f:
        f.write("[corral]\nsocket = %s\nlogdir = %s\n\n[pool:echo]\ncommand = %s echo\n"
                "workers = 2\nqueue = 64\n" % (sock, tmp, TOOL))
    d = subprocess.Popen([corrald, "-c", os.path.join(tmp, "corral.conf")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run([ctl, "-s", sock, "status"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline or d.poll() is not None:
                print("poolbench: corrald did not start", file=sys.stderr)
                return 1
            time.sleep(0.05)
        data = "".join("job %d\n" % i for i in range(JOBS)).encode()
        best = 0.0
        for _ in range(ROUNDS):
            t0 = time.monotonic()
            r = subprocess.run([ctl, "-s", sock, "submit", "--lines", "echo"], input=data,
                               capture_output=True)
            took = time.monotonic() - t0
            if r.returncode != 0 or r.stdout != data:
                print("poolbench: --lines failed (%d): %s" % (r.returncode, r.stderr[-200:]),
                      file=sys.stderr)
                return 1
            best = max(best, JOBS / took)
        lat = []
        for i in range(CALLS):
            t0 = time.monotonic()
            r = subprocess.run([ctl, "-s", sock, "submit", "echo", "x%d" % i], capture_output=True)
            lat.append(time.monotonic() - t0)
            if r.returncode != 0:
                print("poolbench: submit failed: %s" % r.stderr[-200:], file=sys.stderr)
                return 1
        lat.sort()
        med, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    finally:
        d.send_signal(signal.SIGTERM)
        try:
            d.wait(20)
        except subprocess.TimeoutExpired:
            d.kill()
            d.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print("pools: %d jobs, 2 workers, best of %d" % (JOBS, ROUNDS))
    print("  %-34s %12.0f /s" % ("floor (one line ping-pong, pipes)", floor))
    print("  %-34s %12.0f /s  %s" % ("corralctl submit --lines", best,
                                    "ok (>= half the floor)" if best >= floor / 2
                                    else "TARGET MISSED (< half the floor)"))
    print("  %-34s %9.2f ms median, %.2f ms p99 (%d calls)" % ("corralctl submit (one job)",
                                                             med * 1000, p99 * 1000, CALLS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
