#!/usr/bin/python3
"""corral upgrading in place: `corralctl reexec` with N programs running.

    python3 bench/reexec.py [BUILD] [N ...]      (default: build 10 1000)

For each N: corrald starts N programs (`sleep TAG`, startsecs = 0, no logs)
and, once all are RUNNING, is told `corralctl reexec` REEXEC_REPS times (5).
Each time it prints: how long the command took (corrald's checks: it runs
the binary twice, --handover-version and --check of the config, then
answers), the pause of the control socket (from that answer until a
`corralctl version` sent at once is answered by the new corrald: the exec
and the take-over, during which clients wait in the backlog), beside a plain
`corralctl version` (the floor), and the size of the handover record
(corrald's log). Medians over the repetitions. Afterwards every pid must be
the one it was: a changed pid is reported as a failure.

Target (issue 21): the pause under 100 ms at 1,000 programs.
A benchmark, not a test; the exit status is 1 only when something could not
run at all.
"""
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else "build"
NS = [int(a) for a in sys.argv[1:] if a.isdigit()] or [10, 1000]
CORRALD = os.path.join(ROOT, BUILD, "corrald")
CORRALCTL = os.path.join(ROOT, BUILD, "corralctl")
TAG = "%d.%06d" % (300000 + os.getpid() % 1000, int(time.time() * 1000) % 1000000)
REPS = max(1, int(os.environ.get("REEXEC_REPS", "5")))


def ctl(sock, *args):
    t = time.monotonic()
    r = subprocess.run([CORRALCTL, "-s", sock] + list(args), capture_output=True, text=True)
    return r, time.monotonic() - t


def status_pids(sock):
    r, _ = ctl(sock, "status")
    return dict(re.findall(r"^(\S+)\s+RUNNING\s+pid (\d+)", r.stdout, re.M)), r.returncode


def run(n):
    d = tempfile.mkdtemp(prefix="corral-reexec-bench-")
    sock = os.path.join(d, "corral.sock")
    conf = ["[corral]", "socket = %s" % sock, "logdir = %s/log" % d, ""]
    for i in range(n):
        conf += ["[program:p%d]" % i, "command = sleep %s" % TAG, "startsecs = 0",
                 "stdout_logfile = NONE", "stderr_logfile = NONE", ""]
    with open(os.path.join(d, "corral.conf"), "w") as f:
        f.write("\n".join(conf))
    err = open(os.path.join(d, "corrald.log"), "w")
    p = subprocess.Popen([CORRALD, "-n", "-c", os.path.join(d, "corral.conf")],
                         stdout=err, stderr=err, start_new_session=True)
    res = {"n": n, "check": [], "pause": [], "floor": [], "bytes": None, "same": True}
    try:
        deadline = time.monotonic() + 120
        while True:
            pids, rc = status_pids(sock)
            if rc == 0 and len(pids) == n:
                break
            if time.monotonic() > deadline or p.poll() is not None:
                raise RuntimeError("corrald with %d programs did not come up" % n)
            time.sleep(0.05)
        for _ in range(REPS):
            _, floor = ctl(sock, "version")
            r, took = ctl(sock, "reexec")
            if r.returncode != 0:
                raise RuntimeError("reexec refused: %s" % (r.stdout + r.stderr).strip())
            r2, pause = ctl(sock, "version")
            if r2.returncode != 0:
                raise RuntimeError("version after the reexec: %s" % r2.stderr.strip())
            res["check"].append(took)
            res["pause"].append(pause)
            res["floor"].append(floor)
            time.sleep(0.2)
        after, _ = status_pids(sock)
        res["same"] = after == pids
        with open(os.path.join(d, "corrald.log")) as f:
            sizes = re.findall(r"a record of (\d+) bytes", f.read())
        res["bytes"] = int(sizes[-1]) if sizes else None
        res["execs"] = len(sizes)
    finally:
        os.kill(p.pid, signal.SIGTERM)
        p.wait(120)
        err.close()
    return res


def main():
    for b in (CORRALD, CORRALCTL):
        if not os.access(b, os.X_OK):
            print("reexec bench: %s not built" % b)
            return 1
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    print("corral reexec: %d repetitions each, medians; the pause is from corrald's answer "
          "to the next one, by the new corrald" % REPS)
    print("%8s %12s %12s %14s %12s %8s" % ("programs", "check ms", "pause ms", "version ms",
                                          "record B", "pids"))
    failed = False
    for n in NS:
        try:
            r = run(n)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            print("%8d  failed: %s" % (n, e))
            failed = True
            continue
        med = {k: statistics.median(r[k]) * 1000 for k in ("check", "pause", "floor")}
        print("%8d %12.1f %12.1f %14.1f %12s %8s" % (
            n, med["check"], med["pause"], med["floor"],
            r["bytes"] if r["bytes"] is not None else "-", "same" if r["same"] else "CHANGED"))
        print("         pauses: %s ms; %d execs" % (
            ", ".join("%.1f" % (x * 1000) for x in r["pause"]), r.get("execs", 0)))
        if n >= 1000:
            verdict = "MET" if med["pause"] < 100 else "MISSED"
            print("  %s  the pause at %d programs under 100 ms: %.1f ms" % (verdict, n,
                                                                       med["pause"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
