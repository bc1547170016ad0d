#!/usr/bin/python3
"""corral log throughput: one worker's stdout into its log file.

Run by bench/run.sh (`make bench`), which builds bench/logbench.c into a
temporary directory and passes its path:

    python3 bench/logbench.py BUILD LOGBENCH

The same worker (logbench write BYTES STARTFILE LINE: LINE-byte lines from
one buffer, 64 KiB a write, as fast as write(2) takes them) writes BYTES
through each configuration, into an empty directory:

    worker | cat > file        the floor: a pipe and the simplest reader
    corrald                    stdout_logfile, no rotation
    corrald, log_timestamps    the same with log_timestamps = true
    worker > file              no pipe, no logger (shown beside, no target)
    supervisord                stdout_logfile, no rotation
    worker | s6-log            s268435455 (its largest file); then with T
    worker | svlogd            s0 (no rotation); then with -tt

on each of two file systems, reported separately:

    disk     a directory on the file system that holds /var/log (under
             /var/tmp when that is the same file system, else under
             /var/log): what a user's logdir would be on; its type, device
             and mount point are read from /proc/self/mountinfo and printed
    tmpfs    a private tmpfs mounted beside it for the run (root only), so
             that the disk does not set the pace

On each file system: one warm-up round of the floor and the corrald
configurations (not counted: a first GiB after other disk work can run
several times slower than the next, for cat and corrald alike), then
BENCH_LOG_ROUNDS rounds, each running every configuration once in the order
above, so that each repetition of corrald has the cat pipe of the same
round to be compared with. A peer (supervisord, s6-log, svlogd) whose
first run takes over BENCH_LOG_SLOW seconds runs in the first round only.

Throughput = the producer's BYTES / (from the worker's first write, read from
STARTFILE, until the log holds every byte: the reader exited after end of
file, or the file reached its size, polled every 2 ms); with time stamps the
file holds more than that (corrald: 28 bytes a line), but the figure is
still the producer's bytes, which is what the floor moves. Reported: the
MEDIAN of the rounds, each round's ratio to the cat pipe of that round, the
CPU seconds per GiB of the process that writes the log (corrald and
supervisord: utime+stime from /proc/PID/stat once the log is whole, before
they are stopped; cat, s6-log, svlogd: their rusage at exit; worker > file:
the worker's own), and its peak memory (VmHWM; for a reader that exits at
end of file, the last value read while it ran).

Targets (issue 20): corrald plain and stamped >= 0.8 x the cat pipe in every
round, on each file system; corrald ahead of every peer and, stamped, of
s6-log T (medians); corrald's peak RSS <= 8 MiB. A benchmark, not a test:
missed targets are reported, never fatal; the exit status is 1 only when
something could not run at all.

Every run's figures go to OUT/logbench.csv (warm-up rows marked), the medians
to OUT/logbench-median.dat, and, when gnuplot is installed (Debian's
gnuplot-nox, in `sh packaging/deps.sh bench`), a bar plot of the median
MiB/s (whiskers: the slowest and fastest round) per configuration and file
system, with the cat floor and 0.8 x it drawn across, to OUT/logbench.png
and OUT/logbench.svg. OUT is $BENCH_OUT, else bench/out.

Knobs (environment): BENCH_LOG_BYTES (default 1 GiB), BENCH_LOG_LINE (bytes
a line, newline included; default 128), BENCH_LOG_ROUNDS (default 3),
BENCH_LOG_SLOW (default 10 s), BENCH_LOG_FS (comma list of disk,tmpfs;
default both), BENCH_LOG_DIR (the directory the disk runs go under, instead
of the one beside /var/log), BENCH_OUT, BENCH_ONLY (comma list of
corral,supervisord,s6,runit; the floor and worker > file always run).
"""
import csv
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import env_int, print_summary

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
WORKER = sys.argv[2] if len(sys.argv) > 2 else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAMP = 28            # "2026-11-26T23:14:00.123456Z " before each line
GIB = 1 << 30

LINE = min(65536, max(2, env_int("BENCH_LOG_LINE", 128)))
BYTES = max(LINE * 1000, env_int("BENCH_LOG_BYTES", GIB)) // LINE * LINE
LOGDIR_KNOB = os.environ.get("BENCH_LOG_DIR", "")
FS_KNOB = [s for s in os.environ.get("BENCH_LOG_FS", "disk,tmpfs").split(",") if s]
OUT = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "bench", "out")
ONLY = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
ROUNDS = max(1, env_int("BENCH_LOG_ROUNDS", 3))
SLOW = max(0, env_int("BENCH_LOG_SLOW", 10))   # seconds: a peer this slow runs once
TARGET = 0.8           # x the cat pipe, every round
RSS_MAX = 8 * 1024     # KiB
SUPERVISORS = ["corral", "supervisord", "s6", "runit"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
T0 = time.monotonic()

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


def proc_cpu(pid):
    """utime + stime of PID (itself, not its children) in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def spawn(argv, **kw):
    p = subprocess.Popen(argv, stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
    live.append(p)
    return p


def reap(p, timeout=None):
    """wait4 P: (seconds at its exit on the monotonic clock, its CPU seconds
    (user + system), its exit status); None when it is still running after
    TIMEOUT."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, 0 if deadline is None else os.WNOHANG)
        if pid == p.pid:
            t = time.monotonic()
            p.returncode = os.waitstatus_to_exitcode(status)
            if p in live:
                live.remove(p)
            return t, ru.ru_utime + ru.ru_stime, p.returncode
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
    return [WORKER, "write", str(BYTES), start, str(LINE)]


# ---------------------------------------------------------------- the runs
# Each returns (seconds, CPU seconds of the process that writes the log,
# its peak RSS in KiB or None).

def run_plain(d):
    start = os.path.join(d, "start")
    with open(os.path.join(d, "out"), "wb") as out:
        w = spawn(worker_argv(start), stdout=out)
    t_end, cpu, rc = reap(w)
    if rc != 0:
        raise RuntimeError("the worker exited %d" % rc)
    return t_end - started_at(start), cpu, None


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
    t_end, cpu, rc = res
    err = rd.stderr.read().decode(errors="replace").strip()
    rd.stderr.close()
    wres = reap(w, 30)
    if wres is None:
        stop(w)
    if rc != 0 or (wres and wres[2] != 0):
        raise RuntimeError("%s exited %s, the worker %s%s" % (what, rc, wres and wres[2],
                                                             (": " + err[:200]) if err else ""))
    return t_end - started_at(start), cpu, hwm


def run_daemon(d, argv, logfile, size, name):
    """A supervisor whose program is the worker: time until LOGFILE holds
    SIZE bytes; its CPU and VmHWM read then, before it is stopped."""
    start = os.path.join(d, "start")
    with open(os.path.join(d, name + ".out"), "wb") as out:
        p = spawn(argv, stdout=out, stderr=out, start_new_session=True)
    try:
        t0 = started_at(start, alive=lambda: p.poll() is None)
        t_end = wait_size(logfile, size, 600, lambda: p.poll() is None)
        cpu, hwm = proc_cpu(p.pid), proc_kib(p.pid)
    except RuntimeError as e:
        stop(p)
        tail = open(os.path.join(d, name + ".out"), errors="replace").read()[-300:]
        raise RuntimeError("%s: %s%s" % (name, e, (" / " + tail.strip().replace("\n", " / "))
                                         if tail.strip() else ""))
    stop(p, timeout=60)
    if p.returncode != 0:
        notes.append("%s exited %s after SIGTERM" % (name, p.returncode))
    return t_end - t0, cpu, hwm


def run_corral(d, stamps):
    logdir = os.path.join(d, "log")
    os.mkdir(logdir)
    conf = os.path.join(d, "corral.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "[corral]", "socket = %s/corral.sock" % d, "logdir = %s" % logdir, "",
            "[program:w]", "command = %s" % " ".join(worker_argv(os.path.join(d, "start"))),
            "startsecs = 0", "autorestart = false", "stdout_logfile_maxbytes = 0",
            "stderr_logfile = NONE", "log_timestamps = %s" % ("true" if stamps else "false"),
            ""]))
    size = BYTES + (BYTES // LINE * STAMP if stamps else 0)
    return run_daemon(d, [os.path.join(ROOT, BUILD, "corrald"), "-c", conf],
                      os.path.join(logdir, "w.out"), size, "corrald")


def run_supervisord(d):
    conf = os.path.join(d, "supervisord.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "[unix_http_server]", "file = %s/supervisor.sock" % d, "",
            "[supervisord]", "logfile = %s/supervisord.log" % d,
            "pidfile = %s/supervisord.pid" % d, "childlogdir = %s" % d, "nodaemon = true",
            "user = root", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[program:w]", "command = %s" % " ".join(worker_argv(os.path.join(d, "start"))),
            "startsecs = 0", "autorestart = false", "stdout_logfile = %s/w.out" % d,
            "stdout_logfile_maxbytes = 0", "stdout_logfile_backups = 0",
            "stderr_logfile = NONE", ""]))
    return run_daemon(d, ["supervisord", "-n", "-c", conf], os.path.join(d, "w.out"), BYTES,
                      "supervisord")


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


# (who, mode, label, the process measured, run); in the order of a round.
CONFIGS = [
    ("cat", "plain", "worker | cat > file (floor)", "cat",
     lambda d: run_pipe(d, ["cat"], "cat")),
    ("corral", "plain", "corrald", "corrald", lambda d: run_corral(d, False)),
    ("corral", "stamps", "corrald, log_timestamps", "corrald", lambda d: run_corral(d, True)),
    ("plain", "plain", "worker > file (no pipe)", "worker", run_plain),
    ("supervisord", "plain", "supervisord", "supervisord", run_supervisord),
    ("s6", "plain", "s6-log", "s6-log", lambda d: run_s6(d, False)),
    ("s6", "stamps", "s6-log T", "s6-log", lambda d: run_s6(d, True)),
    ("runit", "plain", "svlogd", "svlogd", lambda d: run_svlogd(d, False)),
    ("runit", "stamps", "svlogd -tt", "svlogd", lambda d: run_svlogd(d, True)),
]
WARMUP = {("cat", "plain"), ("corral", "plain"), ("corral", "stamps")}


# ---------------------------------------------------------------- file systems

def unescape(s):
    """A path field of /proc/self/mountinfo (spaces and the like are \\ooo)."""
    out, i = "", 0
    while i < len(s):
        if s[i] == "\\" and i + 4 <= len(s) and s[i + 1:i + 4].isdigit():
            out += chr(int(s[i + 1:i + 4], 8))
            i += 4
        else:
            out += s[i]
            i += 1
    return out


def mount_of(path):
    """(type, source, mount point) of the file system PATH is on, from
    /proc/self/mountinfo: the deepest mount point above PATH with its device."""
    path = os.path.realpath(path)
    st = os.stat(path)
    dev = "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
    best = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            a, b = left.split(), right.split()
            if len(a) < 5 or len(b) < 2:
                continue
            mnt = unescape(a[4])
            inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
            if a[2] == dev and inside and (best is None or len(mnt) >= len(best[2])):
                best = (b[0], unescape(b[1]), mnt)
    return best or ("?", "?", "?")


def disk_dir():
    """Where the disk runs go: (directory made for the run, why there)."""
    if LOGDIR_KNOB:
        return tempfile.mkdtemp(prefix="corral-logbench.", dir=LOGDIR_KNOB), "BENCH_LOG_DIR"
    parent, why = "/var/log", "the file system of /var/log"
    try:
        if os.stat("/var/tmp").st_dev == os.stat("/var/log").st_dev and \
                os.access("/var/tmp", os.W_OK):
            parent = "/var/tmp"
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="corral-logbench.", dir=parent), why


def mount_tmpfs(beside):
    """A private tmpfs mounted at a new directory in BESIDE (root only): its
    path, or None and a note why not."""
    if os.geteuid() != 0:
        notes.append("not root: no tmpfs mounted, its figures are not measured")
        return None
    base = tempfile.mkdtemp(prefix="corral-logbench-tmpfs.", dir=beside)
    size = BYTES + BYTES // LINE * 32 + (64 << 20)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0700" % size, "tmpfs", base],
                       capture_output=True, text=True)
    if r.returncode != 0:
        notes.append("could not mount a tmpfs (%s): its figures are not measured"
                     % r.stderr.strip())
        os.rmdir(base)
        return None
    return base


def unmount(base):
    for _ in range(50):
        if subprocess.run(["umount", base], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", base], capture_output=True)
    notes.append("%s was busy at the end: unmounted lazily" % base)


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


class FS:
    """One file system's runs: rows[(who, mode)] = [run, ...], each run a
    dict(round, secs, mbs, cpu, kib); round 0 is the warm-up."""

    def __init__(self, key, base, why):
        self.key, self.base, self.why = key, base, why
        self.kind, self.source, self.mnt = mount_of(base)
        self.rows = {}
        self.failed = {}

    def name(self):
        return self.kind if self.key == "tmpfs" else "%s (%s)" % (self.kind, self.source)

    def where(self):
        return "%s at %s (%s)" % (self.name(), self.base, self.why)

    def counted(self, who, mode):
        return [r for r in self.rows.get((who, mode), []) if r["round"] > 0]

    def ratios(self, who, mode):
        """[(round, x the cat pipe of that round)]."""
        cat = {r["round"]: r["mbs"] for r in self.counted("cat", "plain")}
        return [(r["round"], r["mbs"] / cat[r["round"]]) for r in self.counted(who, mode)
                if r["round"] in cat]

    def median(self, who, mode, field="mbs"):
        v = [r[field] for r in self.counted(who, mode) if r[field] is not None]
        return statistics.median(v) if v else None

    def run_all(self, skip):
        slow = set()
        for rnd in range(ROUNDS + 1):
            for who, mode, label, _, fn in CONFIGS:
                if who in skip or (rnd == 0 and (who, mode) not in WARMUP) \
                        or (who, mode) in slow or (who, mode) in self.failed:
                    continue
                d = tempfile.mkdtemp(prefix="%s-%s." % (who, mode), dir=self.base)
                try:
                    secs, cpu, kib = fn(d)
                    mbs = BYTES / secs / (1 << 20)
                    self.rows.setdefault((who, mode), []).append(
                        dict(round=rnd, secs=secs, mbs=mbs, kib=kib,
                             cpu=None if cpu is None else cpu / (BYTES / GIB)))
                    if rnd > 0 and secs > SLOW and who in SUPERVISORS[1:]:
                        slow.add((who, mode))
                    log("%s %s: %s: %.0f MiB/s, %s CPU-s/GiB, peak RSS %s" % (
                        self.kind, "warm-up" if rnd == 0 else "round %d" % rnd, label, mbs,
                        "-" if cpu is None else "%.2f" % (cpu / (BYTES / GIB)),
                        "%d KiB" % kib if kib else "-"))
                except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                    log("%s: %s: %s" % (self.kind, label, e))
                    self.failed[(who, mode)] = str(e)
                    problems.append("%s on %s: %s" % (label, self.kind, e))
                finally:
                    for p in list(live):
                        stop(p)
                    shutil.rmtree(d, ignore_errors=True)
        for key in [c[:2] for c in CONFIGS if c[:2] in slow]:
            notes.append("%s on %s: one round only (a run took over %ds, BENCH_LOG_SLOW)"
                         % ([c[2] for c in CONFIGS if c[:2] == key][0], self.kind, SLOW))


# ---------------------------------------------------------------- report

def mib(kib):
    if kib is None:
        return "-"
    return "%.1f MiB" % (kib / 1024) if kib < 100 * 1024 else "%.0f MiB" % (kib / 1024)


def ratio(x):
    """X to two places, rounded down: 0.80 is at least 0.8."""
    return "%.2f" % (math.floor(x * 100) / 100)


def table(rows):
    """Rows of cells, the first the header, as columns padded to fit."""
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = lambda r: " | ".join(c.ljust(n) for c, n in zip(r, w)).rstrip()  # noqa: E731
    return [line(rows[0]), "-+-".join("-" * n for n in w)] + [line(r) for r in rows[1:]]


def report_fs(fs, skip, verdicts):
    print()
    print("logs on %s" % fs.where())
    rows = [["configuration", "MiB/s median", "MiB/s each round", "x cat each round",
             "CPU s/GiB", "peak RSS", "process", "target"]]
    for who, mode, label, proc, _ in CONFIGS:
        runs = fs.counted(who, mode)
        if not runs:
            why = skip.get(who) and "skipped" or ((who, mode) in fs.failed and "failed") or "-"
            rows.append([label, why, "", "", "", "", proc, ""])
            continue
        ratios = fs.ratios(who, mode)
        target = ""
        if who == "corral":
            bad = [(n, x) for n, x in ratios if x < TARGET]
            ok = bool(ratios) and not bad and len(ratios) == len(runs)
            target = (">= %.1fx cat each round: " % TARGET) + ("MET" if ok else "MISSED")
            verdicts.append((
                "%s on %s: >= %.1f x the cat pipe in every round" % (label, fs.name(), TARGET), ok,
                "x cat %s; median %.0f MiB/s vs cat %s MiB/s; CPU %s vs cat %s s/GiB" % (
                    ", ".join(ratio(x) for _, x in ratios) or "not measured",
                    fs.median(who, mode),
                    "%.0f" % fs.median("cat", "plain") if fs.counted("cat", "plain") else "-",
                    "%.2f" % fs.median(who, mode, "cpu") if fs.median(who, mode, "cpu") else "-",
                    "%.2f" % fs.median("cat", "plain", "cpu")
                    if fs.median("cat", "plain", "cpu") else "-")))
        cpu = fs.median(who, mode, "cpu")
        kibs = [r["kib"] for r in runs if r["kib"]]
        rows.append([label, "%.0f" % fs.median(who, mode),
                     " ".join("%.0f" % r["mbs"] for r in runs),
                     "floor" if who == "cat" else " ".join(ratio(x) for _, x in ratios),
                     "-" if cpu is None else "%.2f" % cpu,
                     mib(max(kibs)) if kibs else "-", proc, target])
    print("\n".join(table(rows)))
    c, cs = fs.median("corral", "plain"), fs.median("corral", "stamps")
    peers = [(lab, fs.median(w, m)) for w, m, lab, _, _ in CONFIGS
             if w in SUPERVISORS[1:] and m == "plain" and fs.counted(w, m)]
    if c and "corral" not in skip:
        ok = all(c > p for _, p in peers) and bool(peers)
        verdicts.append(("corrald on %s ahead of every peer (medians)" % fs.name(), ok,
                         "%.0f MiB/s; %s" % (c, ", ".join("%s %.0f" % p for p in peers)
                                             or "no peer measured")))
    s6t = fs.median("s6", "stamps")
    if cs and s6t:
        verdicts.append(("corrald, log_timestamps on %s ahead of s6-log T (medians)" % fs.name(),
                         cs > s6t, "%.0f vs %.0f MiB/s" % (cs, s6t)))
    if cs:
        print("note: corrald with time stamps writes %.0f MiB/s into the file (28 bytes more a "
              "line) for the %.0f MiB/s of the producer's bytes above"
              % (cs * (LINE + STAMP) / LINE, cs))
    warm = [r for r in fs.rows.get(("cat", "plain"), []) if r["round"] == 0]
    warmc = [r for r in fs.rows.get(("corral", "plain"), []) if r["round"] == 0]
    if warm:
        print("note: warm-up (not counted): cat %.0f MiB/s%s" % (
            warm[0]["mbs"], (", corrald %.0f MiB/s" % warmc[0]["mbs"]) if warmc else ""))


def write_out(systems):
    """OUT/logbench.csv, OUT/logbench-median.dat and, with gnuplot, the plot;
    the files written."""
    try:
        os.makedirs(OUT, exist_ok=True)
    except OSError as e:
        notes.append("cannot write %s: %s" % (OUT, e))
        return []
    written = []
    path = os.path.join(OUT, "logbench.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["fs", "fs_type", "fs_source", "dir", "configuration", "round", "warmup",
                    "bytes", "line", "seconds", "mib_s", "x_cat_same_round", "cpu_s_per_gib",
                    "peak_kib"])
        for fs in systems:
            cat = {r["round"]: r["mbs"] for r in fs.rows.get(("cat", "plain"), [])}
            for who, mode, label, _, _ in CONFIGS:
                for r in fs.rows.get((who, mode), []):
                    w.writerow([fs.key, fs.kind, fs.source, fs.base, label, r["round"],
                                int(r["round"] == 0), BYTES, LINE, "%.4f" % r["secs"],
                                "%.1f" % r["mbs"],
                                "%.3f" % (r["mbs"] / cat[r["round"]]) if r["round"] in cat else "",
                                "" if r["cpu"] is None else "%.3f" % r["cpu"],
                                r["kib"] or ""])
    written.append(path)
    dat = os.path.join(OUT, "logbench-median.dat")
    shown = [c for c in CONFIGS if any(fs.counted(c[0], c[1]) for fs in systems)]
    with open(dat, "w") as f:
        f.write("# configuration, then per file system (%s): median, slowest, fastest MiB/s\n"
                % ", ".join(fs.name() for fs in systems))
        for who, mode, label, _, _ in shown:
            cells = []
            for fs in systems:
                v = [r["mbs"] for r in fs.counted(who, mode)]
                cells += ["%.1f" % statistics.median(v), "%.1f" % min(v), "%.1f" % max(v)] \
                    if v else ["-", "-", "-"]
            f.write('"%s" %s\n' % (label.replace(" (floor)", "").replace(" (no pipe)", ""),
                                   " ".join(cells)))
    written.append(dat)
    if not shown:
        return written
    if not shutil.which("gnuplot"):
        notes.append("gnuplot not installed (sh packaging/deps.sh bench): no plot drawn")
        return written
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    lines, plots = [], []
    for i, fs in enumerate(systems):
        col = 2 + 3 * i
        plots.append("'%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'"
                     % (dat, col, col + 1, col + 2, fs.name(), colors[i % 3]))
        cat = fs.median("cat", "plain")
        if cat:
            lines.append("%f with lines dt 2 lw 1.5 lc rgb '%s' title 'cat pipe, %s'"
                         % (cat, colors[i % 3], fs.name()))
            lines.append("%f with lines dt 3 lw 1.5 lc rgb '%s' title '%.1f x cat, %s'"
                         % (TARGET * cat, colors[i % 3], TARGET, fs.name()))
    gp = os.path.join(OUT, "logbench.gp")
    title = ("corral log throughput: %d MiB of %d-byte lines, median of %d rounds "
             "(whiskers: slowest and fastest)" % (BYTES >> 20, LINE, ROUNDS))
    common = "\n".join([
        "set title '%s'" % title, "set ylabel 'MiB/s of the producer''s bytes'",
        "set style data histogram", "set style histogram errorbars gap 1 lw 1",
        "set style fill solid 0.8 border -1", "set datafile missing '-'",
        "set yrange [0:*]", "set xrange [-0.6:%f]" % (len(shown) - 0.4),
        "set xtics rotate by -30 nomirror", "set key inside top right", "set grid ytics",
        "set bmargin 7"])
    plot = "plot " + ", \\\n     ".join(plots + lines)
    png, svg = os.path.join(OUT, "logbench.png"), os.path.join(OUT, "logbench.svg")
    with open(gp, "w") as f:
        f.write("%s\nset terminal pngcairo size 1280,640 noenhanced\nset output '%s'\n%s\n"
                "set terminal svg size 1280,640 noenhanced\nset output '%s'\n%s\n"
                % (common, png, plot, svg, plot))
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        notes.append("gnuplot failed: %s" % r.stderr.strip()[-300:])
    else:
        written += [png, svg]
    written.append(gp)
    return written


def report(systems, skip, written, load0):
    verdicts = []
    print()
    print("corral log throughput (%d MiB of %d-byte lines from one worker's stdout to its log "
          "file; median of %d rounds after a warm-up, interleaved; %d CPUs; %s; load average "
          "%.1f at the start, %.1f at the end)" % (
              BYTES >> 20, LINE, ROUNDS, os.cpu_count() or 0, os.uname().release, load0,
              os.getloadavg()[0]))
    for fs in systems:
        report_fs(fs, skip, verdicts)
    hwm = [r["kib"] for fs in systems for m in ("plain", "stamps")
           for r in fs.rows.get(("corral", m), []) if r["kib"]]
    if hwm:
        verdicts.append(("corrald peak RSS <= 8 MiB while logging", max(hwm) <= RSS_MAX,
                         mib(max(hwm))))
    elif "corral" not in skip:
        verdicts.append(("corrald peak RSS <= 8 MiB while logging", False, "not measured"))
    print()
    for who, why in skip.items():
        print("note: %s skipped: %s" % (who, why))
    print("note: throughput = the producer's %d MiB / (its first write until the log holds "
          "every byte: the reader exited at end of file, or the file reached its size, polled "
          "every 2 ms); each round runs every configuration once, one at a time, in the order "
          "of the table; x cat = against the cat pipe of the same round, rounded down (0.80 is "
          "at least 0.8)" % (BYTES >> 20))
    print("note: CPU s/GiB: corrald and supervisord utime+stime from /proc/PID/stat once the "
          "log is whole (the worker, its child, not counted); cat, s6-log, svlogd their rusage "
          "at exit; worker > file the worker's own (its writes into the file)")
    print("note: rotation as little as each allows: corral and supervisord maxbytes = 0, "
          "svlogd s0, s6-log s268435455 (its largest; it rotates every 256 MiB); peak RSS "
          "of s6-log, svlogd and cat is their VmHWM read every 2 ms until they exit")
    print("note: time stamps: corral 28 bytes (RFC 3339, microseconds, UTC), s6-log T 31 "
          "(ISO 8601, nanoseconds), svlogd -tt 27 (UTC, microseconds); supervisord has none")
    for n in notes:
        print("note: " + n)
    if written:
        print("wrote: " + ", ".join(os.path.relpath(p) if p.startswith(ROOT) else p
                                    for p in written))
    print_summary(verdicts, problems, "log benchmark", time.monotonic() - T0)


def main():
    if not WORKER or not os.access(WORKER, os.X_OK):
        print("usage: logbench.py BUILD LOGBENCH (run by bench/run.sh)", file=sys.stderr)
        return 2
    load0 = os.getloadavg()[0]
    skip = {}
    for who in SUPERVISORS:
        why = available(who)
        if why:
            skip[who] = why
    systems, made, mounted = [], [], []
    try:
        for key in FS_KNOB:
            if key == "disk":
                base, why = disk_dir()
                made.append(base)
            elif key == "tmpfs":
                beside = os.path.dirname(made[0]) if made else tempfile.gettempdir()
                base = mount_tmpfs(beside)
                if base is None:
                    continue
                made.append(base)
                mounted.append(base)
                why = "private, mounted for the run beside the disk's directory"
            else:
                notes.append("BENCH_LOG_FS: unknown file system %r (disk, tmpfs)" % key)
                continue
            fs = FS(key, base, why)
            systems.append(fs)
            log("%d MiB of %d-byte lines per run, %d rounds after a warm-up; logs on %s"
                % (BYTES >> 20, LINE, ROUNDS, fs.where()))
            fs.run_all(skip)
    except KeyboardInterrupt:
        problems.append("interrupted")
    finally:
        for p in list(live):
            stop(p)
        for base in mounted:
            unmount(base)
        for base in made:
            shutil.rmtree(base, ignore_errors=True)
    written = write_out(systems) if systems else []
    report(systems, skip, written, load0)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
