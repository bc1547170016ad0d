"""start, stop, restart, status formats, pid, version, shutdown."""

import json
import os
import re
import signal
import time

from harness import (PY, Corral, SLEEP, VERSION, corrald_path, corralctl_path, expect, expect_gone,
                     expect_rc, parse_status_text, pid_alive, pid_exists, prog, run, wait_until)

UPTIME_RE = re.compile(r"^pid (\d+), uptime (\d+):(\d\d):(\d\d)$")


def test_start_stop_restart():
    cfg = prog("web", SLEEP, startsecs=1, stopwaitsecs=2)
    with Corral(cfg, name="start_stop_restart") as c:
        pid1 = c.wait_state("web", "RUNNING", 5)["pid"]
        expect(pid_alive(pid1), "RUNNING web's pid %d is not a live process" % pid1)

        r = c.ctl("stop", "web")
        expect_rc(r, 0, "stop web")
        expect("web: stopped" in r.lines, "stop output lacks 'web: stopped'", r)
        # stop answers only once the process is gone (reaped, not a zombie).
        expect_gone(pid1, "stopped web")
        r = c.ctl("status", "web")
        expect_rc(r, 3, "status of a stopped process")
        st = parse_status_text(r.out)
        expect(st.get("web", ("",))[0] == "STOPPED", "status text after stop", r)
        expect(c.status()["web"]["pid"] == 0, "json pid after stop is not 0")

        r = c.ctl("stop", "web")
        expect_rc(r, 0, "stop of a stopped process")
        expect("web: not running" in r.lines, "second stop output", r)

        r = c.ctl("start", "web")
        expect_rc(r, 0, "start web")
        expect("web: started" in r.lines, "start output lacks 'web: started'", r)
        # start waits for RUNNING, which takes startsecs=1.
        expect(r.elapsed >= 0.8, "start returned after %.2fs, before startsecs=1 elapsed" % r.elapsed)
        st = c.status()["web"]
        expect(st["state"] == "RUNNING", "state right after start returned", st)
        pid2 = st["pid"]
        expect(pid2 not in (0, pid1) and pid_alive(pid2), "start gave no new live pid", pid1, pid2)

        r = c.ctl("start", "web")
        expect("web: already started" in r.all, "start of a running process", r)
        expect(c.status()["web"]["pid"] == pid2, "start of a running process changed its pid")

        r = c.ctl("restart", "web")
        expect_rc(r, 0, "restart web")
        expect(r.lines[:2] == ["web: stopped", "web: started"], "restart output", r)
        st = c.status()["web"]
        expect(st["state"] == "RUNNING", "state after restart", st)
        pid3 = st["pid"]
        expect(pid3 not in (0, pid2), "restart did not give a new pid", pid2, pid3)
        expect_gone(pid2, "restarted web's old process")

        expect_rc(c.ctl("status"), 0, "status with everything running")


def test_status_text_and_json():
    long = "a_program_with_a_rather_long_name"
    cfg = (prog("web", SLEEP, startsecs=0)
           + prog(long, SLEEP, startsecs=0)
           + prog("idle", SLEEP, autostart=False))
    with Corral(cfg, name="status_format") as c:
        pids = c.wait_running(["web", long])
        time.sleep(1.1)  # let uptime reach at least 1 s
        r = c.ctl("status")
        expect_rc(r, 3, "status with one program STOPPED")
        st = parse_status_text(r.out)
        expect(set(st) == {"web", long, "idle"}, "status lists exactly the programs", r)
        state, desc, line = st["web"]
        expect(state == "RUNNING", "web state", line)
        m = UPTIME_RE.match(desc)
        expect(m is not None, "description is not 'pid N, uptime H:MM:SS'", line)
        expect(int(m.group(1)) == pids["web"], "text pid differs from json pid", line, pids)
        up = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4))
        expect(1 <= up <= 30, "uptime %ds is implausible" % up, line)
        # Columns: name padded to at least 20, state padded to 10.
        for n in ("web", "idle"):
            line = st[n][2]
            col = line.index(st[n][0], len(n))
            expect(col >= 20, "state column starts at %d (< 20)" % col, line)
            if st[n][1]:
                dcol = line.index(st[n][1], col + len(st[n][0]))
                expect(dcol - col >= 10, "state not padded to 10", line)
        expect(st["idle"][0] == "STOPPED", "idle state", st["idle"])
        lline = st[long][2]
        expect(lline.startswith(long + " "), "long name not followed by a space", lline)
        expect(st[long][0] == "RUNNING", "long-named program state", lline)
        cols = {st[n][2].index(st[n][0], len(n)) for n in ("web", "idle")}
        expect(len(cols) == 1, "state columns of short names not aligned", r.out)

        r = c.ctl("--json", "status")
        expect_rc(r, 3, "status --json with one STOPPED")
        arr = json.loads(r.out)
        expect(isinstance(arr, list) and len(arr) == 3, "json status is not a 3-element array", r.out)
        by = {p["name"]: p for p in arr}
        keys = {"name", "group", "state", "pid", "uptime", "exitcode", "signal", "spawnerr", "info"}
        for p in arr:
            expect(keys <= set(p), "json object lacks fields %s" % (keys - set(p)), p)
            expect(isinstance(p["pid"], int) and isinstance(p["uptime"], int), "pid/uptime not ints", p)
            expect(p["exitcode"] is None or isinstance(p["exitcode"], int), "exitcode type", p)
            expect(p["signal"] is None or isinstance(p["signal"], str), "signal type", p)
            expect(p["spawnerr"] is None or isinstance(p["spawnerr"], str), "spawnerr type", p)
            expect(isinstance(p["info"], str), "info type", p)
        w = by["web"]
        expect(w["group"] == "web" and w["state"] == "RUNNING" and w["pid"] == pids["web"], "json web", w)
        expect(w["uptime"] >= 1, "json uptime", w)
        expect(by["idle"]["pid"] == 0 and by["idle"]["uptime"] == 0, "json idle", by["idle"])
        expect(by["idle"]["spawnerr"] in (None, ""), "json idle spawnerr", by["idle"])

        r = c.ctl("--json", "status", "web")
        expect_rc(r, 0, "status --json web")
        expect([p["name"] for p in json.loads(r.out)] == ["web"], "json status web", r.out)


def test_pid_and_version():
    cfg = prog("web", SLEEP, startsecs=0) + prog("idle", SLEEP, autostart=False)
    with Corral(cfg, name="pid_version") as c:
        wpid = c.wait_state("web", "RUNNING")["pid"]
        r = c.ctl("pid")
        expect_rc(r, 0, "pid")
        expect(r.out.strip() == str(c.pid), "`pid` is not corrald's pid %d" % c.pid, r)
        r = c.ctl("pid", "web")
        expect_rc(r, 0, "pid web")
        expect(r.out.strip() == str(wpid), "`pid web` is not web's pid %d" % wpid, r)
        r = c.ctl("pid", "idle")
        expect_rc(r, 1, "pid of a stopped process")
        expect(r.all.strip() == "0", "`pid idle` should print 0", r)
        r = c.ctl("pid", "nosuch")
        expect_rc(r, 2, "pid of an unknown name")

        r = c.ctl("version")
        expect_rc(r, 0, "version")
        expect(r.out.strip() == VERSION, "version verb", r)
        r = run([corralctl_path(), "--version"])
        expect(r.rc == 0 and VERSION in r.all, "corralctl --version", r)
        r = run([corrald_path(), "--version"])
        expect(r.rc == 0 and VERSION in r.all, "corrald --version", r)
        r = run([corralctl_path(), "--help"])
        expect(r.rc == 0 and "corralctl" in r.all, "corralctl --help", r)
        r = run([corrald_path(), "--help"])
        expect(r.rc == 0 and "corrald" in r.all, "corrald --help", r)


def test_shutdown_verb():
    cfg = prog("a", SLEEP, startsecs=0) + prog("b", SLEEP, startsecs=0)
    with Corral(cfg, name="shutdown_verb", pidfile="@DIR@/run/corrald.pid") as c:
        pids = c.wait_running(["a", "b"])
        r = c.ctl("shutdown")
        expect_rc(r, 0, "shutdown")
        expect("shutting down" in r.out, "shutdown output", r)
        rc = c.wait_exit(10)
        expect(rc == 0, "corrald exit status after `shutdown` is %s" % rc)
        for n, p in pids.items():
            expect_gone(p, "worker " + n)
        expect(not os.path.exists(c.sock), "socket %s not removed at exit" % c.sock)
        expect(not os.path.exists(c.path("run", "corrald.pid")), "pidfile not removed at exit")


def test_sigint_shutdown():
    cfg = prog("a", SLEEP, startsecs=0)
    with Corral(cfg, name="sigint") as c:
        p = c.wait_state("a", "RUNNING")["pid"]
        c.signal(signal.SIGINT)
        rc = c.wait_exit(10)
        expect(rc == 0, "corrald exit status after SIGINT is %s" % rc)
        expect_gone(p, "worker a")
        expect(not os.path.exists(c.sock), "socket not removed at exit")


def test_pidfile():
    cfg = prog("a", SLEEP, startsecs=0)
    with Corral(cfg, name="pidfile", pidfile="@DIR@/run/corrald.pid") as c:
        pf = c.path("run", "corrald.pid")
        text = c.read(pf)
        expect(text is not None, "pidfile %s not written" % pf)
        expect(text.strip() == str(c.pid), "pidfile holds %r, corrald is %d" % (text, c.pid))
        c.signal(signal.SIGTERM)
        expect(c.wait_exit(10) == 0, "exit status after SIGTERM")
        expect(not os.path.exists(pf), "pidfile not removed at exit")
        expect(not os.path.exists(c.sock), "socket not removed at exit")


def test_pidfile_of_another_is_left():
    """A pidfile written over since corrald started (by an operator, another
    corrald) is not corrald's to remove at exit."""
    cfg = prog("a", SLEEP, startsecs=0)
    with Corral(cfg, name="pidfile_other", pidfile="@DIR@/run/corrald.pid") as c:
        pf = c.path("run", "corrald.pid")
        wait_until(lambda: (c.read(pf) or "").strip() == str(c.pid), 10, "the pidfile")
        with open(pf, "w") as f:
            f.write("1\n")
        c.signal(signal.SIGTERM)
        expect(c.wait_exit(10) == 0, "exit status after SIGTERM")
        expect(c.read(pf) == "1\n", "another's pidfile was removed or changed", c.read(pf))
        expect("no longer holds pid %d: left as it is" % c.pid in c.stderr_text(),
               "the log says why it stays", c.stderr_tail())


def test_creates_dirs_and_replaces_stale_socket():
    import socket as so
    with Corral(prog("a", "/bin/sh -c 'echo hello-@TAG@; exec /bin/sleep 1000'", startsecs=0),
                name="dirs", make_dirs=False, start=False) as c:
        # socket and logdir two levels below missing directories
        c.sock = c.path("r1", "r2", "corral.sock")
        c.logdir = c.path("l1", "l2")
        c.write_config(prog("a", "/bin/sh -c 'echo hello-@TAG@; exec /bin/sleep 1000'", startsecs=0))
        c.start()
        c.wait_state("a", "RUNNING")
        wait_until(lambda: "hello-" + c.tag in (c.read(c.log("a")) or ""), 5,
                   "a.out in the created logdir")
        c.signal(signal.SIGTERM)
        expect(c.wait_exit(10) == 0, "exit after SIGTERM")
        # A stale socket file (nobody listening) must not stop the next start.
        s = so.socket(so.AF_UNIX, so.SOCK_STREAM)
        s.bind(c.sock)
        s.close()
        expect(os.path.exists(c.sock), "test setup: stale socket file")
        c.start()
        c.wait_state("a", "RUNNING")
        expect_rc(c.ctl("status", "a"), 0, "status after start over a stale socket")


def test_sd_notify_ready_and_stopping():
    """corrald tells a Type=notify service manager READY=1 once its autostart
    programs are spawned and STOPPING=1 at shutdown, and does not hand
    NOTIFY_SOCKET on to its workers."""
    import socket as _socket
    import tempfile
    d = tempfile.mkdtemp(prefix="corral-e2e-notify-")
    path = os.path.join(d, "notify.sock")
    listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(10)
    cfg = prog("env", "/bin/sh -c 'echo NOTIFY=${NOTIFY_SOCKET:-unset}; exec %s'" % SLEEP,
               startsecs=0)
    try:
        with Corral(cfg, name="sd_notify", env={"NOTIFY_SOCKET": path}) as c:
            first = listener.recv(4096).decode()
            expect("READY=1" in first, "first notification was %r" % first)
            expect("MAINPID=%d" % c.pid in first, "no MAINPID in %r" % first)
            c.wait_state("env", "RUNNING", 5)
            wait_until(lambda: "NOTIFY=" in (c.read(c.log("env")) or ""), 5, "the worker's line")
            expect("NOTIFY=unset" in c.read(c.log("env")),
                   "worker inherited NOTIFY_SOCKET: %r" % c.read(c.log("env")))
            expect_rc(c.ctl("shutdown"), 0)
            second = listener.recv(4096).decode()
            expect("STOPPING=1" in second, "second notification was %r" % second)
            c.wait_exit(10)
    finally:
        listener.close()
        os.unlink(path)
        os.rmdir(d)


def sig_fields(pid):
    """{SigBlk, SigIgn} of PID, as ints."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("SigBlk", "SigIgn"):
                out[k] = int(v.strip(), 16)
    return out


# Ignore signals the way a parent of corrald might (nohup: SIGHUP), the C
# library's own real-time signals 32 and 33 included (only the system call
# itself sets those), then exec corrald.
IGNORE_THEN_EXEC = r"""
import ctypes, os, platform, signal, sys
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGTERM, 34, 40):
    signal.signal(s, signal.SIG_IGN)
nr = {"x86_64": 13, "aarch64": 134}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
act = (ctypes.c_ulong * 8)(1)        # SIG_IGN, no flags, empty mask
for s in (32, 33):
    if libc.syscall(ctypes.c_long(nr), ctypes.c_long(s), act, None, ctypes.c_ulong(8)) != 0:
        sys.exit("rt_sigaction(%d): errno %d" % (s, ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_workers_get_default_signal_dispositions():
    """corrald started as nohup starts it (SIGHUP ignored), or with other
    signals ignored (the C library's own 32 and 33 too): its workers still
    start with no signal ignored or blocked, so a shell's `trap ... HUP`
    works in them."""
    wrap = [PY, "-c", IGNORE_THEN_EXEC]
    cfg = (prog("plain", SLEEP, startsecs=0)
           + prog("trapper", "/bin/sh -c 'trap \"echo got-hup >@DIR@/hup\" HUP; echo x >@DIR@/trap;"
                  " while :; do sleep 0.1; done'", startsecs=0))
    with Corral(cfg, name="sigdfl", wrap=wrap) as c:
        ign = sig_fields(c.pid)["SigIgn"]
        expect(all(ign & (1 << (s - 1)) for s in (signal.SIGHUP, 32, 33, 34)),
               "the wrapper did not leave SIGHUP, 32, 33 and 34 ignored in corrald (test setup)",
               hex(ign))
        pid = c.wait_state("plain", "RUNNING")["pid"]
        f = sig_fields(pid)
        expect(f["SigIgn"] == 0 and f["SigBlk"] == 0, "a worker starts with signals ignored "
               "or blocked: SigIgn %x SigBlk %x" % (f["SigIgn"], f["SigBlk"]))
        c.wait_state("trapper", "RUNNING")
        wait_until(lambda: os.path.exists(c.path("trap")), 20, "the trap to be set")
        expect_rc(c.ctl("signal", "HUP", "trapper"), 0, "signal HUP trapper")
        wait_until(lambda: os.path.exists(c.path("hup")), 20, "the shell's HUP trap to run")
        expect(c.status()["trapper"]["state"] == "RUNNING", "trapper survives its trapped HUP")


def test_command_found_in_the_programs_own_path():
    """A command without '/' is looked for in the PATH of the program's
    environment, as supervisord looks for it, not in corrald's own."""
    cfg = prog("t", "mytool @TAG@", startsecs=0, autorestart=False,
               environment="PATH=\"@DIR@/bin:/usr/bin:/bin\"")
    with Corral(cfg, name="own_path", start=False) as c:
        os.makedirs(c.path("bin"))
        with open(c.path("bin", "mytool"), "w") as f:
            f.write("#!/bin/sh\necho found-in-own-path\n")
        os.chmod(c.path("bin", "mytool"), 0o755)
        c.start()
        st = c.wait_state("t", "EXITED", 20)
        expect(st["exitcode"] == 0, "mytool ran", st)
        wait_until(lambda: "found-in-own-path" in (c.read(c.log("t")) or ""), 10, "its output")
