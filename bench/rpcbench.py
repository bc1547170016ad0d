#!/usr/bin/python3
"""supervisord's XML-RPC interface: corrald beside supervisord itself.

Run by bench/run.sh (`make bench`):

    python3 bench/rpcbench.py BUILD

One config of PROGRAMS sleeping programs with a [unix_http_server] runs
under corrald and under Debian's supervisord, each in its own temporary
directory, started and stopped by PID. For each:

    getAllProcessInfo   median and p99 of the call over one kept-alive
                        connection (what a dashboard or exporter polls)
    supervisorctl       median wall time of `supervisorctl status` (a new
                        Python process each time: mostly its start-up)
    RSS                 the daemon's resident memory (VmRSS) afterwards

Target (the performance issue): getAllProcessInfo with 1,000 programs
ahead of supervisord in the same run; the last line says whether it is.
Exit status 1 only when something could not run at all.

Knobs (environment): BENCH_RPC_PROGRAMS (default 1000), BENCH_RPC_CALLS
(default 100), BENCH_RPC_CTL (default 10).
"""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

from benchlib import env_int

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"


PROGRAMS = max(1, env_int("BENCH_RPC_PROGRAMS", 1000))
CALLS = max(10, env_int("BENCH_RPC_CALLS", 100))
CTL = max(3, env_int("BENCH_RPC_CTL", 10))


def config(tmp):
    text = ("[unix_http_server]\nfile = %s/rpc.sock\n\n[supervisord]\nnodaemon = true\n"
            "logfile = %s/supervisord.log\npidfile = %s/supervisord.pid\nchildlogdir = %s\n"
            "socket = %s/corral.sock\n\n[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            "[supervisorctl]\nserverurl = unix://%s/rpc.sock\n\n" % ((tmp,) * 6))
    for i in range(PROGRAMS):
        text += "[program:p%03d]\ncommand = /bin/sleep 100000\nstartsecs = 0\n\n" % i
    return text


class Unix(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def make_connection(self, host):
        if self._connection[1]:
            return self._connection[1]
        conn = http.client.HTTPConnection("localhost")
        path = self.path

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            conn.sock = s
        conn.connect = connect
        self._connection = host, conn
        return conn


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(name, argv, tmp):
    conf = os.path.join(tmp, "bench.conf")
    with open(conf, "w") as f:
        f.write(config(tmp))
    log = open(os.path.join(tmp, "daemon.out"), "wb")
    d = subprocess.Popen(argv + ["-c", conf], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        sock = os.path.join(tmp, "rpc.sock")
        s = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=Unix(sock))
        deadline = time.monotonic() + 60
        while True:  # every program up
            try:
                infos = s.supervisor.getAllProcessInfo()
                if len(infos) == PROGRAMS and all(i["statename"] == "RUNNING" for i in infos):
                    break
            except (OSError, xmlrpc.client.Error):
                pass
            if time.monotonic() > deadline or d.poll() is not None:
                print("rpcbench: %s did not start its %d programs" % (name, PROGRAMS))
                return None
            time.sleep(0.2)
        lat = []
        for _ in range(CALLS):
            t0 = time.perf_counter()
            s.supervisor.getAllProcessInfo()
            lat.append(time.perf_counter() - t0)
        lat.sort()
        ctl = []
        for _ in range(CTL):
            t0 = time.perf_counter()
            subprocess.run([SUPERVISORCTL, "-c", conf, "status"], capture_output=True)
            ctl.append(time.perf_counter() - t0)
        ctl.sort()
        return (lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3, ctl[len(ctl) // 2] * 1e3,
                rss_kib(d.pid) / 1024.0)
    finally:
        if d.poll() is None:
            d.send_signal(signal.SIGTERM)
            try:
                d.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(d.pid, signal.SIGKILL)  # its own session: its programs
                d.wait(10)
        log.close()


def main():
    build = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
    rows = [("corral", [os.path.join(build, "corrald")])]
    if os.access(SUPERVISORD, os.X_OK):
        rows.append(("supervisord", [SUPERVISORD, "-n"]))
    else:
        print("rpcbench: %s is not installed: corral alone" % SUPERVISORD)
    if not os.access(SUPERVISORCTL, os.X_OK):
        print("rpcbench: %s is not installed (packaging/deps.sh installs it)" % SUPERVISORCTL)
        return 1
    print("\nXML-RPC, %d programs: getAllProcessInfo over one connection (%d calls), "
          "`supervisorctl status` (%d runs)" % (PROGRAMS, CALLS, CTL))
    print("%-12s %12s %12s %16s %10s" % ("", "median ms", "p99 ms", "supervisorctl ms",
                                         "RSS MiB"))
    status = 0
    medians = {}
    for name, argv in rows:
        tmp = tempfile.mkdtemp(prefix="corral-rpcbench-")
        try:
            r = measure(name, argv, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if r is None:
            status = 1
            continue
        print("%-12s %12.2f %12.2f %16.1f %10.1f" % ((name,) + r))
        medians[name] = r[0]
    if "corral" in medians and "supervisord" in medians:
        a, b = medians["corral"], medians["supervisord"]
        print("getAllProcessInfo: corral %.2f ms, supervisord %.2f ms: %s (target: ahead)"
              % (a, b, ("%.1f x faster, met" % (b / a)) if a < b else "not ahead, MISSED"))
    return status


if __name__ == "__main__":
    sys.exit(main())
