#!/usr/bin/python3
"""Deploys that drop no request: a rolling restart under load.

    python3 bench/rollbench.py [BUILD]

For each N in BENCH_ROLL_NS (4 16): N instances of a small HTTP server
(python, this file's SERVER) behind one port, and a client loop of
BENCH_ROLL_CLIENTS threads (4) sending requests, each on a new connection,
with a BENCH_ROLL_TIMEOUT (5 s) limit. A new server waits
BENCH_ROLL_WARMUP seconds (0.5) before it serves, as an application warms
up. Measured, each over its own window:

  corral steady     BENCH_ROLL_STEADY seconds (3) of load, nothing restarted
  corral rolling    `corralctl restart --rolling web` (instances behind one
                    [socket:], ready = notify after the warm-up)
  corral restart    `corralctl restart web` (all stopped, then all started)
  corral reload     a deploy: the config gets a new environment and
                    update_strategy = rolling, then `corralctl reload`, which
                    rolls the instances to it and returns when done
  supervisord steady / restart
                    Debian's supervisord, the same program (numprocs = N,
                    startsecs = 1 for the warm-up; each instance binds the
                    port itself with SO_REUSEPORT, as supervisord hands no
                    socket), `supervisorctl restart web:*`, which stops every
                    instance, then starts them all; and the same deploy,
                    a new environment then `supervisorctl update`.

Each row: the requests answered per second over the window, their p50 and
p99 latency, and the requests that failed (refused, reset, timed out). The
window of a restart is from the command's start until it returns. A
benchmark, not a test: exit status 1 only when something could not run.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import env_int  # noqa: E402

ROOT = os.path.dirname(HERE)
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
CORRALD = os.path.join(ROOT, BUILD, "corrald")
CORRALCTL = os.path.join(ROOT, BUILD, "corralctl")
SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"
NS = [int(x) for x in os.environ.get("BENCH_ROLL_NS", "4 16").split()]
CLIENTS = env_int("BENCH_ROLL_CLIENTS", 4)
STEADY = float(os.environ.get("BENCH_ROLL_STEADY", "3"))
WARMUP = float(os.environ.get("BENCH_ROLL_WARMUP", "0.5"))
TIMEOUT = float(os.environ.get("BENCH_ROLL_TIMEOUT", "5"))

# Serves "pid\n" to each request. Its socket: fd 3 (LISTEN_FDS) or, given
# a port, its own SO_REUSEPORT one. Says READY=1 on $NOTIFY_SOCKET after
# the warm-up; on SIGTERM it answers what it took and exits.
SERVER = r'''
import os, select, signal, socket, sys, time
pid = os.getpid()
time.sleep(float(sys.argv[1]))
if os.environ.get("LISTEN_FDS"):
    ls = socket.socket(fileno=3)
else:
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    ls.bind(("127.0.0.1", int(sys.argv[2])))
    ls.listen(128)
stop = False
def on_term(sig, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
if os.environ.get("NOTIFY_SOCKET"):
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
ls.setblocking(False)
while not stop:
    if not select.select([ls], [], [], 0.2)[0]:
        continue
    try:
        c, _ = ls.accept()
    except BlockingIOError:
        continue
    try:
        c.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        body = b"%d\n" % pid
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass
    finally:
        c.close()
'''


def free_port():
    for port in range(24000, 32000, 7):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port + os.getpid() % 7))
            return port + os.getpid() % 7
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


class Load:
    """CLIENTS threads, each a request at a time; every result kept as
    (end time, latency, ok)."""

    def __init__(self, port):
        self.port = port
        self.results = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(CLIENTS)]

    def one(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data.startswith(b"HTTP/1.0 200 ")

    def loop(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                ok = self.one()
            except OSError:
                ok = False
            t1 = time.monotonic()
            with self.lock:
                self.results.append((t1, t1 - t0, ok))
            if not ok:
                time.sleep(0.01)  # a refused port would spin

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(TIMEOUT + 5)

    def window(self, t0, t1):
        with self.lock:
            rs = [r for r in self.results if t0 <= r[0] <= t1]
        ok = sorted(r[1] for r in rs if r[2])
        def pct(q):
            return ok[min(len(ok) - 1, int(q * len(ok)))] * 1000 if ok else float("nan")
        return {"rate": len(ok) / (t1 - t0) if t1 > t0 else 0, "p50": pct(0.5),
                "p99": pct(0.99), "failed": sum(1 for r in rs if not r[2]), "secs": t1 - t0}


def wait_for(pred, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for %s" % what)
        time.sleep(0.1)


def measure(load, action):
    """The window of ACTION (None: STEADY seconds of nothing)."""
    t0 = time.monotonic()
    if action is None:
        time.sleep(STEADY)
    else:
        r = action()
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(r.args[-3:]), (r.stdout + r.stderr).strip()[:300]))
    t1 = time.monotonic()
    time.sleep(0.2)
    return load.window(t0, t1)


def stop_daemon(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def run_corral(n, d):
    port = free_port()
    sock = os.path.join(d, "corral.sock")

    def write_config(extra=""):
        with open(os.path.join(d, "corral.conf"), "w") as f:
            f.write("[corral]\nsocket = %s\nlogdir = %s\n\n"
                    "[socket:http]\nlisten = tcp:127.0.0.1:%d\nprogram = web\nbacklog = 1024\n\n"
                    "[program:web]\ncommand = %s %s/server.py %s\nnumprocs = %d\n"
                    "process_name = %%(program_name)s_%%(process_num)d\nready = notify\n"
                    "stopwaitsecs = 10\nstdout_logfile = NONE\nstderr_logfile = NONE\n%s"
                    % (sock, d, port, sys.executable, d, WARMUP, n, extra))
    write_config()
    log = open(os.path.join(d, "corrald.log"), "w")
    p = subprocess.Popen([CORRALD, "-n", "-c", os.path.join(d, "corral.conf")], stdout=log,
                         stderr=log, start_new_session=True)

    def ctl(*args):
        return subprocess.run([CORRALCTL, "-s", sock] + list(args), capture_output=True,
                              text=True, timeout=600)
    rows = []
    try:
        wait_for(lambda: ctl("status").stdout.count(" RUNNING ") == n, "corral's %d instances" % n)
        with Load(port) as load:
            time.sleep(0.5)
            rows.append(("corral", "steady", measure(load, None)))
            rows.append(("corral", "restart --rolling", measure(load, lambda: ctl("restart", "--rolling", "web"))))
            time.sleep(0.5)
            rows.append(("corral", "restart", measure(load, lambda: ctl("restart", "web"))))
            time.sleep(0.5)
            # a deploy: a new environment, under update_strategy = rolling
            write_config("update_strategy = rolling\nenvironment = RELEASE=2\n")
            rows.append(("corral", "reload (rolling update)", measure(load, lambda: ctl("reload"))))
    finally:
        stop_daemon(p)
        log.close()
    return rows


def run_supervisord(n, d):
    port = free_port()
    conf = os.path.join(d, "supervisord.conf")

    def write_config(extra=""):
        with open(conf, "w") as f:
            f.write("[unix_http_server]\nfile = %s/sv.sock\n\n[supervisord]\nnodaemon = true\n"
                    "logfile = %s/supervisord.log\npidfile = %s/supervisord.pid\n"
                    "childlogdir = %s\n\n"
                    "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                    "supervisor.rpcinterface:make_main_rpcinterface\n\n"
                    "[supervisorctl]\nserverurl = unix://%s/sv.sock\n\n"
                    "[program:web]\ncommand = %s %s/server.py %s %d\nnumprocs = %d\n"
                    "process_name = %%(program_name)s_%%(process_num)d\nstartsecs = 1\n"
                    "stopwaitsecs = 10\nstdout_logfile = NONE\nstderr_logfile = NONE\n%s"
                    % (d, d, d, d, d, sys.executable, d, WARMUP, port, n, extra))
    write_config()
    log = open(os.path.join(d, "supervisord.out"), "w")
    p = subprocess.Popen([SUPERVISORD, "-n", "-c", conf], stdout=log, stderr=log,
                         start_new_session=True)

    def ctl(*args):
        return subprocess.run([SUPERVISORCTL, "-c", conf] + list(args), capture_output=True,
                              text=True, timeout=600)
    rows = []
    try:
        wait_for(lambda: ctl("status").stdout.count(" RUNNING ") == n,
                 "supervisord's %d instances" % n)
        with Load(port) as load:
            time.sleep(0.5)
            rows.append(("supervisord", "steady", measure(load, None)))
            rows.append(("supervisord", "supervisorctl restart", measure(load, lambda: ctl("restart", "web:*"))))
            time.sleep(0.5)
            # the same deploy: supervisorctl update stops the group, then starts it
            write_config("environment = RELEASE=2\n")
            rows.append(("supervisord", "supervisorctl update", measure(load, lambda: ctl("update"))))
    finally:
        stop_daemon(p)
        log.close()
    return rows


def main():
    for b in (CORRALD, CORRALCTL):
        if not os.access(b, os.X_OK):
            print("roll bench: %s not built" % b)
            return 1
    print("rolling restarts under load: %d clients, a new connection per request, "
          "warm-up %.1f s, request timeout %.0f s" % (CLIENTS, WARMUP, TIMEOUT))
    print("%-4s %-12s %-24s %8s %9s %9s %7s %7s" % ("N", "supervisor", "window", "req/s",
                                                     "p50 ms", "p99 ms", "failed", "secs"))
    failed = False
    for n in NS:
        for name, fn in (("corral", run_corral), ("supervisord", run_supervisord)):
            if name == "supervisord" and not (os.access(SUPERVISORD, os.X_OK) and
                                             os.access(SUPERVISORCTL, os.X_OK)):
                print("%-4d %-12s (not installed)" % (n, name))
                continue
            d = tempfile.mkdtemp(prefix="corral-rollbench-")
            with open(os.path.join(d, "server.py"), "w") as f:
                f.write(SERVER)
            try:
                rows = fn(n, d)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                print("%-4d %-12s failed: %s" % (n, name, e))
                failed = True
                continue
            for sup, what, w in rows:
                print("%-4d %-12s %-24s %8.0f %9.1f %9.1f %7d %7.1f" % (
                    n, sup, what, w["rate"], w["p50"], w["p99"], w["failed"], w["secs"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
