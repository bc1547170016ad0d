#!/usr/bin/python3
"""Health checks at scale: what they cost corrald, and that one that hangs
never delays its loop.

Run by bench/run.sh (`make bench`):

    python3 bench/healthbench.py BUILD

A local server (asyncio, in a process of its own, so that its cost is never
corrald's) answers on 127.0.0.1. PROGRAMS sleeping programs, each with a
healthcheck every second, run under corrald for SECONDS:

    http    healthcheck = http://127.0.0.1:PORT/health (200 at once)
    tcp     healthcheck = tcp:127.0.0.1:PORT (accepted, then closed)

For each, corrald's CPU time (utime + stime of /proc/PID/stat, over the
measured window) per 1,000 checks the server saw.

Then the loop: the median latency of `corralctl status` (all programs,
CALLS times) with the same programs and healthchecks, once every check has
passed and none is in flight (idle: health_interval 3600), and again while
every program's check waits on a server that accepts, reads and never
answers (health_timeout 3600). Target (issue 24): within 1.2 x the idle
latency. The last lines say whether it is met. Exit status 1 only when
something could not run at all.

Knobs (environment): BENCH_HEALTH_PROGRAMS (default 1000),
BENCH_HEALTH_SECONDS (default 30), BENCH_HEALTH_CALLS (default 30),
BENCH_HEALTH_PORT (default 18941).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import env_int

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROGRAMS = max(1, env_int("BENCH_HEALTH_PROGRAMS", 1000))
SECONDS = max(3, env_int("BENCH_HEALTH_SECONDS", 30))
CALLS = max(5, env_int("BENCH_HEALTH_CALLS", 30))
PORT = env_int("BENCH_HEALTH_PORT", 18941)
TARGET_RATIO = 1.2

# MODE: ok (an HTTP 200 at once; a tcp check just closes), hang (read,
# never answer). Every second it writes how many connections it has
# accepted to COUNT.
SERVER = r'''
import asyncio, resource, sys
port, mode, countfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
n = 0
held = []

async def serve(reader, writer):
    global n
    n += 1
    if mode == "hang":
        held.append(writer)   # never answered, never closed
        try:
            await reader.read(65536)
        except Exception:
            pass
        return
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await reader.read(4096)
            if not chunk:
                break
            data += chunk
        if data:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()

async def report():
    while True:
        with open(countfile + ".new", "w") as f:
            f.write(str(n))
        import os
        os.rename(countfile + ".new", countfile)
        await asyncio.sleep(0.2)

async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", port, backlog=4096)
    await asyncio.gather(srv.serve_forever(), report())

asyncio.run(main())
'''


def config(tmp, check, extra="", interval=1):
    text = ("[corral]\nsocket = %s/corral.sock\nlogdir = %s\n\n" % (tmp, tmp))
    for i in range(PROGRAMS):
        text += ("[program:p%04d]\ncommand = /bin/sleep 100000\nstartsecs = 0\n"
                 "stdout_logfile = NONE\nstderr_logfile = NONE\n" % i)
        if check:
            text += "healthcheck = %s\nhealth_interval = %d\n%s" % (check, interval, extra)
        text += "\n"
    return text


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


def read_count(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


class Daemon:
    def __init__(self, build, tmp, text):
        self.tmp = tmp
        self.ctl = os.path.join(build, "corralctl")
        conf = os.path.join(tmp, "bench.conf")
        with open(conf, "w") as f:
            f.write(text)
        self.log = open(os.path.join(tmp, "corrald.out"), "wb")
        self.p = subprocess.Popen([os.path.join(build, "corrald"), "-n", "-c", conf],
                                  stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
                                  start_new_session=True)

    def status(self, json_out=False):
        argv = [self.ctl, "-s", os.path.join(self.tmp, "corral.sock")]
        return subprocess.run(argv + (["--json"] if json_out else []) + ["status"],
                              capture_output=True, text=True, timeout=60)

    def wait_running(self):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.p.poll() is None:
            r = self.status(True)
            try:
                arr = json.loads(r.stdout)
                if len(arr) == PROGRAMS and all(x["state"] == "RUNNING" for x in arr):
                    return True
            except ValueError:
                pass
            time.sleep(0.5)
        return False

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)   # its own session: its programs
                self.p.wait(10)
        self.log.close()


class Server:
    def __init__(self, tmp, mode):
        self.count = os.path.join(tmp, "count-" + mode)
        path = os.path.join(tmp, "server.py")
        with open(path, "w") as f:
            f.write(SERVER)
        self.p = subprocess.Popen([sys.executable, path, str(PORT), mode, self.count],
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.count) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(10)


def cost(build, kind):
    """corrald's CPU milliseconds per 1,000 checks of KIND, and the checks seen."""
    tmp = tempfile.mkdtemp(prefix="corral-healthbench-")
    srv = Server(tmp, "ok")
    check = ("http://127.0.0.1:%d/health" % PORT) if kind == "http" else "tcp:127.0.0.1:%d" % PORT
    d = Daemon(build, tmp, config(tmp, check))
    try:
        if not d.wait_running():
            print("healthbench: %s: the %d programs did not all run" % (kind, PROGRAMS))
            return None
        time.sleep(3)   # checks spread over the second
        hz = os.sysconf("SC_CLK_TCK")
        c0, n0, t0 = cpu_ticks(d.p.pid), read_count(srv.count), time.monotonic()
        time.sleep(SECONDS)
        c1, n1, t1 = cpu_ticks(d.p.pid), read_count(srv.count), time.monotonic()
        checks = n1 - n0
        if checks <= 0:
            print("healthbench: %s: the server saw no check" % kind)
            return None
        ms = (c1 - c0) * 1000.0 / hz
        bad = sum(1 for x in json.loads(d.status(True).stdout) if x.get("health") != "healthy")
        return ms * 1000.0 / checks, checks, t1 - t0, ms, bad
    finally:
        d.stop()
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def median_status(d):
    lat = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        r = d.status()
        lat.append(time.perf_counter() - t0)
        if r.returncode not in (0, 3):
            return None
    lat.sort()
    return lat[len(lat) // 2] * 1e3


def loop_latency(build):
    """`corralctl status` median ms with every check done and none in flight
    (idle: each passed once, the next is an hour away), and again with every
    check in flight on a server that never answers (hung). The same programs,
    the same healthcheck, status lines of the same length ("healthy" or
    "starting"): only what the loop holds differs."""
    out = {}
    for phase in ("idle", "hung"):
        tmp = tempfile.mkdtemp(prefix="corral-healthbench-")
        srv = Server(tmp, "hang" if phase == "hung" else "ok")
        check = "http://127.0.0.1:%d/health" % PORT
        d = Daemon(build, tmp, config(tmp, check, "health_timeout = 3600\n",
                                      interval=1 if phase == "hung" else 3600))
        try:
            if not d.wait_running():
                print("healthbench: %s: the %d programs did not all run" % (phase, PROGRAMS))
                return None
            deadline = time.monotonic() + 60
            if phase == "hung":   # every check in flight, waiting on the server
                while read_count(srv.count) < PROGRAMS and time.monotonic() < deadline:
                    time.sleep(0.2)
                out["waiting"] = read_count(srv.count)
            else:                 # every check passed once; none in flight now
                while time.monotonic() < deadline:
                    try:
                        arr = json.loads(d.status(True).stdout)
                    except ValueError:
                        arr = []
                    if arr and all(x.get("health") == "healthy" for x in arr):
                        break
                    time.sleep(0.5)
            time.sleep(1)
            out[phase] = median_status(d)
            if out[phase] is None:
                print("healthbench: %s: corralctl status failed" % phase)
                return None
        finally:
            d.stop()
            srv.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def main():
    build = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
    status = 0
    print("\nHealth checks: %d programs, each checked every second, for %d s against a local "
          "server (its own process)" % (PROGRAMS, SECONDS))
    print("%-6s %10s %12s %14s %22s %10s" % ("check", "checks", "seconds", "corrald CPU ms",
                                            "CPU ms per 1,000", "unhealthy"))
    for kind in ("http", "tcp"):
        r = cost(build, kind)
        if r is None:
            status = 1
            continue
        per, checks, secs, ms, bad = r
        print("%-6s %10d %12.1f %14.0f %22.2f %10d" % (kind, checks, secs, ms, per, bad))
    lat = loop_latency(build)
    if lat is None:
        return 1
    ratio = lat["hung"] / lat["idle"] if lat["idle"] > 0 else float("inf")
    print("corralctl status (all %d programs), median of %d: idle %.2f ms; with %d checks "
          "waiting on a server that never answers %.2f ms: %.2f x (target: within %.1f x, %s)"
          % (PROGRAMS, CALLS, lat["idle"], lat["waiting"], lat["hung"], ratio, TARGET_RATIO,
             "met" if ratio <= TARGET_RATIO else "MISSED"))
    return status


if __name__ == "__main__":
    sys.exit(main())
