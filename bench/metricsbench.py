#!/usr/bin/python3
"""Prometheus metrics: what a scrape of corrald costs with many programs.

Run by bench/run.sh (`make bench`):

    python3 bench/metricsbench.py BUILD

corrald runs PROGRAMS sleeping programs with a [unix_http_server], in a
temporary directory, started and stopped by PID. Once every program is
RUNNING:

    GET /metrics        median and p99 over one kept-alive connection
                        (what Prometheus does every scrape interval), and
                        the size of the answer
    corralctl metrics   median wall time (a new client each time)
    idle turns          corrald's loop turns (corral_loop_iterations_total)
                        between two scrapes 2 s apart, less those of one
                        scrape: 0 when nothing is done between scrapes

Target (issue 23): GET /metrics with 1,000 programs under 50 ms; the last
line says whether it is. Exit status 1 only when something could not run.

Knobs (environment): BENCH_METRICS_PROGRAMS (default 1000),
BENCH_METRICS_CALLS (default 50), BENCH_METRICS_CTL (default 10).
"""
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from benchlib import env_int

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROGRAMS = max(1, env_int("BENCH_METRICS_PROGRAMS", 1000))
CALLS = max(10, env_int("BENCH_METRICS_CALLS", 50))
CTL = max(3, env_int("BENCH_METRICS_CTL", 10))
TARGET_MS = 50.0


def config(tmp):
    text = ("[corral]\nsocket = %s/corral.sock\nlogdir = %s\n\n"
            "[unix_http_server]\nfile = %s/http.sock\n\n" % (tmp, tmp, tmp))
    for i in range(PROGRAMS):
        text += "[program:p%04d]\ncommand = /bin/sleep 100000\nstartsecs = 0\n\n" % i
    return text


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def get(conn):
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise OSError("GET /metrics: %d" % r.status)
    return body.decode()


def turns(text):
    m = re.search(r"^corral_loop_iterations_total (\d+)$", text, re.M)
    return int(m.group(1)) if m else -1


def measure(corrald, corralctl, tmp):
    conf = os.path.join(tmp, "bench.conf")
    with open(conf, "w") as f:
        f.write(config(tmp))
    log = open(os.path.join(tmp, "corrald.out"), "wb")
    d = subprocess.Popen([corrald, "-n", "-c", conf], stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        conn = UnixHTTP(os.path.join(tmp, "http.sock"))
        deadline = time.monotonic() + 120
        while True:  # every program up
            try:
                text = get(conn)
                if len(re.findall(r'^corral_process_up\{.*\} 1$', text, re.M)) == PROGRAMS:
                    break
            except (OSError, http.client.HTTPException):
                conn.close()
            if time.monotonic() > deadline or d.poll() is not None:
                print("metricsbench: corrald did not start its %d programs" % PROGRAMS)
                return None
            time.sleep(0.2)
        lat = []
        for _ in range(CALLS):
            t0 = time.perf_counter()
            text = get(conn)
            lat.append(time.perf_counter() - t0)
        lat.sort()
        # Two scrapes a moment apart: what one scrape turns the loop; then
        # two scrapes 2 s apart: anything more was done between them.
        a = turns(get(conn))
        b = turns(get(conn))
        time.sleep(2)
        c = turns(get(conn))
        idle = (c - b) - (b - a)
        ctl = []
        for _ in range(CTL):
            t0 = time.perf_counter()
            subprocess.run([corralctl, "-s", os.path.join(tmp, "corral.sock"), "metrics"],
                           stdout=subprocess.DEVNULL, check=True)
            ctl.append(time.perf_counter() - t0)
        ctl.sort()
        conn.close()
        return (lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3, len(text) / 1024.0,
                ctl[len(ctl) // 2] * 1e3, idle)
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
    tmp = tempfile.mkdtemp(prefix="corral-metricsbench-")
    try:
        r = measure(os.path.join(build, "corrald"), os.path.join(build, "corralctl"), tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if r is None:
        return 1
    print("\nPrometheus metrics, %d programs: GET /metrics over one connection (%d scrapes), "
          "`corralctl metrics` (%d runs)" % (PROGRAMS, CALLS, CTL))
    print("%12s %12s %12s %16s %12s" % ("median ms", "p99 ms", "KiB", "corralctl ms",
                                        "idle turns"))
    print("%12.2f %12.2f %12.0f %16.1f %12d" % r)
    print("GET /metrics: %.2f ms median: %s (target: under %.0f ms); loop turns between "
          "scrapes: %d (target: 0)" % (r[0], "met" if r[0] < TARGET_MS else "MISSED", TARGET_MS,
                                       r[4]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
