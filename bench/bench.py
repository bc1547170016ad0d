#!/usr/bin/python3
"""corral benchmark: corrald against supervisord, s6 and runit.

Run by bench/run.sh (`make bench`), which builds bench/benchtool.c into a
temporary directory and passes its path:

    python3 bench/bench.py BUILD BENCHTOOL

Every supervisor runs alone, in its own temporary directory, supervising
plain `sleep` workers whose argument is a float unique to this run (the tag),
so that no worker of ours can be confused with anything else on the machine.
Every process is stopped by the PID we started it as (or found under it), and
the run ends by checking /proc for any process that still carries the tag.

A benchmark, not a test: missed targets are reported, never fatal. The exit
status is 1 only when something could not run at all.

Knobs (environment): BENCH_ROUNDS (3) start-up rounds at 100 programs,
BENCH_CALLS (200) status calls, BENCH_IDLE (10) seconds of strace,
BENCH_CORRAL_BIG (10000), BENCH_S6_BIG (10000), BENCH_RUNIT_BIG (1000, runsvdir's
limit), BENCH_SUPERVISORD_BIG (1000), BENCH_ONLY (comma list: corral,supervisord,s6,runit),
BENCH_TREE (1000; 0 skips it) processes in the tree that each supervisor stops,
BENCH_TREE_SETTLE (3) seconds after the stop command returns before survivors
are counted.
"""
import ctypes
import os
import random
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import env_int, print_summary

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOOL = sys.argv[2] if len(sys.argv) > 2 else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


ROUNDS = max(1, env_int("BENCH_ROUNDS", 3))
CALLS = max(10, env_int("BENCH_CALLS", 200))
IDLE = max(1, env_int("BENCH_IDLE", 10))
BIG = {
    "corral": env_int("BENCH_CORRAL_BIG", 10000),
    "supervisord": env_int("BENCH_SUPERVISORD_BIG", 1000),
    "s6": env_int("BENCH_S6_BIG", 10000),
    "runit": min(env_int("BENCH_RUNIT_BIG", 1000), 1000),
}
ONLY = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
TREE = max(0, env_int("BENCH_TREE", 1000))
TREE_SETTLE = max(1, env_int("BENCH_TREE_SETTLE", 3))
TREE_WAIT = 10         # stopwaitsecs of the tree program (corral, supervisord)
PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
SUPERVISORS = ["corral", "supervisord", "s6", "runit"]

# A float no other process on the machine carries: sleep 99999.<digits>.
TAG = "99999.%d%06d" % (os.getpid() % 1000, random.randrange(10**6))

T_START = time.monotonic()
problems = []          # things that could not run at all
notes = []             # footnotes printed under the table
tempdirs = []
running = []           # Daemons not yet stopped
scopes_seen = []       # scope cgroups of the corralds we ran, each checked at its stop


def log(msg):
    print("[%5.1fs] %s" % (time.monotonic() - T_START, msg), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

def set_subreaper():
    """Orphans of a supervisor we stop (its workers) are re-parented to us,
    so that we can reap them and nothing is left as a zombie of PID 1."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except OSError:
        pass


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def proc_stat(pid):
    """(ppid, state, starttime, comm) or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[1]), rest[0], int(rest[19]), comm


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def descendants(root):
    """{pid: (starttime, comm)} of every live process under root."""
    kids = {}
    info = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[1] != "Z":
            kids.setdefault(st[0], []).append(pid)
            info[pid] = (st[2], st[3])
    out = {}
    todo = [root]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out[c] = info[c]
            todo.append(c)
    return out


def alive(pid, starttime=None):
    st = proc_stat(pid)
    if not st or st[1] == "Z":
        return False
    return starttime is None or st[2] == starttime


def kill_if_same(pid, starttime, sig=signal.SIGKILL):
    if alive(pid, starttime):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def tagged():
    """PIDs of live processes whose argv carries this run's tag."""
    out = []
    for pid in all_pids():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if TAG.encode() in argv[1:] and alive(pid):
            out.append(pid)
    return out


def kill_tagged():
    """Kill by PID every live process that carries our tag; return them."""
    left = tagged()
    for pid in left:
        st = proc_stat(pid)
        if st:
            kill_if_same(pid, st[2])
    if left:
        time.sleep(0.2)
    reap()
    return left


def wait_gone(procs, timeout):
    """Wait until none of {pid: (starttime, comm)} lives; returns survivors."""
    deadline = time.monotonic() + timeout
    while True:
        reap()
        left = {p: v for p, v in procs.items() if alive(p, v[0])}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def pss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def mktemp(name):
    d = tempfile.mkdtemp(prefix="corral-bench-%s." % name)
    tempdirs.append(d)
    return d


# ------------------------------------------------------------- benchtool

def tool(*args, timeout=None):
    r = subprocess.run([TOOL] + [str(a) for a in args], stdout=subprocess.PIPE,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("benchtool %s failed (%d)" % (args[0], r.returncode))
    return r.stdout


def latency(*argvs):
    """[(median_ns, p99_ns, failures)] over CALLS fork+exec+wait of each argv,
    the calls of all of them interleaved."""
    args = []
    for a in argvs:
        args += (["--"] if args else []) + list(a)
    out = tool("forkexec", CALLS, *args, timeout=900).splitlines()
    return [tuple(int(x) for x in line.split()) for line in out]


class Daemon:
    """A supervisor started by benchtool run-until, which times it from fork
    until the poll says every program is up, and stays its parent."""

    def __init__(self, name, argv, poll, logfile, timeout_s, interval_us=500):
        self.name = name
        self.logfile = logfile
        self.p = subprocess.Popen(
            [TOOL, "run-until", str(int(timeout_s * 1000)), str(interval_us), logfile]
            + [str(x) for x in poll] + ["--"] + argv,
            stdout=subprocess.PIPE, text=True,
            # Its own session: a ^C reaches us, and we stop it in order.
            start_new_session=True)
        first = self.p.stdout.readline().split()
        if len(first) != 2 or first[0] != "pid":
            self.p.wait()
            raise RuntimeError("%s: benchtool could not start it" % name)
        self.pid = int(first[1])
        self.start_st = None
        st = proc_stat(self.pid)
        if st:
            self.start_st = st[2]
        line = self.p.stdout.readline().split()
        self.ready_ns = int(line[1]) if line and line[0] == "ready_ns" else None
        self.polls = int(line[-1]) if line else 0
        self.exited = None
        running.append(self)

    def tree(self):
        return descendants(self.pid)

    def wait_exit(self, timeout):
        """True once the daemon has exited (benchtool reports it, then ends)."""
        if self.exited is not None:
            return True
        try:
            out, _ = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        for line in out.splitlines():
            if line.startswith("exit "):
                self.exited = int(line.split()[1])
        if self.exited is None:
            # benchtool itself died: watch the daemon (now our child) directly.
            deadline = time.monotonic() + timeout
            while alive(self.pid, self.start_st):
                reap()
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
            self.exited = -1
        return True

    def log_tail(self, n=5):
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:]).strip()
        except OSError:
            return ""


def stop_daemon(d, how, timeout=60):
    """Stop a supervisor and everything under it; kill leftovers by PID."""
    procs = d.tree()
    if alive(d.pid, d.start_st):
        procs[d.pid] = (d.start_st, d.name)
    try:
        how()
    except Exception as e:  # the fallback below still cleans up
        log("%s: stop command failed: %s" % (d.name, e))
    if not d.wait_exit(timeout):
        log("%s: did not exit within %ds, SIGKILL to pid %d" % (d.name, timeout, d.pid))
        notes.append("%s (pid %d) did not exit within %ds of being told to stop; killed"
                     % (d.name, d.pid, timeout))
        kill_if_same(d.pid, d.start_st)
        d.wait_exit(30)
    if d in running:
        running.remove(d)
    left = wait_gone(procs, 15)
    if left:
        log("%s: %d processes left after stopping, SIGKILL by pid" % (d.name, len(left)))
        notes.append("%s left %d processes behind after a clean stop (killed by pid)"
                     % (d.name, len(left)))
        for pid, (stt, _) in left.items():
            kill_if_same(pid, stt)
        wait_gone(left, 10)
    reap()


# -------------------------------------------------------- corral's scopes

def cgroup2_mount():
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                a, b = line.split(" - ", 1)
                if b.split()[0] == "cgroup2":
                    return a.split()[4]
    except (OSError, ValueError, IndexError):
        pass
    return None


def corral_scopes(dm):
    """The scope cgroups (corral-HASH directories) that hold the processes
    under corrald, read from their /proc/PID/cgroup."""
    mnt = cgroup2_mount()
    out = set()
    if not mnt:
        return out
    for pid in dm.tree():
        try:
            with open("/proc/%d/cgroup" % pid) as f:
                for line in f:
                    if line.startswith("0::"):
                        parts = line[3:].strip().strip("/").split("/")
                        for i, c in enumerate(parts):
                            if c.startswith("corral-"):
                                out.add(os.path.join(mnt, *parts[:i + 1]))
                                break
        except OSError:
            pass
    return out


def scope_procs(sc):
    """How many processes are in cgroup sc and below."""
    procs = 0
    for dirpath, _, files in os.walk(sc):
        if "cgroup.procs" in files:
            try:
                with open(os.path.join(dirpath, "cgroup.procs")) as f:
                    procs += len(f.read().split())
            except OSError:
                pass
    return procs


def check_scopes(scopes):
    """corrald removes its scope when it exits cleanly: check, never remove
    it for it. A left scope is reported, with what is still in it."""
    R["corral_runs"] = R.get("corral_runs", 0) + 1
    for sc in sorted(scopes):
        if sc not in scopes_seen:
            scopes_seen.append(sc)
        deadline = time.monotonic() + 5
        while os.path.isdir(sc) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.isdir(sc):
            procs = scope_procs(sc)
            problems.append("corrald exited and left its scope cgroup %s behind (%d processes "
                            "in it)" % (sc, procs))
            log("corral: scope %s still exists after corrald exited" % sc)


# --------------------------------------------------------------- strace

def idle_syscalls(pids, dirpath):
    """Completed system calls of pids during IDLE seconds."""
    if not shutil.which("strace"):
        return None, "strace not installed"
    out = os.path.join(dirpath, "strace.out")
    args = ["strace", "-f", "-qq", "-o", out]
    for p in pids:
        args += ["-p", str(p)]
    s = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    time.sleep(IDLE)
    s.send_signal(signal.SIGINT)
    try:
        _, err = s.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        s.kill()
        _, err = s.communicate()
    if not os.path.exists(out):
        return None, "strace failed: " + err.strip()[:200]
    count = 0
    names = {}
    with open(out, errors="replace") as f:
        for line in f:
            body = line.split(None, 1)[1] if line[:1].isdigit() else line
            # Not system calls: signals and exits. A call that strace splits
            # ("<unfinished ...>", later "<... NAME resumed>") is counted once,
            # at its end; the wait in progress when strace attached that never
            # returns ends "<detached ...>" or stays unfinished: not counted.
            body = body.rstrip()
            if body.startswith(("---", "+++")) or body.endswith(("<detached ...>",
                                                                 "<unfinished ...>")):
                continue
            count += 1
            name = body.split("(", 1)[0].strip("<.> ")
            if "resumed>" in body:
                name = body.split("<...", 1)[1].split()[0]
            names[name] = names.get(name, 0) + 1
    top = ", ".join("%s %d" % kv for kv in sorted(names.items(), key=lambda kv: -kv[1])[:3])
    return count, top


# ---------------------------------------------------------- the supervisors

def write_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def run_script():
    return "#!/bin/sh\nexec sleep %s\n" % TAG


# The stop keys of the process-tree figure, the same for corral and supervisord.
TREE_KEYS = ["stopsignal = TERM", "stopwaitsecs = %d" % TREE_WAIT, "stopasgroup = true",
             "killasgroup = true"]


def tree_command(n):
    return "%s %s %d %s" % (PY, os.path.join(ROOT, "bench", "tree.py"), n, TAG)


def tree_program(name, n, keys):
    return ["[program:%s]" % name, "command = %s" % tree_command(n), "startsecs = 0",
            "autorestart = false"] + (keys or []) + \
           ["stdout_logfile = NONE", "stderr_logfile = NONE", ""]


def tree_script(n):
    return "#!/bin/sh\nexec %s\n" % tree_command(n)


class Corral:
    name = "corral"

    def __init__(self):
        self.corrald = os.path.join(ROOT, BUILD, "corrald")
        self.corralctl = os.path.join(ROOT, BUILD, "corralctl")
        self.poll_mode = "proto"

    def available(self):
        for b in (self.corrald, self.corralctl):
            if not os.access(b, os.X_OK):
                return "%s not built" % b
        return None

    def start(self, n, timeout, programs=None):
        d = mktemp("corral")
        self.dir = d
        self.sock = os.path.join(d, "corral.sock")
        conf = ["[corral]", "socket = %s" % self.sock, "logdir = %s/log" % d, ""]
        for i in range(1, n + 1):
            conf += ["[program:p%d]" % i, "command = sleep %s" % TAG, "startsecs = 0",
                     "stdout_logfile = NONE", "stderr_logfile = NONE", ""]
        conf += programs or []
        cf = os.path.join(d, "corral.conf")
        write_file(cf, "\n".join(conf))
        poll = ["proto", self.sock] if self.poll_mode == "proto" else \
            ["cmd", self.corralctl, "-s", self.sock, "status"]
        dm = Daemon("corrald", [self.corrald, "-c", cf], poll,
                    os.path.join(d, "corrald.log"), timeout)
        if dm.ready_ns is None and self.poll_mode == "proto" and alive(dm.pid):
            # The direct protocol poll never saw "all RUNNING": ask corralctl.
            r = subprocess.run([self.corralctl, "-s", self.sock, "status"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                notes.append("corral: the direct protocol poll failed; start-up timed "
                             "by polling `corralctl status` instead")
                self.poll_mode = "cmd"
                self.stop(dm)
                return self.start(n, timeout, programs)
        # Its scope, while there are workers to find it by.
        dm.scopes = corral_scopes(dm) if dm.ready_ns is not None else set()
        return dm

    def tree_start(self, n, timeout, keys=None):
        """One program, [program:tree], running bench/tree.py."""
        return self.start(0, timeout,
                          tree_program("tree", n, TREE_KEYS if keys is None else keys))

    def tree_stop_argv(self):
        return [self.corralctl, "-s", self.sock, "stop", "tree"]

    def tree_pids(self, dm):
        return [dm.pid]

    def status_argv(self):
        return [self.corralctl, "-s", self.sock, "status", "p1"]

    def extra_argvs(self):
        # exec cost alone, without the round trip to corrald
        return [[self.corralctl, "--version"]]

    def stop(self, dm):
        scopes = getattr(dm, "scopes", set()) | corral_scopes(dm)
        stop_daemon(dm, lambda: os.kill(dm.pid, signal.SIGTERM), timeout=120)
        check_scopes(scopes)


class Supervisord:
    name = "supervisord"

    def available(self):
        for b in ("supervisord", "supervisorctl"):
            if not shutil.which(b):
                return "%s not installed" % b
        return None

    def start(self, n, timeout, programs=None):
        d = mktemp("supervisord")
        self.sock = os.path.join(d, "supervisor.sock")
        self.conf = os.path.join(d, "supervisord.conf")
        conf = [
            "[unix_http_server]", "file = %s" % self.sock, "",
            "[supervisord]", "logfile = %s/supervisord.log" % d,
            "pidfile = %s/supervisord.pid" % d, "childlogdir = %s" % d,
            "nodaemon = true", "minfds = %d" % (4 * n + 256), "minprocs = %d" % (n + 256),
            "user = root", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[supervisorctl]", "serverurl = unix://%s" % self.sock, "",
        ]
        for i in range(1, n + 1):
            conf += ["[program:p%d]" % i, "command = sleep %s" % TAG, "startsecs = 0",
                     "stdout_logfile = NONE", "stderr_logfile = NONE", ""]
        conf += programs or []
        write_file(self.conf, "\n".join(conf))
        return Daemon("supervisord", ["supervisord", "-n", "-c", self.conf],
                      ["rpc", self.sock, max(n, 1)], os.path.join(d, "supervisord.out"),
                      timeout, interval_us=5000)

    def tree_start(self, n, timeout):
        return self.start(0, timeout, tree_program("tree", n, TREE_KEYS))

    def tree_stop_argv(self):
        return ["supervisorctl", "-c", self.conf, "stop", "tree"]

    def tree_pids(self, dm):
        return [dm.pid]

    def extra_argvs(self):
        return []

    def status_argv(self):
        return ["supervisorctl", "-c", self.conf, "status", "p1"]

    def stop(self, dm):
        stop_daemon(dm, lambda: os.kill(dm.pid, signal.SIGTERM), timeout=300)


class S6:
    name = "s6"

    def available(self):
        for b in ("s6-svscan", "s6-svscanctl", "s6-svstat", "s6-supervise"):
            if not shutil.which(b):
                return "%s not installed" % b
        return None

    def start(self, n, timeout, script=None):
        d = mktemp("s6")
        self.scandir = os.path.join(d, "scan")
        os.mkdir(self.scandir)
        for i in range(1, n + 1):
            sd = os.path.join(self.scandir, "p%d" % i)
            os.mkdir(sd)
            write_file(os.path.join(sd, "run"), script or run_script(), 0o755)
        return Daemon("s6-svscan", ["s6-svscan", "-c", str(n + 16), self.scandir],
                      ["s6", n, self.scandir], os.path.join(d, "s6-svscan.log"), timeout)

    def tree_pids(self, dm):
        return [dm.pid] + [p for p, (_, c) in dm.tree().items() if c == "s6-supervise"]

    def extra_argvs(self):
        return []

    def status_argv(self):
        return ["s6-svstat", os.path.join(self.scandir, "p1")]

    def tree_start(self, n, timeout):
        # The service is p1, the name benchtool's poll knows.
        return self.start(1, timeout, tree_script(n))

    def tree_stop_argv(self):
        # Down (TERM + CONT to the service's process), waiting until it is.
        return ["s6-svc", "-wd", "-T", "60000", "-d", os.path.join(self.scandir, "p1")]

    def stop(self, dm):
        stop_daemon(dm, lambda: subprocess.run(["s6-svscanctl", "-t", self.scandir],
                                               timeout=30), timeout=120)


class Runit:
    name = "runit"

    def available(self):
        for b in ("runsvdir", "runsv", "sv"):
            if not shutil.which(b):
                return "%s not installed" % b
        return None

    def start(self, n, timeout, script=None):
        d = mktemp("runit")
        self.svdir = os.path.join(d, "service")
        self.n = n
        os.mkdir(self.svdir)
        for i in range(1, n + 1):
            sd = os.path.join(self.svdir, "p%d" % i)
            os.mkdir(sd)
            write_file(os.path.join(sd, "run"), script or run_script(), 0o755)
        return Daemon("runsvdir", ["runsvdir", self.svdir], ["runit", n, self.svdir],
                      os.path.join(d, "runsvdir.log"), timeout)

    def tree_pids(self, dm):
        return [dm.pid] + [p for p, (_, c) in dm.tree().items() if c == "runsv"]

    def extra_argvs(self):
        return []

    def status_argv(self):
        return ["sv", "status", os.path.join(self.svdir, "p1")]

    def tree_start(self, n, timeout):
        return self.start(1, timeout, tree_script(n))

    def tree_stop_argv(self):
        # Down (TERM + CONT to the service's process), waiting up to 60 s.
        return ["sv", "-w", "60", "down", os.path.join(self.svdir, "p1")]

    def stop(self, dm):
        def how():
            # 'd': TERM+CONT to the service, do not restart; 'x': runsv exits
            # once it is down. Then HUP: runsvdir TERMs every runsv and exits.
            for i in range(1, self.n + 1):
                ctl = os.path.join(self.svdir, "p%d" % i, "supervise", "control")
                try:
                    fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK)
                    os.write(fd, b"dx")
                    os.close(fd)
                except OSError:
                    pass
            os.kill(dm.pid, signal.SIGHUP)
        stop_daemon(dm, how, timeout=60)


# ------------------------------------------------------------------ driver

R = {}   # R[(supervisor, key)] = value


def measure(sv, n, rounds, full, timeout):
    """Start sv with n programs `rounds` times; time each start; on the last
    round also take PSS and, when full, the status latency and idle syscalls."""
    times = []
    for r in range(rounds):
        dm = sv.start(n, timeout)
        try:
            if dm.ready_ns is None:
                tail = dm.log_tail()
                why = "not all %d programs up within %ds" % (n, timeout)
                log("%s: %s%s" % (sv.name, why, ("; log: " + tail) if tail else ""))
                R[(sv.name, "fail%d" % n)] = why
                if n == 100:
                    problems.append("%s with %d programs: %s" % (sv.name, n, why))
                return False
            times.append(dm.ready_ns / 1e6)
            log("%s: %d programs up in %.1f ms (%d polls)"
                % (sv.name, n, dm.ready_ns / 1e6, dm.polls))
            if r < rounds - 1:
                continue
            time.sleep(0.5 if n <= 1000 else 2)   # let it settle
            pids = sv.tree_pids(dm)
            R[(sv.name, "pss%d" % n)] = pss_kib(pids)
            R[(sv.name, "procs%d" % n)] = len(pids)
            log("%s: %d programs: PSS %.2f MiB over %d process(es)"
                % (sv.name, n, R[(sv.name, "pss%d" % n)] / 1024, len(pids)))
            if full:
                res = latency(["/bin/true"], sv.status_argv(), *sv.extra_argvs())
                R[(sv.name, "latbase")] = res[0]
                R[(sv.name, "lat")] = res[1]
                if len(res) > 2:
                    R[(sv.name, "latextra")] = res[2]
                med, p99, fails = res[1]
                log("%s: status NAME: median %.0f us, p99 %.0f us%s"
                    % (sv.name, med / 1e3, p99 / 1e3,
                       (", %d calls failed" % fails) if fails else ""))
                if fails:
                    notes.append("%s: %d of %d status calls exited non-zero"
                                 % (sv.name, fails, CALLS))
                log("%s: strace of %d process(es) for %ds ..." % (sv.name, len(pids), IDLE))
                count, top = idle_syscalls(pids, os.path.dirname(dm.logfile))
                R[(sv.name, "idle")] = (count, top, len(pids))
                log("%s: %s system calls while idle%s"
                    % (sv.name, count, (" (" + top + ")") if top else ""))
        finally:
            t1 = time.monotonic()
            sv.stop(dm)
            log("%s: stopped (%.1fs)" % (sv.name, time.monotonic() - t1))
            d = os.path.dirname(dm.logfile)
            if d in tempdirs:
                shutil.rmtree(d, ignore_errors=True)
                tempdirs.remove(d)
    if times:
        times.sort()
        R[(sv.name, "start%d" % n)] = times[len(times) // 2]
        R[(sv.name, "starts%d" % n)] = times
    return True


def tagged_info():
    """{pid: (starttime, comm, ppid, pgrp, session)} of live tagged processes."""
    out = {}
    for pid in tagged():
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        if rest[0] in "ZX":
            continue
        out[pid] = (int(rest[19]), st[st.index("(") + 1:st.rindex(")")],
                    int(rest[1]), int(rest[2]), int(rest[3]))
    return out


def wait_tree(n, timeout):
    """Wait until n processes carry the tag and all of them are sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        reap()
        t = tagged_info()
        if len(t) >= n and all(v[1] == "sleep" for v in t.values()):
            return t
        if time.monotonic() > deadline:
            raise RuntimeError("process tree: %d of %d processes up after %ds"
                               % (len(t), n, timeout))
        time.sleep(0.1)


def kill_by_pidfd(fds, timeout=10):
    """SIGKILL every process of {fd: pid} through its pidfd (never a recycled
    PID), wait for them to exit, close the fds."""
    for fd in fds:
        try:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        except ProcessLookupError:
            pass
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    left = set(fds)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        for fd, _ in poller.poll(100):
            left.discard(fd)
            poller.unregister(fd)
    for fd in fds:
        os.close(fd)
    reap()
    return len(left)


def stop_and_watch(procs, argv, errfile):
    """Run the stop command; watch every process of the tree exit through
    a pidfd each. Returns a dict of results, and the pidfds still live."""
    fds = {}
    for pid, v in procs.items():
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue
        if alive(pid, v[0]):
            fds[fd] = pid
        else:
            os.close(fd)
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    live = set(fds)
    try:
        with open(errfile, "w") as err:
            t0 = time.monotonic_ns()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=err)
    except OSError:
        for fd in fds:     # what is left is killed by its tag
            os.close(fd)
        raise
    pfd = os.pidfd_open(p.pid)   # not reaped until p.wait(): cannot be missed
    poller.register(pfd, select.POLLIN)
    t_ret = t_last = None
    cmd_deadline = t0 + 120 * 10**9
    while True:
        now = time.monotonic_ns()
        if t_ret is None:
            if now >= cmd_deadline:
                p.kill()
                poller.unregister(pfd)
                t_ret = now
                notes.append("%s did not return within 120 s (killed)" % " ".join(argv[:2]))
                continue
            wait_ns = cmd_deadline - now
        else:
            # Survivors are counted TREE_SETTLE seconds after the stop returned.
            if now >= t_ret + TREE_SETTLE * 10**9:
                break
            wait_ns = t_ret + TREE_SETTLE * 10**9 - now
        for fd, _ in poller.poll(max(1, wait_ns // 10**6)):
            t = time.monotonic_ns()
            poller.unregister(fd)
            if fd == pfd:
                t_ret = t
            else:
                live.discard(fd)
                t_last = t
    rc = p.wait()
    os.close(pfd)
    for fd in set(fds) - live:
        os.close(fd)
    return {"n": len(fds), "ret": t_ret - t0, "last": None if t_last is None else t_last - t0,
            "left": len(live), "rc": rc}, {fd: fds[fd] for fd in live}


def measure_tree(sv, key="tree", **kw):
    """Start sv with one program that builds a TREE-process tree; stop it
    with the supervisor's own command; time until the tree is empty and count
    what survives. Survivors are then killed by pidfd."""
    dm = sv.tree_start(TREE, 60, **kw)
    live = {}
    try:
        if dm.ready_ns is None:
            tail = dm.log_tail()
            raise RuntimeError("the tree program did not come up within 60s%s"
                               % (("; log: " + tail) if tail else ""))
        t = time.monotonic()
        procs = wait_tree(TREE, 60)
        log("%s: %d-process tree up in %.1fs after the program started; stop ..."
            % (sv.name, len(procs), time.monotonic() - t))
        # The main process is the parent of most of the tree.
        parents = {}
        for v in procs.values():
            if v[2] in procs:
                parents[v[2]] = parents.get(v[2], 0) + 1
        main = max(parents, key=parents.get) if parents else None
        res, live = stop_and_watch(procs, sv.tree_stop_argv(),
                                   os.path.join(os.path.dirname(dm.logfile), "stop.err"))
        if res["rc"] != 0:
            try:
                with open(os.path.join(os.path.dirname(dm.logfile), "stop.err")) as f:
                    msg = f.read().strip().replace("\n", " / ")[:200]
            except OSError:
                msg = ""
            argv = sv.tree_stop_argv()
            notes.append("%s: `%s ... %s` exited with status %d%s" % (
                sv.name, os.path.basename(argv[0]), " ".join(argv[-2:]), res["rc"],
                (": " + msg) if msg else ""))
        # Who survived: in the main process's group, in its session, or out of both.
        if main is not None:
            mg, ms = procs[main][3], procs[main][4]
            kinds = {"group": 0, "pgrp": 0, "session": 0}
            for pid in live.values():
                g, se = procs[pid][3], procs[pid][4]
                kinds["group" if g == mg else "pgrp" if se == ms else "session"] += 1
            res["kinds"] = kinds
        # A supervisor that restarted the program despite the stop.
        again = [p for p in tagged_info() if p not in procs]
        res["new"] = len(again)
        R[(sv.name, key)] = res
        log("%s: stop returned after %.0f ms; %s; %d of %d survived %ds later%s"
            % (sv.name, res["ret"] / 1e6,
               ("tree empty after %.0f ms" % (res["last"] / 1e6)) if not res["left"] else
               "last exit after %s" % (("%.0f ms" % (res["last"] / 1e6))
                                        if res["last"] is not None else "-"),
               res["left"], res["n"], TREE_SETTLE,
               (" (+%d new tagged processes)" % len(again)) if again else ""))
    finally:
        if live:
            log("%s: killing %d survivors by pidfd" % (sv.name, len(live)))
            stuck = kill_by_pidfd(list(live))
            if stuck:
                problems.append("%s: %d survivors of the tree did not die of SIGKILL"
                                % (sv.name, stuck))
        t1 = time.monotonic()
        sv.stop(dm)
        log("%s: stopped (%.1fs)" % (sv.name, time.monotonic() - t1))
        d = os.path.dirname(dm.logfile)
        if d in tempdirs:
            shutil.rmtree(d, ignore_errors=True)
            tempdirs.remove(d)
        left = kill_tagged()
        if left:
            notes.append("%s: %d tagged processes left after the tree measurement (killed by pid)"
                         % (sv.name, len(left)))


def run_all():
    log("tag: sleep %s; %d CPUs; baselines ..." % (TAG, os.cpu_count() or 0))
    rounds = [int(x) for x in tool("spawnloop", 7, 100, "/bin/true").split()]
    rounds.sort()
    R["base_spawn"] = rounds[len(rounds) // 2] / 1e6
    med, p99, _ = latency(["/bin/true"])[0]
    R["base_lat"] = (med, p99)
    log("100 x posix_spawn+wait /bin/true: %.1f ms; fork+exec+wait /bin/true: "
        "median %.0f us, p99 %.0f us" % (R["base_spawn"], med / 1e3, p99 / 1e3))

    for sv in (Corral(), Supervisord(), S6(), Runit()):
        if ONLY and sv.name not in ONLY:
            R[(sv.name, "skip")] = "not selected (BENCH_ONLY)"
            continue
        why = sv.available()
        if why:
            R[(sv.name, "skip")] = why
            log("%s: skipped: %s" % (sv.name, why))
            problems.append("%s: %s" % (sv.name, why))
            continue
        try:
            measure_all(sv)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            log("%s: %s" % (sv.name, e))
            problems.append("%s: %s" % (sv.name, e))
        for key, kw in ([("tree", {})] + ([("tree_default", {"keys": []})]
                                          if sv.name == "corral" else [])) if TREE else []:
            try:
                measure_tree(sv, key, **kw)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                log("%s: process tree: %s" % (sv.name, e))
                R[(sv.name, key + "_fail")] = str(e)
                problems.append("%s: process tree: %s" % (sv.name, e))
        left = kill_tagged()
        if left:
            problems.append("%s: %d tagged sleep processes left behind (killed)"
                            % (sv.name, len(left)))


def measure_all(sv):
    """100 programs (start-up rounds, PSS, status, idle), then bigger sizes."""
    if not measure(sv, 100, ROUNDS, True, 60):
        return
    sizes = [1000]
    if BIG[sv.name] > 1000:
        sizes.append(BIG[sv.name])
    elif BIG[sv.name] < 1000:
        sizes = [BIG[sv.name]] if BIG[sv.name] > 100 else []
    for n in sizes:
        if measure(sv, n, 1, False, 300):
            continue
        fds = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        smaller = (fds - 256) // 3 // 1000 * 1000
        if sv.name == "corral" and n > 1000 and 3 * n + 256 > fds and smaller > 1000:
            # ~3 fds per program: the largest size this fd limit allows.
            notes.append("corral with %d programs failed and the fd limit is %d "
                         "(cannot be raised here); measured %d programs instead"
                         % (n, fds, smaller))
            measure(sv, smaller, 1, False, 300)
        elif sv.name == "corral":
            problems.append("corral with %d programs: %s" % (n, R[(sv.name, "fail%d" % n)]))
        break


# ------------------------------------------------------------------ report

def mib(kib):
    return "%.2f MiB" % (kib / 1024) if kib < 100 * 1024 else "%.0f MiB" % (kib / 1024)


def fmt_ratio(x):
    if x is None:
        return "-"
    return "%.2fx" % x if x < 10 else "%.0fx" % x


def cell(name, key, fmt):
    if (name, key) in R:
        return fmt(R[(name, key)])
    if (name, "skip") in R:
        return "skipped"
    if (name, "fail" + key.lstrip("abcdefghijklmnopqrstuvwxyz")) in R:
        return "failed"
    return "-"


def report():
    W = [34, 14, 14, 14, 14, 13, 22]
    rows = []

    def row(*cols):
        rows.append(" | ".join(str(c).ljust(w) for c, w in zip(cols, W)).rstrip())

    def sep():
        rows.append("-+-".join("-" * w for w in W))

    verdicts = []

    def verdict(ok, text):
        v = ("MET" if ok else "MISSED") + " " + text
        return v

    print()
    print("corral benchmark (workers: sleep %s; %d CPUs; %s)"
          % (TAG, os.cpu_count() or 0, os.uname().release))
    print("baseline A: 100 serial posix_spawn+wait of /bin/true = %.1f ms (median of 7)"
          % R["base_spawn"])
    print("baseline B: fork+exec+wait of /bin/true = median %.0f us, p99 %.0f us (%d calls;"
          " the status ratios use the /bin/true calls interleaved with each client's)"
          % (R["base_lat"][0] / 1e3, R["base_lat"][1] / 1e3, CALLS))
    print("ratio rows: 'x corral' = that supervisor's figure / corral's;"
          " 'x base' = figure / baseline")
    print()
    row("figure", "corral", "supervisord", "s6", "runit", "target", "ratio/verdict")
    sep()

    # 1. memory
    sizes = sorted({int(k[1][3:]) for k in R if isinstance(k, tuple) and k[1].startswith("pss")})
    for n in sizes:
        label = "PSS, %d programs" % n
        row(label, *[cell(s, "pss%d" % n, mib) for s in SUPERVISORS],
            *memory_target(n, verdicts))
        c = R.get(("corral", "pss%d" % n))
        if c:
            row("  ... x corral", "1",
                *[fmt_ratio(R[(s, "pss%d" % n)] / c) if (s, "pss%d" % n) in R else ""
                  for s in SUPERVISORS[1:]], "", "")
        procs = [("%d" % R[(s, "procs%d" % n)]) if (s, "procs%d" % n) in R else ""
                 for s in SUPERVISORS]
        row("  ... processes measured", *procs)
    sep()

    # 2. start-up
    base = R["base_spawn"]
    c = R.get(("corral", "start100"))
    tgt = ["<= 1.3x base", ""]
    if c is not None:
        tgt[1] = verdict(c / base <= 1.3, "%.2fx base" % (c / base))
        verdicts.append(("start to all RUNNING, 100 programs <= 1.3 x baseline A",
                         c / base <= 1.3, "%.1f ms = %.2fx" % (c, c / base)))
    else:
        verdicts.append(("start to all RUNNING, 100 programs <= 1.3 x baseline A", False,
                         "not measured"))
    row("start -> all up, 100 (ms)",
        *[cell(s, "start100", lambda v: "%.1f ms" % v) for s in SUPERVISORS], *tgt)
    row("  ... x base (A = %.1f ms)" % base,
        *[fmt_ratio(R[(s, "start100")] / base) if (s, "start100") in R else ""
          for s in SUPERVISORS])
    if c:
        row("  ... x corral", "1",
            *[fmt_ratio(R[(s, "start100")] / c) if (s, "start100") in R else ""
              for s in SUPERVISORS[1:]])
    for n in sizes:
        if n == 100:
            continue
        if any((s, "start%d" % n) in R for s in SUPERVISORS):
            row("start -> all up, %d (s)" % n,
                *[cell(s, "start%d" % n, lambda v: "%.2f s" % (v / 1e3)) for s in SUPERVISORS],
                "(info)")
    sep()

    # 3. status round trip

    def lat(i):
        return lambda v: "%.0f us" % (v[i] / 1e3)
    c = R.get(("corral", "lat"))
    tgt = ["<= 1.2x base", ""]
    if c:
        b = R[("corral", "latbase")][0]
        ok = c[0] / b <= 1.2
        tgt[1] = verdict(ok, "%.2fx base" % (c[0] / b))
        verdicts.append(("status NAME median <= 1.2 x fork+exec /bin/true", ok,
                         "%.0f us vs %.0f us = %.2fx" % (c[0] / 1e3, b / 1e3, c[0] / b)))
    else:
        verdicts.append(("status NAME median <= 1.2 x fork+exec /bin/true", False,
                         "not measured"))
    def ratio(s, i):
        if (s, "lat") not in R:
            return ""
        return fmt_ratio(R[(s, "lat")][i] / R[(s, "latbase")][i])
    row("status NAME, median", *[cell(s, "lat", lat(0)) for s in SUPERVISORS], *tgt)
    row("  ... /bin/true, interleaved", *[cell(s, "latbase", lat(0)) for s in SUPERVISORS])
    row("  ... x base", *[ratio(s, 0) for s in SUPERVISORS])
    row("status NAME, p99", *[cell(s, "lat", lat(1)) for s in SUPERVISORS], "(info)")
    row("  ... /bin/true p99, interleaved", *[cell(s, "latbase", lat(1)) for s in SUPERVISORS])
    row("  ... x base p99", *[ratio(s, 1) for s in SUPERVISORS])
    row("  ... command", "corralctl", "supervisorctl", "s6-svstat", "sv status")
    if ("corral", "latextra") in R:
        v = R[("corral", "latextra")]
        b = R[("corral", "latbase")]
        row("corralctl --version (no daemon)", "%.0f us" % (v[0] / 1e3), "", "", "",
            "(info)", "%.2fx base" % (v[0] / b[0]))
    sep()

    # 4. idle system calls
    c = R.get(("corral", "idle"))
    tgt = ["0", ""]
    if c and c[0] is not None:
        tgt[1] = verdict(c[0] == 0, "%d calls" % c[0])
        verdicts.append(("no system calls when idle (%ds, 100 programs)" % IDLE, c[0] == 0,
                         "%d calls" % c[0] + ((" (" + c[1] + ")") if c[1] else "")))
    else:
        verdicts.append(("no system calls when idle", False, "not measured"))
    row("syscalls, %ds idle, 100 progs" % IDLE,
        *[cell(s, "idle", lambda v: "-" if v[0] is None else str(v[0])) for s in SUPERVISORS],
        *tgt)
    row("  ... processes traced",
        *[cell(s, "idle", lambda v: "%d" % v[2]) for s in SUPERVISORS])
    for s in SUPERVISORS:
        v = R.get((s, "idle"))
        if v and v[1]:
            notes.append("%s idle system calls: %s" % (s, v[1]))

    # 5. stopping a process tree
    if TREE:
        sep()
        tree_rows(row, verdicts)
    print("\n".join(rows))

    print()
    for s in SUPERVISORS:
        if (s, "skip") in R:
            print("note: %s skipped: %s" % (s, R[(s, "skip")]))
        for k, v in sorted((k, v) for k, v in R.items()
                           if isinstance(k, tuple) and k[0] == s and k[1].startswith("fail")):
            print("note: %s with %s programs: %s" % (s, k[1][4:], v))
    if BIG["runit"] < 10000 and ("runit", "skip") not in R:
        print("note: runit measured up to %d programs: runsvdir supervises at most 1000"
              % BIG["runit"])
    if BIG["supervisord"] < 10000 and ("supervisord", "skip") not in R:
        print("note: supervisord measured up to %d programs (10,000 would take too long)"
              % BIG["supervisord"])
    if ("runit", "start100") in R:
        print("note: runsvdir first scans its directory about 1 s after it starts; that "
              "second is part of runit's start-up figure")
    for s in SUPERVISORS:
        times = R.get((s, "starts100"))
        if times and len(times) > 1:
            print("note: %s start-up at 100, each round: %s ms"
                  % (s, ", ".join("%.1f" % t for t in times)))
    print("note: PSS = sum of Pss in /proc/PID/smaps_rollup: corrald alone; supervisord "
          "alone; s6-svscan + every s6-supervise; runsvdir + every runsv (workers excluded)")
    print("note: start = fork of the supervisor until its own status says all up, polled "
          "every 0.5 ms (corral: control protocol `status` answers 0; s6: pid in every "
          "supervise/status; runit: 'run' in every supervise/stat) or 5 ms (supervisord: "
          "XML-RPC getAllProcessInfo all RUNNING); median of %d rounds" % ROUNDS)
    print("note: idle = completed system calls seen by strace -f -p over %ds of every "
          "process listed under PSS (the wait in progress at attach is not counted)" % IDLE)
    scope_note()
    for n in notes:
        print("note: " + n)
    print_summary(verdicts, problems, "benchmark", time.monotonic() - T_START)


def scope_note():
    mnt = cgroup2_mount()
    if not mnt:
        notes.append("no cgroup2 mount: corral ran without cgroup scopes")
        return
    left = [sc for sc in scopes_seen if os.path.isdir(sc)]
    try:
        others = [os.path.join(mnt, d) for d in os.listdir(mnt) if d.startswith("corral-")
                  and os.path.join(mnt, d) not in scopes_seen]
    except OSError:
        others = []
    # Another corrald's scope is in use: its guard names it, or it holds processes.
    guarded = set()
    if others:
        for pid in all_pids():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    argv = f.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if "--guard" in argv[:-1]:
                guarded.add(argv[argv.index("--guard") + 1])
    stale = [o for o in others if o not in guarded and not scope_procs(o)]
    notes.append("cgroups: %d corrald run(s) used %d scope cgroup(s) under %s; %s%s%s"
                 % (R.get("corral_runs", 0), len(scopes_seen), mnt,
                    ("%d still there: %s" % (len(left), ", ".join(left))) if left else
                    "every one removed by corrald at its exit",
                    ("; %d other corral-* cgroup(s) there belong to other corrald processes "
                     "running on this machine" % (len(others) - len(stale))) if len(others) >
                    len(stale) else "",
                    ("; %d other corral-* cgroup(s) there, empty and with no corrald guarding "
                     "them, are not among this run's scopes: %s" % (len(stale), ", ".join(stale)))
                    if stale else ""))


def ms(ns):
    if ns is None:
        return "-"
    return "%.1f ms" % (ns / 1e6) if ns < 100e6 else "%.0f ms" % (ns / 1e6)


def tree_rows(row, verdicts):
    def tcell(s, key, f):
        if (s, key) in R:
            return f(R[(s, key)])
        if (s, "skip") in R:
            return "skipped"
        if (s, key + "_fail") in R:
            return "failed"
        return "-"

    def cells(f, key="tree"):
        return [tcell(s, key, f) for s in SUPERVISORS]

    def kind(k):
        return lambda v: str(v["kinds"][k]) if "kinds" in v else "-"

    row("stop -> tree empty, %d procs" % TREE,
        *cells(lambda v: ms(v["last"]) if not v["left"] else "never"), "(info)")
    row("  ... stop command returned", *cells(lambda v: ms(v["ret"])))
    row("  ... last process exit seen", *cells(lambda v: ms(v["last"])))
    c = R.get(("corral", "tree"))
    text = "no survivors of a %d-process tree after corralctl stop" % TREE
    tgt = ["0", "not measured"]
    if c:
        ok = c["left"] == 0 and c["new"] == 0
        tgt[1] = verdict_text(ok, "%d left" % c["left"])
        verdicts.append((text, ok, "%d survivors of %d; tree empty %s after the stop was "
                         "issued, corralctl returned after %s"
                         % (c["left"], c["n"], ms(c["last"]), ms(c["ret"]))))
    else:
        verdicts.append((text, False, "not measured"))
    row("survivors, %ds after stop returned" % TREE_SETTLE, *cells(lambda v: str(v["left"])),
        *tgt)
    row("  ... in the main's process group", *cells(kind("group")))
    row("  ... own pgrp, main's session", *cells(kind("pgrp")))
    row("  ... own session (setsid)", *cells(kind("session")))
    row("  ... stop command", "corralctl stop", "supervisorctl", "s6-svc -wd -d", "sv down")
    if ("corral", "tree_default") in R or ("corral", "tree_default_fail") in R:
        v = R.get(("corral", "tree_default"))
        row("corral, stopasgroup = false", (ms(v["last"]) if not v["left"] else "never")
            if v else "failed", "", "", "", "(info)",
            ("%d survivors" % v["left"]) if v else "")
    for s in SUPERVISORS:
        v = R.get((s, "tree"))
        if v and v["new"]:
            notes.append("%s started %d new tagged processes after the stop (restarted "
                         "the program?)" % (s, v["new"]))
    sh = tree_shares(TREE)
    notes.append("tree: one program running bench/tree.py, %d sleeps: the main process, %d "
                 "plain children, %d children in process groups of their own, %d double-"
                 "forked setsid'd grandchildren (sessions of 10), %d chains %d deep; "
                 "corral and supervisord with %s; s6-svc and sv signal the main process only"
                 % (TREE, sh["plain"], sh["setpgid"], sh["setsid"], sh["chains"], sh["depth"],
                    ", ".join(TREE_KEYS)))
    notes.append("tree times: from just before the stop command is forked until the last "
                 "process of the tree exits (a pidfd per process, polled); survivors: "
                 "processes of the tree alive %ds after the stop command returned, then "
                 "killed by pidfd" % TREE_SETTLE)


def verdict_text(ok, text):
    return ("MET " if ok else "MISSED ") + text


def tree_shares(n):
    import importlib.util
    spec = importlib.util.spec_from_file_location("corral_bench_tree",
                                                  os.path.join(ROOT, "bench", "tree.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.shares(n)


def memory_target(n, verdicts):
    limits = {100: 1.5, 10000: 32}
    if n not in limits:
        return ["", ""]
    v = R.get(("corral", "pss%d" % n))
    text = "PSS of corrald, %d programs <= %g MiB" % (n, limits[n])
    if v is None:
        verdicts.append((text, False, "not measured"))
        return ["<= %g MiB" % limits[n], "not measured"]
    ok = v / 1024 <= limits[n]
    verdicts.append((text, ok, mib(v)))
    return ["<= %g MiB" % limits[n], ("MET " if ok else "MISSED ") + mib(v)]


# -------------------------------------------------------------------- main

def on_signal(signum, frame):
    raise KeyboardInterrupt


def prepare():
    """Subreaper, signals and limits for a run (also used by bench/sweep.py)."""
    set_subreaper()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    # corrald needs ~3 fds per program; workers inherit this too.
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        notes.append("the fd limit cannot be raised to 65536 here (hard limit %d, "
                     "even for root); every supervisor ran with %d" % (hard, hard))
    # The process tree: TREE sleeps at once, beside the 10,000 workers of
    # the big start-up rounds (root is not held to it, but others may be).
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    want = 4 * TREE + 20000
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (
                hard if hard == resource.RLIM_INFINITY or hard < want else want, hard))
        except (ValueError, OSError):
            notes.append("ulimit -u is %d and cannot be raised" % soft)


def cleanup():
    """Stop whatever is still running, by PID, and remove the temporary
    directories (also used by bench/sweep.py)."""
    for d in list(running):   # only after an interruption or a failure
        procs = d.tree()
        kill_if_same(d.pid, d.start_st, signal.SIGTERM)
        if not d.wait_exit(20):
            kill_if_same(d.pid, d.start_st)
            d.wait_exit(10)
        for pid, (stt, _) in wait_gone(procs, 10).items():
            kill_if_same(pid, stt)
    # As a subreaper we inherit the orphans of whatever died: anything
    # still under us now was started by this run.
    for pid, (stt, comm) in descendants(os.getpid()).items():
        if comm not in ("strace",):
            kill_if_same(pid, stt)
    reap()
    # Anything still carrying our tag is ours: kill it by PID.
    left = kill_tagged()
    if left:
        left2 = tagged()
        problems.append("%d tagged sleep processes were still running at the end "
                        "(killed by pid%s)" % (len(left), "; %d survive" % len(left2)
                                               if left2 else ""))
    for d in tempdirs:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if not TOOL or not os.access(TOOL, os.X_OK):
        print("usage: bench.py BUILD BENCHTOOL", file=sys.stderr)
        return 2
    prepare()
    interrupted = False
    try:
        run_all()
    except KeyboardInterrupt:
        interrupted = True
        problems.append("interrupted")
    finally:
        cleanup()
    if not interrupted and "base_spawn" in R:
        report()
    elif problems:
        for p in problems:
            print("could not run: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
