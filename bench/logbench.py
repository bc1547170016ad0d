#!/usr/bin/python3
"""corral log throughput: one worker's stdout into its log file.

Run by bench/run.sh (`make bench`), which builds bench/logbench.c into a
temporary directory and passes its path:

    python3 bench/logbench.py BUILD LOGBENCH

The same worker (logbench write BYTES STARTFILE: 100-byte lines from one
buffer in a loop, as fast as write(2) takes them) writes BYTES through:

    worker > file              the baseline (no pipe, no logger)
    worker | cat > file        a pipe and the simplest reader
    corrald                    stdout_logfile, no rotation; then log_timestamps
    supervisord                stdout_logfile, no rotation
    worker | s6-log            s268435455 (its largest file); then with T
    worker | svlogd            s0 (no rotation); then with -tt

one after the other, in one run, each into an empty directory. Throughput =
BYTES / (from the worker's first write, read from STARTFILE, until the log
holds every byte: the reader exited after end of file, or the file reached
its size). Peak memory = VmHWM of the supervisor or logger process (for a
reader that exits at end of file, the last value read while it ran).

A benchmark, not a test: missed targets are reported, never fatal; the exit
status is 1 only when something could not run at all.

Each configuration runs up to BENCH_LOG_ROUNDS times (default 3; once when a
run takes over 1.5 s: s6-log and svlogd), the rounds interleaved; the best
throughput of each is kept: other work on the machine only ever slows a run.

Knobs (environment): BENCH_LOG_BYTES (default 512 MiB; the figure takes
under a minute here), BENCH_LOG_ROUNDS, BENCH_LOG_DIR (where the logs go; default: a
private tmpfs mounted for the run when we are root, so that the disk does not
set the pace; "tmp" for a directory under TMPDIR instead), BENCH_ONLY (comma
list of corral,supervisord,s6,runit; the baselines always run).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import env_int, print_summary

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
WORKER = sys.argv[2] if len(sys.argv) > 2 else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = 100
STAMP = 28            # "2026-11-26T23:14:00.123456Z " before each line


BYTES = max(LINE * 1000, env_int("BENCH_LOG_BYTES", 512 << 20)) // LINE * LINE
LOGDIR_KNOB = os.environ.get("BENCH_LOG_DIR", "")
ONLY = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
ROUNDS = max(1, env_int("BENCH_LOG_ROUNDS", 3))
SLOW = 1.5             # seconds: a run this long is not repeated
SUPERVISORS = ["corral", "supervisord", "s6", "runit"]
T0 = time.monotonic()

R = {}                 # results: R[(who, key)]
problems = []          # what could not run at all
notes = []
live = []              # Popen objects not yet reaped


def log(msg):
    print("[%5.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

def proc_kib(pid, key="VmHWM"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def spawn(argv, **kw):
    p = subprocess.Popen(argv, stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
    live.append(p)
    return p


def reap(p, timeout=None):
    """wait4 P: (seconds at its exit on the monotonic clock, its ru_maxrss in
    KiB, its exit status); None when it is still running after TIMEOUT."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, 0 if deadline is None else os.WNOHANG)
        if pid == p.pid:
            t = time.monotonic()
            p.returncode = os.waitstatus_to_exitcode(status)
            if p in live:
                live.remove(p)
            return t, ru.ru_maxrss, p.returncode
        if time.monotonic() > deadline:
            return None
        time.sleep(0.002)


def stop(p, sig=signal.SIGTERM, timeout=30):
    """Signal P by its PID, wait for it; SIGKILL when it does not go."""
    if p.returncode is not None:
        return
    try:
        os.kill(p.pid, sig)
    except ProcessLookupError:
        pass
    if reap(p, timeout) is None:
        log("pid %d (%s) did not exit within %ds of signal %d: SIGKILL"
            % (p.pid, os.path.basename(p.args[0]), timeout, sig))
        notes.append("%s did not exit within %ds of being told to stop; killed"
                     % (os.path.basename(p.args[0]), timeout))
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap(p, 10)


def started_at(path, timeout=30, alive=None):
    """The worker's first write, in seconds of the monotonic clock."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text) / 1e9
        except (OSError, ValueError):
            pass
        if alive is not None and not alive():
            raise RuntimeError("exited before the worker started")
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not start within %ds" % timeout)
        time.sleep(0.005)


def dir_bytes(d):
    total = 0
    for e in os.scandir(d):
        if e.is_file(follow_symlinks=False):
            total += e.stat(follow_symlinks=False).st_size
    return total


def wait_size(path, size, timeout, alive):
    """Poll until PATH holds SIZE bytes; the time it did."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.stat(path).st_size >= size:
                return time.monotonic()
        except FileNotFoundError:
            pass
        if not alive():
            raise RuntimeError("exited before its log held %d bytes" % size)
        if time.monotonic() > deadline:
            raise RuntimeError("its log did not reach %d bytes within %ds" % (size, timeout))
        time.sleep(0.002)


def worker_argv(start):
    return [WORKER, "write", str(BYTES), start]


# ---------------------------------------------------------------- the runs

def run_plain(d):
    start = os.path.join(d, "start")
    with open(os.path.join(d, "out"), "wb") as out:
        w = spawn(worker_argv(start), stdout=out)
    t_end, _, rc = reap(w)
    if rc != 0:
        raise RuntimeError("the worker exited %d" % rc)
    return t_end - started_at(start), None


def run_pipe(d, reader, what):
    """worker | READER (a command list; its stdout to DIR/out)."""
    start = os.path.join(d, "start")
    r, wfd = os.pipe()
    try:
        with open(os.path.join(d, "out"), "wb") as out:
            w = spawn(worker_argv(start), stdout=wfd)
            rd = spawn(reader, stdin=r, stdout=out, stderr=subprocess.PIPE)
    finally:
        os.close(r)
        os.close(wfd)
    # Its peak RSS from /proc while it runs (VmHWM is its own after exec;
    # wait4's ru_maxrss would count what the forked python had before it).
    hwm = None
    deadline = time.monotonic() + 600
    while True:
        h = proc_kib(rd.pid)
        if h is not None:
            hwm = h
        res = reap(rd, 0)
        if res is not None:
            break
        if time.monotonic() > deadline:
            stop(rd)
            stop(w)
            raise RuntimeError("%s did not finish within 600s" % what)
        time.sleep(0.002)
    t_end, _, rc = res
    err = rd.stderr.read().decode(errors="replace").strip()
    rd.stderr.close()
    wres = reap(w, 30)
    if wres is None:
        stop(w)
    if rc != 0 or (wres and wres[2] != 0):
        raise RuntimeError("%s exited %s, the worker %s%s" % (what, rc, wres and wres[2],
                                                             (": " + err[:200]) if err else ""))
    return t_end - started_at(start), hwm


def run_corral(d, stamps):
    logdir = os.path.join(d, "log")
    os.mkdir(logdir)
    start = os.path.join(d, "start")
    conf = os.path.join(d, "corral.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "[corral]", "socket = %s/corral.sock" % d, "logdir = %s" % logdir, "",
            "[program:w]", "command = %s" % " ".join(worker_argv(start)),
            "startsecs = 0", "autorestart = false", "stdout_logfile_maxbytes = 0",
            "stderr_logfile = NONE", "log_timestamps = %s" % ("true" if stamps else "false"),
            ""]))
    corrald = os.path.join(ROOT, BUILD, "corrald")
    with open(os.path.join(d, "corrald.log"), "wb") as out:
        p = spawn([corrald, "-c", conf], stdout=out, stderr=out, start_new_session=True)
    try:
        t0 = started_at(start, alive=lambda: p.poll() is None)
        size = BYTES + (BYTES // LINE * STAMP if stamps else 0)
        t_end = wait_size(os.path.join(logdir, "w.out"), size, 600, lambda: p.poll() is None)
        hwm = proc_kib(p.pid)
    except RuntimeError:
        tail = open(os.path.join(d, "corrald.log"), errors="replace").read()[-300:]
        stop(p)
        raise RuntimeError("corrald: %s" % tail.strip().replace("\n", " / "))
    stop(p, timeout=60)
    if p.returncode != 0:
        notes.append("corrald exited %s after SIGTERM" % p.returncode)
    return t_end - t0, hwm


def run_supervisord(d):
    start = os.path.join(d, "start")
    conf = os.path.join(d, "supervisord.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "[unix_http_server]", "file = %s/supervisor.sock" % d, "",
            "[supervisord]", "logfile = %s/supervisord.log" % d,
            "pidfile = %s/supervisord.pid" % d, "childlogdir = %s" % d, "nodaemon = true",
            "user = root", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[program:w]", "command = %s" % " ".join(worker_argv(start)),
            "startsecs = 0", "autorestart = false", "stdout_logfile = %s/w.out" % d,
            "stdout_logfile_maxbytes = 0", "stdout_logfile_backups = 0",
            "stderr_logfile = NONE", ""]))
    with open(os.path.join(d, "supervisord.out"), "wb") as out:
        p = spawn(["supervisord", "-n", "-c", conf], stdout=out, stderr=out,
                  start_new_session=True)
    try:
        t0 = started_at(start, alive=lambda: p.poll() is None)
        t_end = wait_size(os.path.join(d, "w.out"), BYTES, 600, lambda: p.poll() is None)
        hwm = proc_kib(p.pid)
    except RuntimeError:
        stop(p)
        raise
    stop(p, timeout=60)
    return t_end - t0, hwm


def run_s6(d, stamps):
    logd = os.path.join(d, "s6log")
    os.mkdir(logd)
    script = ["n100", "s268435455"] + (["T"] if stamps else []) + [logd]
    return run_pipe(d, ["s6-log"] + script, "s6-log")


def run_svlogd(d, stamps):
    logd = os.path.join(d, "svlog")
    os.mkdir(logd)
    with open(os.path.join(logd, "config"), "w") as f:
        f.write("s0\n")
    return run_pipe(d, ["svlogd"] + (["-tt"] if stamps else []) + [logd], "svlogd")


# ---------------------------------------------------------------- driver

def available(who):
    if ONLY and who not in ONLY and who not in ("plain", "cat"):
        return "not selected (BENCH_ONLY)"
    need = {"plain": [], "cat": ["cat"], "corral": [],
            "supervisord": ["supervisord"], "s6": ["s6-log"], "runit": ["svlogd"]}[who]
    for b in need:
        if not shutil.which(b):
            return "%s not installed (sh packaging/deps.sh bench)" % b
    if who == "corral" and not os.access(os.path.join(ROOT, BUILD, "corrald"), os.X_OK):
        return "%s/corrald not built" % BUILD
    return None


RUNS = [
    ("plain", "plain", run_plain),
    ("cat", "plain", lambda d: run_pipe(d, ["cat"], "cat")),
    ("corral", "plain", lambda d: run_corral(d, False)),
    ("supervisord", "plain", run_supervisord),
    ("s6", "plain", lambda d: run_s6(d, False)),
    ("runit", "plain", lambda d: run_svlogd(d, False)),
    ("corral", "stamps", lambda d: run_corral(d, True)),
    ("s6", "stamps", lambda d: run_s6(d, True)),
    ("runit", "stamps", lambda d: run_svlogd(d, True)),
]


def mount_tmpfs():
    """A private tmpfs for the logs (root only): (path, mounted)."""
    if LOGDIR_KNOB and LOGDIR_KNOB != "tmp":
        return LOGDIR_KNOB, False
    base = tempfile.mkdtemp(prefix="corral-logbench.")
    if LOGDIR_KNOB == "tmp" or os.geteuid() != 0:
        if not LOGDIR_KNOB:
            notes.append("not root: the logs went to %s, on whatever file system that is"
                         % base)
        return base, False
    size = BYTES + BYTES // LINE * 32 + (64 << 20)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % size, "tmpfs", base],
                       capture_output=True, text=True)
    if r.returncode != 0:
        notes.append("could not mount a tmpfs (%s): the logs went to %s"
                     % (r.stderr.strip(), base))
        return base, False
    return base, True


def fs_type(path):
    best, kind = "", "?"
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and (path + "/").startswith(parts[1].rstrip("/") + "/") \
                    and len(parts[1]) >= len(best):
                best, kind = parts[1], parts[2]
    return kind


def run_all(base):
    """Every configuration once, then again up to ROUNDS times those that
    took under SLOW seconds; the best throughput of each is kept, with the
    highest peak RSS of its rounds."""
    slow = set()
    for rnd in range(ROUNDS):
        for who, mode, fn in RUNS:
            if rnd == 0:
                why = available(who)
                if why:
                    R[(who, "skip")] = why
                    continue
            elif (who, mode) not in R or (who, mode) in slow:
                continue
            d = tempfile.mkdtemp(prefix="%s-%s." % (who, mode), dir=base)
            try:
                secs, kib = fn(d)
                mbs = BYTES / secs / (1 << 20)
                if secs > SLOW:
                    slow.add((who, mode))
                old = R.get((who, mode))
                R[(who, mode)] = (max(mbs, old[0]) if old else mbs,
                                  max(kib or 0, old[1] or 0) if old else kib)
                R.setdefault((who, mode, "all"), []).append(mbs)
                log("%s%s: %.0f MiB/s, peak RSS %s" % (who, " (time stamps)" if mode == "stamps"
                                                      else "", mbs, "%d KiB" % kib if kib else "-"))
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                log("%s (%s): %s" % (who, mode, e))
                if (who, mode) not in R:
                    R[(who, mode + "_fail")] = str(e)
                problems.append("%s (%s): %s" % (who, mode, e))
            finally:
                for p in list(live):
                    stop(p)
                shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- report

def mib(kib):
    if kib is None:
        return "-"
    return "%.1f MiB" % (kib / 1024) if kib < 100 * 1024 else "%.0f MiB" % (kib / 1024)


def report(fs):
    W = [34, 14, 14, 14, 14, 13, 22]
    rows = []

    def row(*cols):
        rows.append(" | ".join(str(c).ljust(w) for c, w in zip(cols, W)).rstrip())

    def sep():
        rows.append("-+-".join("-" * w for w in W))

    def cell(who, mode, f):
        if (who, mode) in R:
            return f(R[(who, mode)])
        if (who, "skip") in R:
            return "skipped"
        if (who, mode + "_fail") in R:
            return "failed"
        return "-"

    def verdict(ok, text):
        return ("MET " if ok else "MISSED ") + text

    verdicts = []
    plain = R.get(("plain", "plain"))
    cat = R.get(("cat", "plain"))
    print()
    print("corral log throughput (%d MiB of %d-byte lines from one worker's stdout to its log "
          "file; logs on %s; %d CPUs; %s)" % (BYTES >> 20, LINE, fs, os.cpu_count() or 0,
                                               os.uname().release))
    print("baseline P: worker > file = %s" % ("%.0f MiB/s" % plain[0] if plain else "failed"))
    print("baseline C: worker | cat > file = %s%s" % (
        "%.0f MiB/s" % cat[0] if cat else "failed", (", cat peak RSS %s" % mib(cat[1])) if cat else ""))
    print()
    row("figure", "corral", "supervisord", "s6", "runit", "target", "ratio/verdict")
    sep()
    tput = lambda v: "%.0f MiB/s" % v[0]    # noqa: E731
    rss = lambda v: mib(v[1])                # noqa: E731
    c = R.get(("corral", "plain"))
    peers = [(s, R[(s, "plain")][0]) for s in SUPERVISORS[1:] if (s, "plain") in R]
    # The target is 80% of the plain pipe into a file (its own
    # figures, 600-1,400 MiB/s, are those of `worker | cat > file`, C);
    # `worker > file` (P), with no pipe at all, is shown beside it.
    tgt = [">= 0.8 C, peers", "not measured"]
    if c and cat:
        best = max([p for _, p in peers] or [0])
        ok = c[0] >= 0.8 * cat[0] and all(c[0] > p for _, p in peers)
        tgt[1] = verdict(ok, "%.2fx C" % (c[0] / cat[0]))
        verdicts.append(("throughput >= 0.8 x the plain pipe `worker | cat > file` and ahead of "
                         "every peer", ok,
                         "%.0f MiB/s = %.2fx C (%.0f MiB/s); %s; %s"
                         % (c[0], c[0] / cat[0], cat[0],
                            ("best peer %.0f MiB/s" % best) if peers else "no peer measured",
                            ("%.2fx P, worker > file without a pipe" % (c[0] / plain[0]))
                            if plain else "P not measured")))
    else:
        verdicts.append(("throughput >= 0.8 x the plain pipe `worker | cat > file` and ahead of "
                         "every peer", False, "not measured"))
    row("throughput, %d MiB" % (BYTES >> 20), *[cell(s, "plain", tput) for s in SUPERVISORS], *tgt)
    if plain:
        row("  ... x P (worker > file)",
            *[cell(s, "plain", lambda v: "%.2fx" % (v[0] / plain[0])) for s in SUPERVISORS])
    if cat:
        row("  ... x C (worker | cat > file)",
            *[cell(s, "plain", lambda v: "%.2fx" % (v[0] / cat[0])) for s in SUPERVISORS])
    tgt = ["< 8 MiB", "not measured"]
    if c and c[1]:
        ok = c[1] < 8 * 1024
        tgt[1] = verdict(ok, mib(c[1]))
        verdicts.append(("corrald peak RSS < 8 MiB while logging", ok, mib(c[1])))
    else:
        verdicts.append(("corrald peak RSS < 8 MiB while logging", False, "not measured"))
    row("  ... peak RSS (VmHWM)", *[cell(s, "plain", rss) for s in SUPERVISORS], *tgt)
    row("  ... process measured", "corrald", "supervisord", "s6-log", "svlogd")
    sep()
    cs, ss = R.get(("corral", "stamps")), R.get(("s6", "stamps"))
    tgt = ["> s6", "not measured"]
    if cs and ss:
        ok = cs[0] > ss[0]
        tgt[1] = verdict(ok, "%.2fx s6" % (cs[0] / ss[0]))
        verdicts.append(("with time stamps, ahead of s6-log T", ok, "%.0f vs %.0f MiB/s"
                         % (cs[0], ss[0])))
    else:
        verdicts.append(("with time stamps, ahead of s6-log T", False, "not measured"))
    row("with time stamps, %d MiB" % (BYTES >> 20), cell("corral", "stamps", tput), "(none)",
        cell("s6", "stamps", tput), cell("runit", "stamps", tput), *tgt)
    row("  ... peak RSS (VmHWM)", cell("corral", "stamps", rss), "", cell("s6", "stamps", rss),
        cell("runit", "stamps", rss))
    row("  ... how", "log_timestamps", "", "s6-log T", "svlogd -tt")
    print("\n".join(rows))
    print()
    for s in SUPERVISORS:
        if (s, "skip") in R:
            print("note: %s skipped: %s" % (s, R[(s, "skip")]))
    print("note: throughput = %d MiB / (the worker's first write until the log holds every "
          "byte: the reader exited at end of file, or the file reached its size, polled every "
          "2 ms); best of the rounds, runs one at a time" % (BYTES >> 20))
    for who in ["plain", "cat"] + SUPERVISORS:
        for mode in ("plain", "stamps"):
            a = R.get((who, mode, "all"))
            if a and len(a) > 1:
                print("note: %s%s, each round: %s MiB/s" % (
                    {"plain": "worker > file", "cat": "worker | cat"}.get(who, who),
                    " with time stamps" if mode == "stamps" else "",
                    ", ".join("%.0f" % x for x in a)))
    print("note: rotation as little as each allows: corral and supervisord maxbytes = 0, "
          "svlogd s0, s6-log s268435455 (its largest; it rotates every 256 MiB); peak RSS "
          "of s6-log, svlogd and cat is their VmHWM read every 2 ms until they exit")
    print("note: time stamps: corral 28 bytes (RFC 3339, microseconds, UTC), s6-log T 31 "
          "(ISO 8601, nanoseconds), svlogd -tt 27 (UTC, microseconds); supervisord has none")
    for n in notes:
        print("note: " + n)
    print_summary(verdicts, problems, "log benchmark", time.monotonic() - T0)


def main():
    if not WORKER or not os.access(WORKER, os.X_OK):
        print("usage: logbench.py BUILD LOGBENCH (run by bench/run.sh)", file=sys.stderr)
        return 2
    base, mounted = mount_tmpfs()
    fs = "?"
    try:
        fs = fs_type(os.path.realpath(base))
        log("%d MiB per run, logs under %s (%s)" % (BYTES >> 20, base, fs))
        run_all(base)
    except KeyboardInterrupt:
        problems.append("interrupted")
    finally:
        for p in list(live):
            stop(p)
        if mounted:
            for _ in range(50):
                if subprocess.run(["umount", base], capture_output=True).returncode == 0:
                    mounted = False
                    break
                time.sleep(0.1)
            if mounted:
                subprocess.run(["umount", "-l", base], capture_output=True)
                notes.append("%s was busy at the end: unmounted lazily" % base)
        if not LOGDIR_KNOB or LOGDIR_KNOB == "tmp":
            shutil.rmtree(base, ignore_errors=True)
    report(fs)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
