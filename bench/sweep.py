#!/usr/bin/python3
"""Scale sweep: each supervisor with N sleeping programs, for several N.

Run by bench/run.sh (`make bench`), with the benchtool it built:

    python3 bench/sweep.py BUILD BENCHTOOL

It reuses bench/bench.py's supervisor classes (Corral, Supervisord, S6,
Runit): each starts, in its own temporary directory, N programs `sleep TAG`
and is timed by benchtool until all N are up. Then, with all N running:
the supervision PSS (bench.py's tree_pids: the daemon, plus s6-supervise
or runsv per service), the median of BENCH_SWEEP_CALLS (50) status calls
of one program (fork+exec+wait of corralctl status / supervisorctl status /
s6-svstat / sv status), and the reload of the unchanged configuration where
the supervisor has one that answers when it is done (`corralctl reload`,
`supervisorctl update`; s6-svscanctl -a only queues a rescan and runsvdir
rescans on its own, so neither is timed). Every supervisor is stopped by
PID, as bench.py does. One repetition per (supervisor, N), or the median of
3 when the first start took under 2 s.

Writes OUT/sweep.csv and, with gnuplot, OUT/sweep-start, sweep-pss,
sweep-status and sweep-reload (.png, .svg; .gp beside them): cost against N,
log-log, one line per supervisor. OUT is $BENCH_OUT, else bench/out.

Knobs: BENCH_SWEEP_N ("10 100 1000") sizes for every supervisor,
BENCH_SWEEP_CORRAL_MAX (10000) one more size for corral alone (0: none),
BENCH_SWEEP_CALLS (50), BENCH_ONLY (comma list, as for bench.py).
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

import bench as B
from benchlib import env_int

OUT = os.environ.get("BENCH_OUT") or os.path.join(B.ROOT, "bench", "out")
NS = sorted({int(x) for x in os.environ.get("BENCH_SWEEP_N", "10 100 1000").split()
             if x.isdigit() and int(x) > 0})
CORRAL_MAX = env_int("BENCH_SWEEP_CORRAL_MAX", 10000)
B.CALLS = max(10, env_int("BENCH_SWEEP_CALLS", 50))
MEASURES = [("start", "start s", "seconds until all N are running"),
            ("pss", "PSS MiB", "supervision PSS, MiB"),
            ("status", "status ms", "status of one program, ms (median)"),
            ("reload", "reload ms", "reload of the unchanged config, ms")]


def reload_argv(sv):
    if sv.name == "corral":
        return [sv.corralctl, "-s", sv.sock, "reload"]
    if sv.name == "supervisord":
        return ["supervisorctl", "-c", sv.conf, "update"]
    return None


def one_run(sv, n):
    """{start, pss, status, reload} of one start of sv with n programs, or
    None when not all came up."""
    timeout = 60 if n <= 100 else 300 if n <= 1000 else 900
    dm = sv.start(n, timeout)
    try:
        if dm.ready_ns is None:
            B.log("%s: not all %d programs up within %ds" % (sv.name, n, timeout))
            return None
        r = {"start": dm.ready_ns / 1e9}
        time.sleep(0.5 if n <= 1000 else 2)
        r["pss"] = B.pss_kib(sv.tree_pids(dm)) / 1024
        med, _, fails = B.latency(["/bin/true"], sv.status_argv())[1]
        r["status"] = med / 1e6 if not fails else None
        argv = reload_argv(sv)
        r["reload"] = None
        if argv:
            t = time.monotonic()
            rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                timeout=600).returncode
            if rc == 0:
                r["reload"] = (time.monotonic() - t) * 1e3
        B.log("%s N=%d: %s" % (sv.name, n, ", ".join(
            "%s %s" % (k, "-" if v is None else "%.3g" % v) for k, v in r.items())))
        return r
    finally:
        sv.stop(dm)
        d = os.path.dirname(dm.logfile)
        if d in B.tempdirs:
            shutil.rmtree(d, ignore_errors=True)
            B.tempdirs.remove(d)


def med(runs, key):
    v = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(v) if v else None


def sweep():
    rows = []   # (supervisor, n, reps, {measure: value} or None)
    for sv in (B.Corral(), B.Supervisord(), B.S6(), B.Runit()):
        if B.ONLY and sv.name not in B.ONLY:
            continue
        why = sv.available()
        if why:
            B.problems.append("%s: %s" % (sv.name, why))
            continue
        ns = list(NS)
        if sv.name == "corral" and CORRAL_MAX > max(NS or [0]):
            ns.append(CORRAL_MAX)
        for n in ns:
            try:
                runs = []
                r = one_run(sv, n)
                if r:
                    runs.append(r)
                    if r["start"] < 2:
                        runs += [x for x in (one_run(sv, n), one_run(sv, n)) if x]
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                B.log("%s N=%d: %s" % (sv.name, n, e))
                B.problems.append("%s with %d programs: %s" % (sv.name, n, e))
                runs = []
            fds = B.resource.getrlimit(B.resource.RLIMIT_NOFILE)[1]
            smaller = (fds - 256) // 3 // 1000 * 1000
            if not runs and sv.name == "corral" and n == CORRAL_MAX and \
                    3 * n + 256 > fds and smaller > max(NS or [0]):
                # ~3 fds per program (as bench.py reckons): the largest size
                # this fd limit surely allows.
                B.notes.append("corral with %d programs failed and the fd limit is %d; "
                               "measured %d instead" % (n, fds, smaller))
                n = smaller
                runs = [x for x in [one_run(sv, n)] if x]
            rows.append((sv.name, n, len(runs),
                         {k: med(runs, k) for k, _, _ in MEASURES} if runs else None))
            if not runs:
                break   # bigger N will not do better
        left = B.kill_tagged()
        if left:
            B.problems.append("%s: %d tagged sleep processes left behind (killed)"
                              % (sv.name, len(left)))
    return rows


def fmt(v):
    return "-" if v is None else "%.3g" % v if v < 100 else "%.0f" % v


def report(rows):
    print()
    print("corral scale sweep (%d CPUs; status: median of %d calls; "
          "runs: 1, or the median of 3 when a start took under 2 s)"
          % (os.cpu_count() or 0, B.CALLS))
    head = ["supervisor", "N", "runs"] + [h for _, h, _ in MEASURES]
    w = [12, 7, 5, 10, 10, 10, 10]
    print("  ".join(h.ljust(w[i]) if i < 1 else h.rjust(w[i]) for i, h in enumerate(head)))
    for name, n, reps, m in rows:
        cells = [name, str(n), str(reps)] + \
            ([fmt(m[k]) for k, _, _ in MEASURES] if m else ["failed"] + [""] * 3)
        print("  ".join(c.ljust(w[i]) if i < 1 else c.rjust(w[i]) for i, c in enumerate(cells)))


def write(rows):
    os.makedirs(OUT, exist_ok=True)
    csv = os.path.join(OUT, "sweep.csv")
    with open(csv, "w") as f:
        f.write("supervisor,n,runs,%s\n" % ",".join(
            {"start": "start_s", "pss": "pss_mib", "status": "status_ms",
             "reload": "reload_ms"}[k] for k, _, _ in MEASURES))
        for name, n, reps, m in rows:
            f.write("%s,%d,%d,%s\n" % (name, n, reps, ",".join(
                "" if not m or m[k] is None else "%.6g" % m[k] for k, _, _ in MEASURES)))
    written = [csv]
    if not shutil.which("gnuplot"):
        B.notes.append("gnuplot not installed (sh packaging/deps.sh bench): no plots drawn")
        return written
    names = []
    for name, _, _, _ in rows:
        if name not in names:
            names.append(name)
    for key, _, label in MEASURES:
        series = []
        for name in names:
            pts = [(n, m[key]) for nm, n, _, m in rows
                   if nm == name and m and m[key] is not None and m[key] > 0]
            if pts:
                dat = os.path.join(OUT, "sweep-%s-%s.dat" % (key, name))
                with open(dat, "w") as f:
                    f.writelines("%d %.6g\n" % p for p in pts)
                series.append("'%s' using 1:2 with linespoints lw 2 pt 7 title '%s'"
                              % (dat, name))
        if not series:
            continue
        base = os.path.join(OUT, "sweep-%s" % key)
        common = "\n".join([
            "set title 'scale sweep: %s'" % label, "set xlabel 'N programs'",
            "set ylabel '%s'" % label, "set logscale xy", "set grid",
            "set key top left", "set format x '%g'"])
        plot = "plot " + ", \\\n     ".join(series)
        with open(base + ".gp", "w") as f:
            f.write("%s\nset terminal pngcairo size 960,640 noenhanced\nset output '%s.png'\n%s\n"
                    "set terminal svg size 960,640 noenhanced\nset output '%s.svg'\n%s\n"
                    % (common, base, plot, base, plot))
        r = subprocess.run(["gnuplot", base + ".gp"], capture_output=True, text=True)
        if r.returncode != 0:
            B.notes.append("gnuplot failed on %s.gp: %s" % (base, r.stderr.strip()[-300:]))
        else:
            written += [base + ".png", base + ".svg"]
    return written


def main():
    if not B.TOOL or not os.access(B.TOOL, os.X_OK):
        print("usage: sweep.py BUILD BENCHTOOL", file=sys.stderr)
        return 2
    B.prepare()
    rows = []
    try:
        rows = sweep()
    except KeyboardInterrupt:
        B.problems.append("interrupted")
    finally:
        B.cleanup()
    report(rows)
    if rows:
        written = write(rows)
        print("wrote: " + " ".join(written))
    for n in B.notes:
        print("note: " + n)
    print("sweep took %.0fs" % (time.monotonic() - B.T_START))
    for p in B.problems:
        print("could not run: " + p)
    return 1 if B.problems else 0


if __name__ == "__main__":
    sys.exit(main())
