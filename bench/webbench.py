#!/usr/bin/python3
"""The operator's view at scale: corrald's web page and /metrics beside
supervisord's web page, for the same programs, in one run.

Run by bench/run.sh (`make bench`):

    python3 bench/webbench.py BUILD

One config of PROGRAMS sleeping programs with an [inet_http_server] on
loopback runs under corrald and under Debian's supervisord, each in its own
temporary directory, started and stopped by PID. Each request is a new
connection, as a browser's refresh or a Prometheus scrape is. For each
daemon, the median and p99 of:

    GET /           the status page (supervisord's and corrald's)
    GET /metrics    corrald only: the Prometheus text format

and then the system calls each daemon makes while nobody asks anything
for IDLE seconds after the scrapes (strace -c -f -p; corrald's target is
none: nothing is computed between scrapes).

Target (issue 23): GET / and GET /metrics each under 50 ms with 1,000
programs; the last lines say whether they are. Exit status 1 only when
something could not run at all.

Knobs (environment): BENCH_WEB_PROGRAMS (default 1000), BENCH_WEB_CALLS
(default 30), BENCH_WEB_IDLE (seconds, default 5), BENCH_WEB_PORT
(default 18931).
"""
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

from benchlib import env_int

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPERVISORD = "/usr/bin/supervisord"

PROGRAMS = max(1, env_int("BENCH_WEB_PROGRAMS", 1000))
CALLS = max(5, env_int("BENCH_WEB_CALLS", 30))
IDLE = max(1, env_int("BENCH_WEB_IDLE", 5))
PORT = env_int("BENCH_WEB_PORT", 18931)
TARGET_MS = 50.0


def config(tmp, port):
    text = ("[inet_http_server]\nport = 127.0.0.1:%d\nusername = bench\npassword = bench\n\n"
            "[supervisord]\nnodaemon = true\n"
            "logfile = %s/supervisord.log\npidfile = %s/supervisord.pid\nchildlogdir = %s\n"
            "socket = %s/corral.sock\n\n[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            % ((port,) + (tmp,) * 4))
    for i in range(PROGRAMS):
        text += "[program:p%04d]\ncommand = /bin/sleep 100000\nstartsecs = 0\n\n" % i
    return text


AUTH = {"Authorization": "Basic YmVuY2g6YmVuY2g="}  # bench:bench


def get(port, path, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=AUTH)
        r = c.getresponse()
        body = r.read()
        return r.status, body
    finally:
        c.close()


def timed(port, path):
    lat = []
    size = 0
    for _ in range(CALLS):
        t0 = time.perf_counter()
        status, body = get(port, path)
        lat.append(time.perf_counter() - t0)
        if status != 200:
            return None, "HTTP %d" % status
        size = len(body)
    lat.sort()
    return (lat[len(lat) // 2] * 1e3, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
            size), None


def idle_syscalls(pid):
    """System calls of PID (all its threads) over IDLE quiet seconds."""
    if not shutil.which("strace"):
        return None
    out = tempfile.NamedTemporaryFile(prefix="corral-webbench-strace-", delete=False)
    out.close()
    try:
        st = subprocess.Popen(["strace", "-c", "-f", "-o", out.name, "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(IDLE + 0.5)
        st.send_signal(signal.SIGINT)
        st.wait(20)
        with open(out.name) as f:
            text = f.read()
        # strace -c writes nothing at all when no call was made; else a
        # table whose last line is "100.00 SECONDS USECS CALLS [ERRORS] total"
        for line in text.splitlines():
            f = line.split()
            if f and f[-1] == "total" and len(f) >= 5:
                return int(f[3])
        return 0 if not text.strip() else None
    finally:
        os.unlink(out.name)


def measure(name, argv, tmp, port, paths):
    conf = os.path.join(tmp, "bench.conf")
    with open(conf, "w") as f:
        f.write(config(tmp, port))
    log = open(os.path.join(tmp, "daemon.out"), "wb")
    d = subprocess.Popen(argv + ["-c", conf], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        rpc = xmlrpc.client.ServerProxy("http://bench:bench@127.0.0.1:%d/RPC2" % port)
        while True:  # every program up
            try:
                infos = rpc.supervisor.getAllProcessInfo()
                if len(infos) == PROGRAMS and all(i["statename"] == "RUNNING" for i in infos):
                    break
            except (OSError, xmlrpc.client.Error):
                pass
            if time.monotonic() > deadline or d.poll() is not None:
                print("webbench: %s did not show its %d programs running" % (name, PROGRAMS))
                return None
            time.sleep(0.3)
        rows = {}
        for path in paths:
            r, err = timed(port, path)
            if r is None:
                print("webbench: %s GET %s: %s" % (name, path, err))
                return None
            rows[path] = r
        calls = idle_syscalls(d.pid)
        return rows, calls
    finally:
        if d.poll() is None:
            d.send_signal(signal.SIGTERM)
            try:
                d.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(d.pid, signal.SIGKILL)  # its own session: its programs
                d.wait(10)
        log.close()


def fs_of(path):
    """The file system type of PATH as mount says it (ext4, tmpfs ...)."""
    try:
        r = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", path], capture_output=True,
                           text=True)
        return r.stdout.strip() or "?"
    except OSError:
        return "?"


def main():
    build = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
    rows = [("corral", [os.path.join(build, "corrald")], ["/", "/metrics"])]
    if os.access(SUPERVISORD, os.X_OK):
        rows.append(("supervisord", [SUPERVISORD, "-n"], ["/"]))
    else:
        print("webbench: %s is not installed: corral alone" % SUPERVISORD)
    tmpdir = tempfile.gettempdir()
    print("\nWeb page and metrics, %d programs, %d requests each on new connections "
          "(logs on %s, %s)" % (PROGRAMS, CALLS, tmpdir, fs_of(tmpdir)))
    print("%-12s %-10s %12s %12s %12s" % ("", "GET", "median ms", "p99 ms", "bytes"))
    status = 0
    got = {}
    idle = {}
    for name, argv, paths in rows:
        tmp = tempfile.mkdtemp(prefix="corral-webbench-")
        try:
            r = measure(name, argv, tmp, PORT, paths)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if r is None:
            status = 1
            continue
        res, calls = r
        for path in paths:
            med, p99, size = res[path]
            print("%-12s %-10s %12.2f %12.2f %12d" % (name, path, med, p99, size))
            got[(name, path)] = med
        idle[name] = calls
    for path in ("/", "/metrics"):
        if ("corral", path) in got:
            ms = got[("corral", path)]
            print("GET %s with %d programs: corral %.2f ms (target: under %.0f ms, %s)%s"
                  % (path, PROGRAMS, ms, TARGET_MS, "met" if ms < TARGET_MS else "MISSED",
                     "; supervisord %.2f ms" % got[("supervisord", "/")]
                     if path == "/" and ("supervisord", "/") in got else ""))
    for name in idle:
        if idle[name] is None:
            print("idle %s between scrapes: not measured (strace missing or unreadable)" % name)
        elif name == "corral":
            print("idle corrald between scrapes: %d system calls in %d s (target: none, %s)"
                  % (idle[name], IDLE, "met" if idle[name] == 0 else "MISSED"))
        else:
            print("idle %s between scrapes: %d system calls in %d s" % (name, idle[name], IDLE))
    return status


if __name__ == "__main__":
    sys.exit(main())
