#!/usr/bin/python3
"""corral at scale: N programs started, beside N spawns of /bin/true.

    python3 bench/scale.py [BUILD] [N ...]      (default: build 100 1000 10000)

For each N, in one run, SCALE_REPS times (3), interleaved: N serial
posix_spawn+waitpid of /bin/true (the floor), and of `/bin/sleep 0` with
this environment (what a worker execs), then corrald with N programs
(`sleep TAG`, startsecs = 0, no logs), timed until `status` answers that all are RUNNING, with corrald's CPU
seconds at that moment; then, with all N running: `corralctl status` of
one program and of all (median of 5, beside /bin/true), `reload` of the
unchanged config, corrald's PSS, and the time from SIGTERM until corrald
has exited, after which no process may be left in its scope.

A benchmark, not a test: it prints the medians and the ratios to the
floors, wall clock and CPU (corrald's, and the workers' from the scope's
cpu.stat): on a shared machine the CPU figures are the steadier.
Knobs (environment): SCALE_WRAP, a command put before corrald (e.g.
"perf record -g -o /tmp/perf.data" or "strace -c -f -o /tmp/strace.txt");
SCALE_POLL_MS, the status poll interval (default 20 ms); a poll asks for
the status of the last program to start, and of all only once it is up.
It raises RLIMIT_NOFILE to 65536 where it may (corrald holds a pidfd per
program, and raises its own soft limit to the hard one).
"""
import os
import resource
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isdigit() else "build"
NS = [int(a) for a in sys.argv[1:] if a.isdigit()] or [100, 1000, 10000]
CORRALD = os.path.join(ROOT, BUILD, "corrald")
CORRALCTL = os.path.join(ROOT, BUILD, "corralctl")
TAG = "%d.%06d" % (100000 + os.getpid() % 1000, int(time.time() * 1000) % 1000000)
TICK = os.sysconf("SC_CLK_TCK")
REPS = max(1, int(os.environ.get("SCALE_REPS", "3")))


def spawn_floor(n, argv=("/bin/true",), env=None):
    """Seconds for N serial posix_spawn+waitpid of ARGV (/bin/true, with
    an empty environment), and the CPU seconds they took (ours and the
    children's)."""
    argv = list(argv)
    r0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    for _ in range(n):
        pid = os.posix_spawn(argv[0], argv, env or {})
        os.waitpid(pid, 0)
    t = time.monotonic() - t0
    r1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(b - a for a, b in ((r0.ru_utime, r1.ru_utime), (r0.ru_stime, r1.ru_stime),
                                 (c0.ru_utime, c1.ru_utime), (c0.ru_stime, c1.ru_stime)))
    return t, cpu


def scope_cpu_s(scope_dir):
    """CPU seconds of everything in a cgroup v2 directory (cpu.stat is
    there without the cpu controller)."""
    try:
        for line in open(os.path.join(scope_dir, "cpu.stat")):
            if line.startswith("usage_usec"):
                return int(line.split()[1]) / 1e6
    except OSError:
        pass
    return None


def cpu_s(pid):
    """(user, system) CPU seconds of PID so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def pss_mib(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def all_running(sock, *names):
    """The control protocol's status (of NAMES, else of all): result byte 0
    when all are up."""
    payload = b"status\x00" + b"".join(n.encode() + b"\x00" for n in names)
    req = b"CR\x01Q" + len(payload).to_bytes(4, "big") + payload
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(sock)
            s.sendall(req)
            data = b""
            while len(data) < 9:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            # drain the rest so corrald is not held up writing it
            while s.recv(1 << 20):
                pass
            return len(data) >= 9 and data[:2] == b"CR" and data[3:4] == b"A" and data[8] == 0
    except OSError:
        return False


def timed(argv, reps=5):
    """Median seconds of ARGV run REPS times (stdout discarded)."""
    ts = []
    for _ in range(reps):
        t0 = time.monotonic()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.monotonic() - t0)
    return sorted(ts)[len(ts) // 2]


def scope_of(pid):
    try:
        for line in open("/proc/%d/cgroup" % pid):
            if line.startswith("0::"):
                return line[3:].strip()
    except OSError:
        pass
    return None


def cgroup2_mount():
    for line in open("/proc/self/mountinfo"):
        parts = line.split(" - ")
        if len(parts) == 2 and parts[1].startswith("cgroup2 "):
            return parts[0].split()[4]
    return None


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def run(n):
    d = tempfile.mkdtemp(prefix="corral-scale-")
    sock = os.path.join(d, "corral.sock")
    conf = ["[corral]", "socket = %s" % sock, "logdir = %s" % d, ""]
    for i in range(1, n + 1):
        conf += ["[program:p%d]" % i, "command = /bin/sleep %s" % TAG, "startsecs = 0",
                 "stdout_logfile = NONE", "stderr_logfile = NONE", ""]
    cf = os.path.join(d, "corral.conf")
    with open(cf, "w") as f:
        f.write("\n".join(conf))
    poll = int(os.environ.get("SCALE_POLL_MS", 20)) / 1000
    wrap = shlex.split(os.environ.get("SCALE_WRAP", ""))
    log = open(os.path.join(d, "corrald.log"), "w")
    t0 = time.monotonic()
    dm = subprocess.Popen(wrap + [CORRALD, "-n", "-c", cf], stdin=subprocess.DEVNULL,
                          stdout=log, stderr=log)
    ready = None
    polls = 0
    # Programs start in name order: the last name is the last to start. Its
    # status alone first (status of all costs corrald O(N) a poll), then
    # that of all.
    last = sorted("p%d" % i for i in range(1, n + 1))[-1]
    while time.monotonic() - t0 < 600 and dm.poll() is None:
        polls += 1
        if all_running(sock, last) and all_running(sock):
            ready = time.monotonic() - t0
            break
        time.sleep(poll)
    r = {"n": n, "ready": ready, "polls": polls}
    # corrald itself (under a wrapper, the wrapper's child)
    pid = dm.pid
    if wrap:
        out = subprocess.run([CORRALCTL, "-s", sock, "pid"], capture_output=True, text=True)
        pid = int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout.split() else pid
    if ready is None:
        r["error"] = "not all RUNNING (see %s/corrald.log)" % d
    try:
        r["cpu"] = cpu_s(pid)
        kids = children(pid)
        r["scope"] = scope_of(kids[-1]) if kids else None
        mnt = cgroup2_mount()
        if r["scope"] and mnt:
            # the workers' CPU so far, from their start in it: their spawn's
            # child side and their exec (a sleep uses nothing after that)
            r["workers_cpu"] = scope_cpu_s(os.path.dirname(os.path.join(mnt, r["scope"].lstrip("/"))))
        r["pss"] = pss_mib(pid)
        r["status1"] = timed([CORRALCTL, "-s", sock, "status", "p1"])
        r["statusall"] = timed([CORRALCTL, "-s", sock, "status"], 3)
        r["true"] = timed(["/bin/true"])
        t = time.monotonic()
        rc = subprocess.run([CORRALCTL, "-s", sock, "reload"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        r["reload"] = time.monotonic() - t if rc == 0 else None
        r["pss_reload"] = pss_mib(pid)
        r["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    except OSError as e:
        r["error"] = str(e)
    t = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    try:
        dm.wait(timeout=300)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        dm.wait()
        r["error"] = "corrald did not exit within 300 s of SIGTERM"
    r["shutdown"] = time.monotonic() - t
    left = 0
    mnt = cgroup2_mount()
    if r.get("scope") and mnt:
        leaf = os.path.join(mnt, r["scope"].lstrip("/"))
        scope = os.path.dirname(leaf)
        if os.path.isdir(scope):
            for root, dirs, files in os.walk(scope):
                try:
                    left += len(open(os.path.join(root, "cgroup.procs")).read().split())
                except OSError:
                    pass
            r["scope_left"] = scope
    r["left"] = left
    return r


def median(v):
    v = sorted(x for x in v if x is not None)
    return v[len(v) // 2] if v else None


def main():
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print("cores %d, load %s; RLIMIT_NOFILE %s (corrald raises its soft limit to the hard one)"
          % (os.cpu_count(), open("/proc/loadavg").read().split()[:3],
             resource.getrlimit(resource.RLIMIT_NOFILE)))
    sleep0 = ["/bin/sleep", "0"]
    for n in NS:
        # Interleaved, one warm-up floor first: true, sleep, corral, ...
        spawn_floor(min(n, 1000))
        runs, ft, fs = [], [], []
        for _ in range(REPS):
            ft.append(spawn_floor(n))
            fs.append(spawn_floor(n, sleep0, dict(os.environ)))
            runs.append(run(n))
        ft.append(spawn_floor(n))
        floor, fcpu = median(t for t, _ in ft), median(c for _, c in ft)
        sfloor, scpu = median(t for t, _ in fs), median(c for _, c in fs)
        print("N=%d, median of %d interleaved with the floors (load now %s)" % (
            n, REPS, open("/proc/loadavg").read().split()[0]))
        print("  floor: posix_spawn+wait of /bin/true %.2f s (%.3f ms each; runs %s), CPU %.3f ms each"
              % (floor, 1000 * floor / n, " ".join("%.2f" % t for t, _ in ft), 1000 * fcpu / n))
        print("         of /bin/sleep 0, the workers' binary and environment, %.2f s (%.3f ms "
              "each), CPU %.3f ms each" % (sfloor, 1000 * sfloor / n, 1000 * scpu / n))
        ready = median(r.get("ready") for r in runs)
        if ready is not None:
            print("  all RUNNING %.2f s (runs %s) = %.3f ms/program = %.2f x the /bin/true floor, "
                  "%.2f x the sleep floor" % (ready, " ".join(
                      "%.2f" % r["ready"] if r.get("ready") else "-" for r in runs),
                      1000 * ready / n, ready / floor, ready / sfloor))
        cd = median(sum(r["cpu"]) for r in runs if "cpu" in r)
        wc = median(r.get("workers_cpu") for r in runs)
        if cd is not None:
            print("  corrald CPU until then %.2f s = %.3f ms/program (user %.2f, system %.2f)" % (
                cd, 1000 * cd / n, median(r["cpu"][0] for r in runs if "cpu" in r),
                median(r["cpu"][1] for r in runs if "cpu" in r)))
        if cd is not None and wc is not None:
            print("  CPU corrald + workers %.2f s = %.3f ms/program = %.2f x the /bin/true floor's "
                  "CPU, %.2f x the sleep floor's" % (cd + wc, 1000 * (cd + wc) / n,
                                                     (cd + wc) / fcpu, (cd + wc) / scpu))
        for k in ("status1", "statusall", "true", "reload", "shutdown"):
            m = median(r.get(k) for r in runs)
            if m is not None:
                print("  %-9s %.1f ms" % (k, 1000 * m))
        if any("pss" in r for r in runs):
            print("  PSS %.1f MiB, %.1f MiB after the reload; %d fds" % (
                median(r.get("pss") for r in runs), median(r.get("pss_reload") for r in runs),
                median(r.get("fds") for r in runs) or -1))
        print("  left in scope after exit: %s" % " ".join(str(r["left"]) for r in runs))
        for r in runs:
            if r.get("error"):
                print("  ERROR:", r["error"])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
