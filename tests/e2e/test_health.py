"""Health checks (healthcheck =): a small HTTP server of the tests' own, run
as a corral program on 127.0.0.1 and told by a file to answer 200, 500 or
never, is checked by corrald. A failing check turns the program unhealthy
after health_retries and restarts it, and status says why; a hung endpoint
is bounded by health_timeout; ready = health holds a dependent until the
first success; an exec check that hangs is killed with its tree; a tcp
check of a closed port fails; corralctl health's exit codes; GET /healthz
and /readyz (without credentials); supervisorctl shows the verdict; a
listener hears PROCESS_HEALTH_*."""

import os
import re
import socket
import time

from harness import (Corral, PY, expect, expect_rc, free_port, note, pid_exists, prog, run,
                     wait_until)
from test_eventlisteners import LISTENER, records

SUPERVISORCTL = "/usr/bin/supervisorctl"
SLEEPER = "/bin/sh -c 'exec /bin/sleep 1000' @TAG@"

# MODE file: "ok" 200, "fail" 500, "hang": accepts, reads, never answers.
SERVER = r'''
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, mode = int(sys.argv[1]), sys.argv[2]


class H(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with open(mode) as f:
                m = f.read().strip()
        except OSError:
            m = "ok"
        if m == "hang":
            time.sleep(1000)
        body = b"fine\n" if m == "ok" else b"broken\n"
        self.send_response(200 if m == "ok" else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.allow_reuse_address = True
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
'''


def server(port, **keys):
    keys.setdefault("startsecs", 0)
    return prog("web", "@PY@ @DIR@/server.py %d @DIR@/mode @TAG@" % port,
                healthcheck="http://127.0.0.1:%d/health" % port, **keys)


def set_mode(c, mode):
    with open(c.path("mode.new"), "w") as f:
        f.write(mode + "\n")
    os.rename(c.path("mode.new"), c.path("mode"))


def corral(cfg, name, mode="ok", start=True, **kw):
    c = Corral(cfg, scripts={"server.py": SERVER, "listener.py": LISTENER}, name=name,
               start=False, **kw)
    set_mode(c, mode)
    if start:
        c.start()
    return c


def wait_health(c, name, pred, timeout, what):
    last = {}

    def check():
        st = c.status().get(name)
        last["v"] = st
        return st if st and pred(st.get("health") or "") else None
    return wait_until(check, timeout, lambda: "%s (last: %s)" % (what, last.get("v")))


def test_failing_check_restarts_and_status_says_why():
    port = free_port()
    cfg = server(port, health_interval=1, health_timeout=2, health_retries=2)
    with corral(cfg, "health_restart") as c:
        st = wait_health(c, "web", lambda h: h == "healthy", 15, "web healthy")
        pid = st["pid"]
        expect("healthy" in c.ctl("status", "web").out, "status text says healthy",
               c.ctl("status", "web"))
        set_mode(c, "fail")
        # two failures a second apart, then its tree is killed and it starts again
        st = wait_until(lambda: (lambda s: s if s["pid"] not in (0, pid) else None)(
            c.status()["web"]), 15, "web restarted after failing its checks")
        log = c.stderr_text()
        expect("web: unhealthy: 2 failed health checks in a row, the last: HTTP 500" in log,
               "corrald's log says why", log[-2000:])
        expect("pid %d is unhealthy, killing its tree" % pid in log, "the old pid was killed")
        expect(not pid_exists(pid), "the unhealthy process is gone")
        st = c.status()["web"]
        expect("restarted unhealthy: 2 failures: HTTP 500" in (st["health"] or ""),
               "status says why it was restarted", st)
        r = c.ctl("status", "web")
        expect("restarted unhealthy: 2 failures: HTTP 500" in r.out, "and so does its text", r)
        set_mode(c, "ok")
        wait_health(c, "web", lambda h: h == "healthy", 15, "web healthy again")


def test_health_restarts_count_toward_group_intensity():
    port = free_port()
    cfg = (server(port, health_interval=1, health_retries=1)
           + "[group:g]\nprograms = web\nrestart_intensity = 1\nrestart_period = 300\n")
    with corral(cfg, "health_group") as c:
        wait_health(c, "g:web", lambda h: h == "healthy", 15, "g:web healthy")
        set_mode(c, "fail")
        st = wait_until(lambda: (lambda s: s if s.get("group_state") == "FATAL" else None)(
            c.status()["g:web"]), 30, "the group FATAL after two restarts for health")
        log = c.stderr_text()
        expect("group g: more than 1 restarts in 300s" in log, "the group's log line", log[-1500:])
        expect(log.count("is unhealthy, killing its tree") >= 2, "two restarts for health")


def test_hung_endpoint_is_bounded_by_timeout():
    port = free_port()
    cfg = server(port, health_interval=1, health_timeout=1, health_retries=2,
                 on_unhealthy="none")
    with corral(cfg, "health_hang") as c:
        wait_health(c, "web", lambda h: h == "healthy", 15, "web healthy")
        pid = c.status()["web"]["pid"]
        set_mode(c, "hang")
        st = wait_health(c, "web", lambda h: h.startswith("unhealthy"), 15, "web unhealthy")
        expect("timed out after 1s waiting for an answer" in st["health"],
               "the check gave up at health_timeout", st)
        expect(st["pid"] == pid and st["state"] == "RUNNING",
               "on_unhealthy = none: left running", st)
        # corrald answers while checks hang on the server
        r = c.ctl("health", "web")
        expect_rc(r, 1, "health of an unhealthy program")
        expect("unhealthy (" in r.out and "timed out" in r.out, "health says why", r)


def test_ready_health_holds_a_dependent():
    port = free_port()
    cfg = (server(port, health_interval=1, health_timeout=1, health_retries=1, ready="health",
                  start_timeout=0, on_unhealthy="none")
           + prog("app", SLEEPER, requires="web", startsecs=0))
    with corral(cfg, "health_ready", mode="fail") as c:
        wait_until(lambda: c.status()["web"]["pid"] > 0, 10, "web spawned")
        time.sleep(3)   # several failed checks
        st = c.status()
        expect(st["web"]["state"] == "STARTING", "web not ready while its check fails", st["web"])
        expect(st["app"]["state"] == "STOPPED" and st["app"]["pid"] == 0,
               "app waits for web", st["app"])
        expect("waiting for web" in st["app"]["info"], "and says so", st["app"])
        expect("waiting for its first passing health check" in st["web"]["info"],
               "web says what it waits for", st["web"])
        set_mode(c, "ok")
        c.wait_state("web", "RUNNING", 10)
        c.wait_state("app", "RUNNING", 10)
        expect("health check passed (ready = health)" in c.stderr_text(),
               "the log says what made it RUNNING")


def test_exec_check_that_hangs_is_killed_with_its_tree():
    check = ("exec:/bin/sh -c 'sleep 1000 & echo $! > @DIR@/child.pid; echo $$ > @DIR@/sh.pid; "
             "wait'")
    cfg = prog("x", SLEEPER, startsecs=0, healthcheck=check,
               health_interval=2, health_timeout=1, health_retries=1, on_unhealthy="none")
    with corral(cfg, "health_exec") as c:
        wait_until(lambda: os.path.exists(c.path("child.pid")) and
                   os.path.exists(c.path("sh.pid")), 10, "the check started its child")
        child = int(c.read(c.path("child.pid")).strip())
        sh = int(c.read(c.path("sh.pid")).strip())
        st = wait_health(c, "x", lambda h: h.startswith("unhealthy"), 10, "x unhealthy")
        expect("timed out after 1s (its tree killed)" in st["health"], "status says why", st)
        wait_until(lambda: not pid_exists(child) and not pid_exists(sh), 5,
                   "the check's shell %d and its child %d to be gone" % (sh, child))
        expect(c.status()["x"]["state"] == "RUNNING", "the program itself runs on")
        expect(not c.zombie_children(), "no zombie left", c.zombie_children())


def test_exec_check_passes_and_fails_by_exit_status():
    # the check runs with its program's environment and directory
    cfg = (prog("good", SLEEPER, startsecs=0, environment="HC_TOKEN=abc", directory="/tmp",
                healthcheck="exec:/bin/sh -c 'test \"$HC_TOKEN\" = abc && "
                "test \"$CORRAL_PROCESS_NAME\" = good && test \"$(pwd)\" = /tmp'",
                health_interval=1)
           + prog("bad", SLEEPER, startsecs=0,
                  healthcheck="exec:/bin/sh -c 'exit 3'", health_interval=1, health_retries=1,
                  on_unhealthy="none"))
    with corral(cfg, "health_exec_rc") as c:
        wait_health(c, "good", lambda h: h == "healthy", 10, "good healthy")
        st = wait_health(c, "bad", lambda h: h.startswith("unhealthy"), 10, "bad unhealthy")
        expect("exit status 3" in st["health"], "the exit status is the reason", st)


def test_tcp_check():
    closed = free_port()
    port = free_port()
    cfg = (server(port, health_interval=1)
           + prog("t", SLEEPER, startsecs=0, health_interval=1,
                  healthcheck="tcp:127.0.0.1:%d" % closed, health_retries=1,
                  on_unhealthy="none")
           + prog("u", SLEEPER, startsecs=0, health_interval=1,
                  healthcheck="tcp:127.0.0.1:%d" % port))
    with corral(cfg, "health_tcp") as c:
        st = wait_health(c, "t", lambda h: h.startswith("unhealthy"), 10, "t unhealthy")
        expect("connect: Connection refused" in st["health"], "refused, said", st)
        wait_health(c, "u", lambda h: h == "healthy", 10, "u healthy (the server's port)")
        m = c.ctl("metrics").out
        expect(re.search(r'^corral_process_healthy\{name="u",[^}]*\} 1$', m, re.M) and
               re.search(r'^corral_process_healthy\{name="t",[^}]*\} 0$', m, re.M),
               "the healthy gauge: 1 for u, 0 for t", m[-3000:])
        f = re.search(r'^corral_process_health_failures_total\{name="t",[^}]*\} (\d+)$', m, re.M)
        expect(f and int(f.group(1)) >= 1, "t's failures counted", m[-3000:])


def test_corralctl_health_exit_codes():
    port = free_port()
    cfg = (server(port, health_interval=1, health_retries=1, on_unhealthy="none")
           + prog("plain", SLEEPER, startsecs=0)
           + prog("off", SLEEPER, autostart=False))
    with corral(cfg, "health_ctl") as c:
        wait_health(c, "web", lambda h: h == "healthy", 10, "web healthy")
        c.wait_state("plain", "RUNNING")
        r = c.ctl("health", "web", "plain")
        expect_rc(r, 0, "every named one healthy")
        expect("web\thealthy" in r.out and "plain\thealthy" in r.out, "one line each", r)
        r = c.ctl("health")
        expect_rc(r, 1, "off is not running")
        expect("off\tnot running (STOPPED)" in r.out, "the reason", r)
        set_mode(c, "fail")
        wait_health(c, "web", lambda h: h.startswith("unhealthy"), 10, "web unhealthy")
        r = c.ctl("health", "web")
        expect_rc(r, 1, "unhealthy")
        expect("web\tunhealthy (" in r.out and "HTTP 500" in r.out, "with its reason", r)
        expect_rc(c.ctl("health", "nosuch"), 2, "an unknown name")


def test_healthz_and_readyz():
    port = free_port()
    http = free_port()
    cfg = (server(port, health_interval=1, health_retries=1, on_unhealthy="none")
           + prog("off", SLEEPER, autostart=False))
    extra = "[inet_http_server]\nport = 127.0.0.1:%d\nusername = u\npassword = secret\n" % http
    with corral(cfg + extra, "health_http", mode="fail") as c:
        def get(path):
            s = socket.create_connection(("127.0.0.1", http), timeout=5)
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            s.close()
            head, _, body = data.partition(b"\r\n\r\n")
            return int(head.split()[1]), body.decode()
        code, body = get("/healthz")
        expect(code == 200 and body == "ok\n", "/healthz without credentials", code, body)
        wait_health(c, "web", lambda h: h.startswith("unhealthy"), 10, "web unhealthy")
        code, body = get("/readyz")
        expect(code == 503 and "web: unhealthy" in body, "/readyz: 503 with the reason", code, body)
        expect("HTTP 500" not in body, "the failure's text is not public", body)
        expect("off" not in body, "a program that does not autostart is not waited for", body)
        set_mode(c, "ok")
        wait_health(c, "web", lambda h: h == "healthy", 10, "web healthy")
        code, body = get("/readyz")
        expect(code == 200 and body == "ready\n", "/readyz: 200 once ready and healthy", code, body)
        code, body = get("/RPC2")
        expect(code == 401, "the other routes still want credentials", code)


def test_supervisorctl_and_event_listener_see_health():
    if not os.path.exists(SUPERVISORCTL):
        note("SKIPPED test_supervisorctl_and_event_listener_see_health: no supervisorctl")
        return
    port = free_port()
    http = free_port()
    cfg = ("[eventlistener:watch]\ncommand=@PY@ @DIR@/listener.py @DIR@/watch.jsonl ok\n"
           "events=PROCESS_HEALTH\n\n"
           + server(port, health_interval=1, health_retries=2, on_unhealthy="none")
           + "[inet_http_server]\nport = 127.0.0.1:%d\n" % http)
    with corral(cfg, "health_sctl") as c:
        wait_health(c, "web", lambda h: h == "healthy", 10, "web healthy")
        r = run([SUPERVISORCTL, "-s", "http://127.0.0.1:%d" % http, "status", "web"])
        expect("RUNNING" in r.out and "healthy" in r.out, "supervisorctl shows the verdict", r)
        set_mode(c, "fail")
        wait_health(c, "web", lambda h: h.startswith("unhealthy"), 10, "web unhealthy")
        r = run([SUPERVISORCTL, "-s", "http://127.0.0.1:%d" % http, "status", "web"])
        expect("unhealthy (2 failures: HTTP 500)" in r.out, "and its reason", r)

        def got(kind):
            return [x for x in records(c, "watch")
                    if x["kind"] == "OK" and x["headers"].get("eventname") == kind]
        ev = wait_until(lambda: got("PROCESS_HEALTH_UNHEALTHY"), 10, "the unhealthy event")[0]
        expect("processname:web" in ev["payload"] and "failures:2" in ev["payload"] and
               "reason:HTTP_500" in ev["payload"], "its payload", ev)
        expect(got("PROCESS_HEALTH_HEALTHY"), "the healthy event came first",
               records(c, "watch"))


def test_checks_go_on_across_reexec():
    port = free_port()
    cfg = server(port, health_interval=1, health_retries=1, on_unhealthy="none")
    with corral(cfg, "health_reexec") as c:
        pid = wait_health(c, "web", lambda h: h == "healthy", 15, "web healthy")["pid"]
        r = c.ctl("reexec", timeout=30)
        expect_rc(r, 0, "reexec")
        wait_until(lambda: "took over 1 process" in c.stderr_text(), 30,
                   "the new corrald to take over")
        c.wait_ready()
        st = wait_health(c, "web", lambda h: h == "healthy", 15, "web healthy after the exec")
        expect(st["pid"] == pid, "the same process, taken over", st)
        set_mode(c, "fail")
        st = wait_health(c, "web", lambda h: h.startswith("unhealthy"), 15,
                         "the checks go on: web unhealthy")
        expect("HTTP 500" in st["health"], "with the reason", st)
