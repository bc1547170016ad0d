"""Shared listening sockets and reuseport, rolling restarts (issue 25):
several instances of one program behind one [socket:], under a client loop
of the tests' own.
Behaviour only, never speed: time limits are there so that a hang fails."""

import json
import os
import socket
import subprocess
import threading
import time

from harness import (SLEEP, Corral, corrald_path, expect, expect_rc, free_port, note, prog, run,
                     wait_until)

# A small HTTP server that serves on the socket it inherits (LISTEN_FDS,
# fd 3) and says READY=1 on $NOTIFY_SOCKET once it listens. Each answer is
# its pid. At start it appends to @DIR@/report what it was given (the
# socket's inode, whether SO_REUSEPORT is set). On SIGTERM it finishes the
# request in hand, then exits: what it has not accepted waits for the
# others. If @DIR@/version says "broken", it never becomes ready and never
# accepts (a new version that does not come up); @DIR@/delay holds the
# seconds it waits before it is ready.
HTTPD = r'''
import json, os, select, signal, socket, sys, time
here = os.path.dirname(os.path.abspath(__file__))
pid = os.getpid()
try:
    version = open(os.path.join(here, "version")).read().strip()
except OSError:
    version = "1"
assert os.environ.get("LISTEN_PID") == str(pid), os.environ.get("LISTEN_PID")
assert os.environ.get("LISTEN_FDS") == "1", os.environ.get("LISTEN_FDS")
ls = socket.socket(fileno=3)
st = os.fstat(3)
with open(os.path.join(here, "report"), "a") as f:
    f.write(json.dumps({"pid": pid, "ino": st.st_ino, "version": version,
                        "port": ls.getsockname()[1],
                        "reuseport": ls.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)}) + "\n")
if version == "broken":
    while True:
        signal.pause()
try:
    time.sleep(float(open(os.path.join(here, "delay")).read()))  # before it is ready
except OSError:
    pass
stop = False
def on_term(sig, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
# Waits in select, not in accept, so that a SIGTERM never falls between
# the kernel's accept and the request's answer: a connection taken is
# always served. The socket is non-blocking for every instance alike.
ls.setblocking(False)
while not stop:
    if not select.select([ls], [], [], 0.2)[0]:
        continue
    try:
        c, _ = ls.accept()
    except BlockingIOError:
        continue  # another instance took it
    try:
        c.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        body = b"%d %s\n" % (pid, version.encode())
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass
    finally:
        c.close()
'''

SCRIPTS = {"httpd.py": HTTPD}


def reports(c):
    text = c.read(c.path("report")) or ""
    # only the lines the writer has ended
    return [json.loads(l) for l in text[:text.rfind("\n") + 1].splitlines() if l.strip()]


def get(port, timeout=10):
    """One request on a new connection: (pid, version). Raises on refusal,
    a timeout or a bad answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200 "):
        raise ValueError("bad answer %r" % data[:100])
    pid, version = body.decode().split()
    return int(pid), version


class Load:
    """A client loop in a thread: at most COUNT requests, each on a new
    connection, until stopped. Counts answered, refused and failed ones and
    the slowest answer."""

    def __init__(self, port, count=100000):
        self.port = port
        self.count = count
        self.sent = self.ok = self.refused = 0
        self.failed = []
        self.pids = set()
        self.slowest = 0.0
        self.done = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        deadline = time.monotonic() + 120  # bounded whatever the main thread does
        while not self.done.is_set() and self.sent < self.count and time.monotonic() < deadline:
            self.sent += 1
            t0 = time.monotonic()
            try:
                pid, _ = get(self.port)
            except ConnectionRefusedError:
                self.refused += 1
                continue
            except (OSError, ValueError) as e:
                self.failed.append(repr(e))
                continue
            self.slowest = max(self.slowest, time.monotonic() - t0)
            self.ok += 1
            self.pids.add(pid)

    def __enter__(self):
        self.t.start()
        wait_until(lambda: self.ok > 0 or not self.t.is_alive(), 20, "a first answer")
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.t.join(30)
        expect(not self.t.is_alive(), "the client loop did not stop")

    def __repr__(self):
        return ("sent %d, answered %d, refused %d, failed %d (%s), slowest %.3fs"
                % (self.sent, self.ok, self.refused, len(self.failed), self.failed[:3], self.slowest))

    def expect_clean(self, what):
        expect(self.refused == 0, "%s: %d connections refused" % (what, self.refused), self)
        expect(not self.failed, "%s: %d requests failed" % (what, len(self.failed)), self)
        expect(self.ok == self.sent, "%s: %d sent, %d answered" % (what, self.sent, self.ok))


NAMES = ["web:web_%d" % i for i in range(8)]


def web(port, n=4, reuseport=False, **keys):
    sock = "[socket:http]\nlisten = tcp:127.0.0.1:%d\nprogram = web\n" % port
    if reuseport:
        sock += "reuseport = true\n"
    keys.setdefault("stopwaitsecs", 5)
    return sock + "\n" + prog("web", "@PY@ @DIR@/httpd.py", numprocs=n, ready="notify",
                              process_name="%(program_name)s_%(process_num)d", **keys)


def test_shared_socket_reaches_every_instance():
    """numprocs = 4 behind one [socket:]: every instance gets the same
    listening socket (one inode, no SO_REUSEPORT), the kernel hands the
    connections to whichever accepts, and a restart of one instance keeps
    the others serving with nothing refused."""
    port = free_port()
    with Corral(web(port), scripts=SCRIPTS, name="rollshared") as c:
        pids = c.wait_running(NAMES[:4], 20)
        wait_until(lambda: len(reports(c)) == 4, 10, "four reports")
        reps = reports(c)
        expect(len({r["ino"] for r in reps}) == 1, "instances got different sockets", reps)
        expect(all(r["reuseport"] == 0 and r["port"] == port for r in reps), "bad sockets", reps)
        with Load(port, count=400) as load:
            wait_until(lambda: len(load.pids) >= 2 or not load.t.is_alive(), 20,
                       lambda: "answers from two instances (%s)" % load)
            r = c.ctl("restart", NAMES[0])
            expect_rc(r, 0, "restart of one instance")
            c.wait_state(NAMES[0], "RUNNING", 20)
        load.expect_clean("restart of one instance")
        expect(load.pids & set(pids.values()), "no answer from the first instances", load.pids)
        for n in NAMES[1:4]:
            expect(c.status()[n]["pid"] == pids[n], "%s was touched" % n)
        note("shared socket: %s" % load)


def test_reuseport_gives_each_instance_its_own_socket():
    """reuseport = true: one SO_REUSEPORT socket per instance, all on the
    same port; an instance that restarts gets its own socket back (corrald
    holds it), so what was queued on it waits instead of being dropped."""
    port = free_port()
    with Corral(web(port, reuseport=True), scripts=SCRIPTS, name="rollreuse") as c:
        c.wait_running(NAMES[:4], 20)
        wait_until(lambda: len(reports(c)) == 4, 10, "four reports")
        reps = reports(c)
        expect(len({r["ino"] for r in reps}) == 4, "instances share sockets", reps)
        expect(all(r["reuseport"] == 1 and r["port"] == port for r in reps), "bad sockets", reps)
        by_pid = {r["pid"]: r["ino"] for r in reps}
        first = c.status()[NAMES[2]]["pid"]
        with Load(port, count=400) as load:
            r = c.ctl("restart", NAMES[2])
            expect_rc(r, 0, "restart of one instance")
            now = c.wait_state(NAMES[2], "RUNNING", 20)["pid"]
            wait_until(lambda: now in load.pids or not load.t.is_alive(), 20,
                       lambda: "an answer from the new instance (%s)" % load)
        load.expect_clean("reuseport restart")
        reps = reports(c)
        again = [r for r in reps if r["pid"] == now]
        expect(again and again[0]["ino"] == by_pid[first],
               "the restarted instance got another socket", reps)
        note("reuseport: %s" % load)


def test_reuseport_check_errors():
    """reuseport on a unix address is a --check error with file:line."""
    with Corral(start=False, name="rollcheck") as c:
        text = ("[program:a]\ncommand = /bin/true\nnumprocs = 2\n"     # 1-3
                "process_name = a%%(process_num)d\n\n"                 # 4-5
                "[socket:u]\n"                                         # 6
                "listen = unix:@rollcheck\n"                           # 7
                "program = a\n"                                        # 8
                "reuseport = true\n"                                   # 9
                "[socket:v]\n"                                         # 10
                "listen = tcp:127.0.0.1:%d\n"                          # 11
                "reuseport = maybe\n" % free_port())                   # 12
        c.write_config(text, raw=True)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect(r.rc == 2, "--check exit %s, expected 2" % r.rc, r)
        lines = r.err.splitlines()
        want = ["%s:9: [socket:u]: reuseport = true needs tcp: or udp: addresses; unix:@rollcheck "
                "is a unix socket (leave reuseport out: its one socket is shared by every instance)"
                % c.conf]
        for w in want:
            expect(w in lines, "missing line %r" % w, r)
        expect(any(l.startswith("%s:12: [socket:v]: " % c.conf) and "maybe" in l for l in lines),
               "no error for reuseport = maybe", r)


def write(c, name, text):
    with open(c.path(name), "w") as f:
        f.write(text)


def pids_of(c, n=4):
    st = c.status()
    return {name: st[name]["pid"] for name in NAMES[:n]}


def test_rolling_restart_refuses_nothing():
    """restart --rolling of 4 instances behind one socket under a client
    loop: every instance replaced, one at a time (status shows the roll),
    0 refused connections and 0 failed requests. The same loop through a
    plain restart shows what that costs (counted, not asserted)."""
    port = free_port()
    with Corral(web(port), scripts=SCRIPTS, name="rolling") as c:
        before = c.wait_running(NAMES[:4], 20)
        write(c, "delay", "0.3")
        seen = []
        with Load(port, count=20000) as load:
            proc = subprocess.Popen(c.ctl_argv("restart", "--rolling", "web"),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                def rolling():
                    roll = [v["roll"] for v in c.status().values() if v.get("roll")]
                    seen.extend(roll)
                    return roll or proc.poll() is not None
                wait_until(rolling, 30, "status to show the roll")
                out, _ = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        expect(proc.returncode == 0, "restart --rolling exit %s" % proc.returncode, out)
        expect(seen and seen[0].startswith("rolling ") and "replacing web:web_" in seen[0],
               "status did not show the roll: %r" % seen[:3])
        expect("4 of 4 replaced" in out, "no summary", out)
        # One at a time: each is stopped, then ready, before the next stops.
        events = [l.split(": ", 1) for l in out.splitlines() if l.startswith("web:")]
        want = []
        for n in NAMES[:4]:
            want += [[n, "stopped"], [n, "started (ready)"]]
        expect(events == want, "events %r, expected %r" % (events, want))
        after = pids_of(c)
        for n in NAMES[:4]:
            expect(after[n] != before[n], "%s kept pid %d" % (n, before[n]))
        load.expect_clean("restart --rolling")
        note("rolling restart: %s" % load)

        # The same through a plain restart: all four stop, then start.
        with Load(port, count=3000) as plain:
            r = c.ctl("restart", "web", timeout=60)
            expect_rc(r, 0, "plain restart")
        note("plain restart: %s" % plain)


def test_rolling_restart_stops_at_a_version_that_is_not_ready():
    """A new version that never becomes ready: the roll stops at the first
    instance with its reason and a non-zero exit; the three not reached keep
    their pids and serve every request meanwhile."""
    port = free_port()
    with Corral(web(port, start_timeout=2, startretries=0), scripts=SCRIPTS,
                name="rollbroken") as c:
        before = c.wait_running(NAMES[:4], 20)
        write(c, "version", "broken")
        with Load(port, count=20000) as load:
            r = c.ctl("restart", "--rolling", "web", timeout=60)
            time.sleep(0.3)
        expect(r.rc == 1, "restart --rolling of a broken version exited %s" % r.rc, r)
        expect("web:web_0: stopped" in (r.out + r.err).splitlines(), "web_0 not stopped", r)
        errors = [l for l in (r.out + r.err).splitlines() if "ERROR" in l]
        expect(len(errors) == 1 and errors[0].startswith("web:web_0: ERROR (")
               and "start_timeout" in errors[0], "no reason for web_0", r)
        expect("0 of 4 replaced; 3 not reached, left as they are" in (r.out + r.err).splitlines(), "no summary", r)
        after = pids_of(c)
        for n in NAMES[1:4]:
            expect(after[n] == before[n], "%s was touched (%d -> %d)" % (n, before[n], after[n]))
            expect(c.status()[n]["state"] == "RUNNING", "%s is not running" % n)
        load.expect_clean("a failed roll")
        expect(load.pids <= set(before.values()), "answers from a new instance", load.pids)


def test_rolling_batches_and_update_strategy():
    """--batch 2 replaces two at a time; update_strategy = rolling makes a
    plain restart roll; a second roll of the same program is refused while
    one goes on."""
    port = free_port()
    with Corral(web(port, update_strategy="rolling"), scripts=SCRIPTS, name="rollbatch") as c:
        before = c.wait_running(NAMES[:4], 20)
        # A new instance is ready only after 0.5 s, longer than an old one
        # takes to stop (its select wakes every 0.2 s): both of a batch are
        # down before either of them is ready again.
        write(c, "delay", "0.5")
        with Load(port, count=20000) as load:
            r = c.ctl("restart", "--rolling", "--batch", "2", "web", timeout=60)
            expect_rc(r, 0, "restart --rolling --batch 2")
        load.expect_clean("--batch 2")
        events = [l for l in r.lines if l.startswith("web:")]
        # both of a batch stop before either is ready
        expect(set(events[:2]) == {"web:web_0: stopped", "web:web_1: stopped"},
               "batch of two: %r" % events)
        expect(set(events[:4]) == {"web:web_%d: %s" % (i, what) for i in (0, 1)
                                   for what in ("stopped", "started (ready)")},
               "the second batch began before the first was ready: %r" % events)
        mid = pids_of(c)
        expect(all(mid[n] != before[n] for n in NAMES[:4]), "not all replaced", r)

        write(c, "delay", "1")
        proc = subprocess.Popen(c.ctl_argv("restart", "web"), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            wait_until(lambda: any(v.get("roll") for v in c.status().values()), 20,
                       "the update_strategy roll to show")
            again = c.ctl("restart", "--rolling", "web:web_3")
            expect(again.rc == 1 and "a rolling restart of it is going on" in again.err,
                   "a second roll was not refused", again)
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        expect(proc.returncode == 0 and "4 of 4 replaced" in out,
               "restart under update_strategy = rolling did not roll", out)


def test_reload_rolls_a_changed_program():
    """update_strategy = rolling: a reload that changes what each process
    takes as it starts (here its environment) keeps the program and
    restarts its instances one at a time, each ready before the next stops,
    under a client loop: 0 refused, 0 failed, every pid replaced, the new
    version answering at the end. corralctl reload waits for the roll. A
    change a process cannot take on its own (stdout_logfile_maxbytes)
    replaces the program as before. A new version that never becomes ready
    stops the roll: reload exits 1, the other three untouched."""
    port = free_port()
    base = dict(update_strategy="rolling", start_timeout=3, startretries=0)
    with Corral(web(port, **base), scripts=SCRIPTS, name="rollreload") as c:
        before = c.wait_running(NAMES[:4], 20)
        write(c, "version", "2")
        c.write_config(web(port, environment='V="2"', **base))
        with Load(port, count=20000) as load:
            r = c.ctl("reload", timeout=60)
            expect_rc(r, 0, "reload with a rolling update")
            got = [get(port)[1] for _ in range(20)]
        load.expect_clean("reload with update_strategy = rolling")
        note("rolling reload: %s" % load)
        expect("changed (rolling update): web" in r.lines, "reload did not say it rolls", r)
        expect("4 of 4 updated" in r.lines, "reload did not wait for the roll", r)
        events = [l.split(": ", 1) for l in r.lines if l.startswith("web:")]
        want = []
        for n in NAMES[:4]:
            want += [[n, "stopped"], [n, "started (ready)"]]
        expect(events == want, "events %r, expected %r" % (events, want))
        mid = pids_of(c)
        for n in NAMES[:4]:
            expect(mid[n] != before[n], "%s kept pid %d" % (n, before[n]))
        expect(set(got) == {"2"}, "the old version still answers after the roll", got)

        # Not a change a process takes as it starts: replaced, all at once.
        c.write_config(web(port, environment='V="2"', stdout_logfile_maxbytes="2MB", **base))
        r = c.ctl("reload", timeout=60)
        expect_rc(r, 0, "reload with a change that cannot roll")
        expect("changed: web" in r.lines and not any("rolling" in l for l in r.lines),
               "a change of stdout_logfile_maxbytes rolled", r)
        now = c.wait_running(NAMES[:4], 20)
        expect(all(now[n] != mid[n] for n in NAMES[:4]), "not replaced", now)

        # A version that never comes up: the roll stops at the first.
        write(c, "version", "broken")
        c.write_config(web(port, environment='V="3"', stdout_logfile_maxbytes="2MB", **base))
        with Load(port, count=20000) as load:
            r = c.ctl("reload", timeout=60)
        expect(r.rc == 1, "reload to a broken version exited %s" % r.rc, r)
        errors = [l for l in r.lines + r.err.splitlines() if "ERROR" in l]
        expect(len(errors) == 1 and errors[0].startswith("web:web_0: ERROR ("),
               "no reason for web_0", r)
        after = pids_of(c)
        for n in NAMES[1:4]:
            expect(after[n] == now[n], "%s was touched" % n)
            expect(c.status()[n]["state"] == "RUNNING", "%s is not running" % n)
        load.expect_clean("a failed rolling reload")


def test_supervisorctl_update_rolls():
    """The stock supervisorctl's update of a program with update_strategy =
    rolling: its stopProcessGroup, removeProcessGroup and addProcessGroup
    (on the connection of the reloadConfig that named it changed) roll the
    instances one at a time under a client loop: 0 refused, 0 failed, each
    pid replaced, status showing the roll. A supervisorctl stop after a
    reread still stops."""
    port = free_port()
    http = "[unix_http_server]\nfile = @DIR@/sd.sock\n\n"
    base = dict(update_strategy="rolling", start_timeout=5)
    with Corral(http + web(port, **base), scripts=SCRIPTS, name="rollsdctl") as c:
        sctl = ["/usr/bin/supervisorctl", "-s", "unix://" + c.path("sd.sock")]
        before = c.wait_running(NAMES[:4], 20)
        write(c, "version", "2")
        write(c, "delay", "0.3")
        c.write_config(http + web(port, environment='V="2"', **base))
        seen = []
        with Load(port, count=20000) as load:
            r = run(sctl + ["update"], timeout=30)
            expect(r.rc == 0 and "web: updated process group" in r.out, "supervisorctl update", r)

            def rolled():
                st = c.status()
                seen.extend(v["roll"] for v in st.values() if v.get("roll"))
                return all(st[n]["pid"] != before[n] and st[n]["state"] == "RUNNING"
                           for n in NAMES[:4]) and not any(v.get("roll") for v in st.values())
            wait_until(rolled, 60, lambda: "the roll to end: %r" % c.status())
            got = [get(port)[1] for _ in range(20)]
        load.expect_clean("supervisorctl update of a rolling program")
        note("supervisorctl update: %s" % load)
        expect(seen, "status never showed a roll")
        expect(set(got) == {"2"}, "the old version still answers", got)
        log = c.stderr_text()
        expect("stopProcessGroup web: not stopped, it rolls on addProcessGroup" in log,
               "corrald did not say why the stop did nothing", log[-2000:])

        # reread, then a stop on another connection: it stops.
        c.write_config(http + web(port, environment='V="3"', **base))
        r = run(sctl + ["reread"], timeout=30)
        expect(r.rc == 0 and "web: changed" in r.out, "reread", r)
        r = run(sctl + ["stop", "web:*"], timeout=30)
        expect(r.rc == 0, "supervisorctl stop", r)
        st = c.status()
        expect(all(st[n]["state"] == "STOPPED" for n in NAMES[:4]),
               "a stop after a reread did not stop", st)


def test_rolling_leaves_what_requires_it_running():
    """What requires a rolled program keeps its pid through restart
    --rolling and through a reload's rolling update (the program is up all
    the while, one instance at a time); a plain restart still stops it
    first and starts it again."""
    port = free_port()
    def cfg(env, strategy="rolling"):
        return (web(port, n=2, update_strategy=strategy, environment='V="%s"' % env)
                + prog("dep", SLEEP, startsecs=0, requires="web"))
    with Corral(cfg("1"), scripts=SCRIPTS, name="rolldeps") as c:
        before = c.wait_running(NAMES[:2], 20)
        dep = c.wait_running(["dep"], 20)["dep"]
        r = c.ctl("restart", "--rolling", "web", timeout=60)
        expect_rc(r, 0, "restart --rolling web")
        mid = pids_of(c, 2)
        expect(all(mid[n] != before[n] for n in NAMES[:2]), "not rolled", r)
        expect(c.status()["dep"]["pid"] == dep, "restart --rolling restarted dep", c.status()["dep"])
        c.write_config(cfg("2"))
        r = c.ctl("reload", timeout=60)
        expect(r.rc == 0 and "2 of 2 updated" in r.lines, "rolling reload", r)
        expect(c.status()["dep"]["pid"] == dep, "a rolling reload restarted dep", c.status()["dep"])
        expect("dep: stopping" not in c.stderr_text(), "dep was stopped", c.stderr_tail())
        # the same program, restarted plainly: dep is stopped and started again
        c.write_config(cfg("2", strategy="restart"))
        expect_rc(c.ctl("reload", timeout=60), 0, "reload to update_strategy = restart")
        expect_rc(c.ctl("restart", "web:web_0", timeout=60), 0, "plain restart")
        wait_until(lambda: c.status()["dep"]["state"] == "RUNNING" and
                   c.status()["dep"]["pid"] != dep, 20,
                   lambda: "a plain restart to restart dep too: %r" % c.status()["dep"])


def test_rolling_errors():
    """Bad input: --check names the line of a rolling strategy that cannot
    tell readiness (program and group); the verb refuses bad options and a
    program it cannot roll."""
    with Corral(start=False, name="rollerr") as c:
        text = ("[program:a]\ncommand = /bin/sleep 100\nstartsecs = 0\n"   # 1-3
                "update_strategy = rolling\n"                                # 4
                "[program:b]\ncommand = /bin/sleep 100\nready = none\n"     # 5-7
                "[group:g]\nprograms = b\n"                                  # 8-9
                "update_strategy = rolling\n"                                # 10
                "[program:d]\ncommand = /bin/sleep 100\n"                    # 11-12
                "update_strategy = sideways\n")                              # 13
        c.write_config(text, raw=True)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect(r.rc == 2, "--check exit %s, expected 2" % r.rc, r)
        f = c.conf
        want = [
            "%s:4: [program:a]: update_strategy = rolling needs a way to tell that an "
            "instance is ready: ready = notify, fd:N or health, or startsecs > 0" % f,
            "%s:10: [group:g]: update_strategy = rolling: program 'b' has no way to tell "
            "that it is ready (set ready = notify, fd:N or health, or startsecs > 0)" % f,
        ]
        lines = r.err.splitlines()
        for w in want:
            expect(w in lines, "missing line %r" % w, r)
        expect(any(l.startswith("%s:13: [program:d]: " % f) and "sideways" in l for l in lines),
               "no error for sideways", r)

    cfg = prog("quick", "/bin/sleep 100", startsecs=0) + prog("slow", "/bin/sleep 100", startsecs=1)
    with Corral(cfg, name="rollverb") as c:
        c.wait_running(["quick", "slow"], 20)
        for args, text in [
                (("--rolling", "quick"), "quick: cannot roll: nothing tells when a new instance is "
                 "ready (set ready = notify, fd:N or health, or startsecs > 0)"),
                (("--rolling", "--batch", "0", "slow"), "bad --batch: '0' (expected a number from "
                 "1 to 1000000)"),
                (("--rolling", "--batch", "x", "slow"), "bad --batch: 'x'"),
                (("--batch", "2", "slow"), "--batch goes with --rolling"),
                (("--rollin", "slow"), "unknown option: --rollin"),
                (("--rolling",), "name required"),
                (("--rolling", "nosuch"), "no such process: nosuch")]:
            r = c.ctl("restart", *args)
            expect(r.rc == 2 and text in r.out + r.err, "restart %s: %r" % (" ".join(args), r))
        pid = c.status()["slow"]["pid"]
        r = c.ctl("restart", "--rolling", "slow", timeout=30)
        expect_rc(r, 0, "restart --rolling of one process")
        expect(c.status()["slow"]["pid"] != pid, "slow was not restarted")


STATE = "state_dir = @DIR@/var/state\n"


def test_scale_under_load_touches_no_other_instance():
    """scale 4 -> 8 -> 2 under the client loop: 0 failed requests; the new
    instances start one at a time, each ready; the surplus ones stop, the
    highest first; the instances kept keep their pids; status says so."""
    port = free_port()
    with Corral(web(port), scripts=SCRIPTS, corral_extra=STATE, name="scale") as c:
        before = c.wait_running(NAMES[:4], 20)
        with Load(port, count=20000) as load:
            r = c.ctl("scale", "web", "8", timeout=60)
            expect_rc(r, 0, "scale web 8")
            started = [l for l in r.lines if l.startswith("web:")]
            expect(started == ["%s: started (ready)" % n for n in NAMES[4:8]],
                   "new ones not started in order: %r" % started, r)
            expect("4 of 4 started" in r.lines, "no summary", r)
            st = c.status()
            for n in NAMES[:4]:
                expect(st[n]["pid"] == before[n], "%s was touched by the scale up" % n)
            for n in NAMES[4:8]:
                expect(st[n]["state"] == "RUNNING", "%s is not running" % n, st[n])
            expect(all(st[n]["scale"] == 8 and st[n]["numprocs"] == 4 for n in NAMES[:8]),
                   "status does not show the scale", st["web:web_0"])
            text = c.ctl("status", "web:web_0").out
            expect("scaled to 8 (numprocs 4)" in text, "status text: %r" % text)
            wait_until(lambda: len(load.pids) >= 5 or not load.t.is_alive(), 20,
                       lambda: "answers from a new instance (%s)" % load)
            r = c.ctl("scale", "web", "2", timeout=60)
            expect_rc(r, 0, "scale web 2")
            expect("web: scaled from 8 to 2" in r.lines, "no summary", r)
        load.expect_clean("scale 4 -> 8 -> 2")
        st = c.status()
        expect(sorted(n for n in st if n.startswith("web:")) == NAMES[:2], "left: %s" % sorted(st))
        for n in NAMES[:2]:
            expect(st[n]["pid"] == before[n], "%s was touched by the scale" % n)
        # the highest went first
        log = c.read(c.stderr_path) or ""
        gone = [l.split("corrald info: ")[1].split(":")[1] for l in log.splitlines()
                if "removed (scaled down)" in l]
        expect(gone == ["web_%d" % i for i in range(7, 1, -1)], "removed in order %r" % gone)
        note("scale under load: %s" % load)


def test_scale_kept_across_reexec_restart_and_reload():
    """The scale lives in state_dir: it survives corralctl reexec (the same
    pids) and a restart of corrald; --reset goes back to numprocs; a reload
    that changes numprocs scales the same way, the others untouched."""
    port = free_port()
    with Corral(web(port, n=2), scripts=SCRIPTS, corral_extra=STATE, name="scalekeep") as c:
        c.wait_running(NAMES[:2], 20)
        expect_rc(c.ctl("scale", "web", "3", timeout=60), 0, "scale web 3")
        pids = pids_of(c, 3)
        state = c.read(c.path("var", "state", "state")) or ""
        expect("scale web 3" in state.splitlines(), "state file: %r" % state)
        r = c.ctl("reexec", timeout=60)
        expect_rc(r, 0, "reexec")
        wait_until(lambda: c.ctl("version").rc == 0, 20, "corrald back after the exec")
        expect(pids_of(c, 3) == pids, "pids changed across reexec")
        expect(c.status()["web:web_2"]["scale"] == 3, "scale lost by reexec")

        expect_rc(c.ctl("shutdown"), 0, "shutdown")
        c.wait_exit(30)
        c.start()
        c.wait_running(NAMES[:3], 20)
        expect("web:web_3" not in c.status(), "too many after the restart")

        r = c.ctl("scale", "web", "--reset", timeout=60)
        expect_rc(r, 0, "scale --reset")
        expect("web: scaled from 3 to 2" in r.lines, "reset", r)
        st = c.status()
        expect("web:web_2" not in st and st["web:web_0"]["scale"] is None, "not reset", st)
        state = c.read(c.path("var", "state", "state")) or ""
        expect("scale web" not in state, "state file still scales: %r" % state)

        # A reload that changes numprocs: scaled, the others untouched,
        # the new ones started one at a time, each ready before the next.
        kept = pids_of(c, 2)
        write(c, "delay", "0.5")
        c.write_config(web(port, n=4))
        r = c.ctl("reload", timeout=60)
        expect_rc(r, 0, "reload")
        expect("web: scaled from 2 to 4" in r.out, "reload did not scale", r)
        samples = []

        def up():
            st = c.status()
            samples.append([st.get(n, {}).get("state") for n in NAMES[2:4]])
            return all(st.get(n, {}).get("state") == "RUNNING" for n in NAMES[:4])
        wait_until(up, 20, "the scaled up instances to run")
        expect(not any(x == ["STARTING", "STARTING"] for x in samples),
               "the reload started both new instances at once", samples)
        expect(any(x[0] == "STARTING" and x[1] != "STARTING" for x in samples),
               "web_2 was never seen starting alone", samples)
        expect(pids_of(c, 2) == kept, "the reload touched the instances it kept")
        write(c, "delay", "0")
        c.write_config(web(port, n=1))
        r = c.ctl("reload", timeout=60)
        expect("web: scaled from 4 to 1" in r.out, "reload did not scale down", r)
        wait_until(lambda: "web:web_1" not in c.status(), 20, "the reload's scale down")
        expect(c.status()["web:web_0"]["pid"] == kept["web:web_0"], "web_0 touched")


def test_scale_errors():
    """Bad input: an unknown program, a bad count, a program that cannot be
    scaled (process_name without %(process_num)d, reuseport), no state_dir
    write; nothing changes."""
    port = free_port()
    other = next(p for p in iter(free_port, None) if p != port)
    cfg = (web(port, n=2) + prog("solo", "/bin/sleep 100", startsecs=1) +
           "[socket:r]\nlisten = tcp:127.0.0.1:%d\nprogram = rp\nreuseport = true\n\n" % other +
           prog("rp", "@PY@ @DIR@/httpd.py", numprocs=2, ready="notify",
                process_name="%(program_name)s_%(process_num)d"))
    with Corral(cfg, scripts=SCRIPTS, corral_extra=STATE, name="scaleerr") as c:
        c.wait_running(NAMES[:2] + ["solo", "rp:rp_0", "rp:rp_1"], 20)
        for args, rc, text in [
                (("nosuch", "2"), 2, "no such program: nosuch"),
                (("web", "0"), 2, "bad count: '0' (expected a number from 1 to 1000, or --reset)"),
                (("web", "x"), 2, "bad count: 'x'"),
                (("web", "1001"), 2, "bad count: '1001'"),
                (("web",), 2, "scale"),
                (("solo", "2"), 1, "solo: cannot scale: its process_name has no %(process_num)d"),
                (("rp", "3"), 1, "rp: cannot scale: its [socket:] has reuseport = true")]:
            r = c.ctl("scale", *args)
            expect(r.rc == rc and text in r.out + r.err, "scale %s: %r" % (" ".join(args), r))
        expect(not os.path.exists(c.path("var", "state", "state")), "a refused scale wrote state")
        expect(sorted(n for n in c.status() if n.startswith("web:")) == NAMES[:2], "web changed")
