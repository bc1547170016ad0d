"""Readiness (ready = notify | fd:N, start_timeout, watchdog_sec), corralctl
wait, and requires/after dependencies, with real clients of the protocols."""

import os
import re
import socket
import subprocess
import time

from harness import PY, Corral, corrald_path, expect, expect_rc, prog, run, wait_until

# Says READY=1 (and a STATUS) after a delay it is given, then pings its
# watchdog while the file @DIR@/hang does not exist.
NOTIFIER = r'''import os, socket, sys, time
delay = float(sys.argv[1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = os.environ["NOTIFY_SOCKET"]
open(sys.argv[2], "a").write("%d\n" % os.getpid())
time.sleep(delay)
s.sendto(b"STATUS=warmed up\nREADY=1", addr)
hang = os.path.join(os.path.dirname(sys.argv[2]), "hang")
while True:
    time.sleep(0.3)
    if "WATCHDOG_USEC" in os.environ and not os.path.exists(hang):
        s.sendto(b"WATCHDOG=1", addr)
'''


def test_notify_ready_and_status_text():
    cfg = prog("svc", "@PY@ @DIR@/notifier.py 1.5 @DIR@/pids", ready="notify")
    with Corral(cfg, scripts={"notifier.py": NOTIFIER}, name="notify") as c:
        st = c.wait_state("svc", "STARTING", 5)
        # Alive well past startsecs, but not ready until it says so.
        time.sleep(1.1)
        st = c.status()["svc"]
        expect(st["state"] == "STARTING", "STARTING until READY=1", st)
        expect("ready" in st["info"], "status says what it waits for", st)
        st = c.wait_state("svc", "RUNNING", 10)
        expect(st["info"] == "warmed up", "STATUS= shows in status", st)
        r = c.ctl("status", "svc")
        expect("warmed up" in r.out, "and in the text form", r)


def test_systemd_notify_from_a_shell_does_not_hang():
    """Debian's systemd-notify --ready credits its parent and then waits on a
    BARRIER: answered by closing the fd, it returns at once."""
    if not os.path.exists("/usr/bin/systemd-notify") and not os.path.exists("/bin/systemd-notify"):
        raise AssertionError("systemd-notify is not installed (Debian package systemd)")
    cmd = ("/bin/sh -c 'systemd-notify --ready --status=\"from a shell\"; "
           "date +%%s.%%N > @DIR@/after; exec /bin/sleep 1000'")
    with Corral(prog("sh", cmd, ready="notify"), name="systemd_notify") as c:
        start = time.time()
        st = c.wait_state("sh", "RUNNING", 10)
        expect(st["info"] == "from a shell", "its status text", st)
        wait_until(lambda: c.read(c.path("after")), 10, "the script to go on")
        after = float(c.read(c.path("after")))
        expect(after - start < 4.0,
               "systemd-notify returned %.1fs after start: the barrier was not answered"
               % (after - start))


def test_forged_ready_from_outside_the_tree_is_ignored():
    cfg = prog("svc", "@PY@ @DIR@/notifier.py 1000 @DIR@/pids", ready="notify",
               start_timeout=0)
    with Corral(cfg, scripts={"notifier.py": NOTIFIER}, name="forged") as c:
        c.wait_state("svc", "STARTING", 5)
        addr = c.sock + ".notify"
        expect(os.path.exists(addr), "the notify socket is beside the control socket", addr)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        for _ in range(3):
            s.sendto(b"READY=1\nSTATUS=forged", addr)
        s.close()
        time.sleep(0.5)
        st = c.status()["svc"]
        expect(st["state"] == "STARTING" and st["info"] != "forged",
               "a READY=1 from a process outside its tree changes nothing", st)


def test_ready_fd_the_s6_way():
    cmd = "/bin/sh -c 'sleep 1.5 && echo >&4 && exec /bin/sleep 1000'"
    with Corral(prog("s6", cmd, **{"ready": "fd:4"}), name="ready_fd") as c:
        c.wait_state("s6", "STARTING", 5)
        time.sleep(1.0)
        expect(c.status()["s6"]["state"] == "STARTING", "STARTING until its newline on fd 4")
        c.wait_state("s6", "RUNNING", 10)
        # Without the newline it would never be: end of file is not readiness.
    cmd = "/bin/sh -c 'exec 4>&-; exec /bin/sleep 1000'"
    with Corral(prog("mute", cmd, **{"ready": "fd:4", "start_timeout": 1, "startretries": 0}),
                name="ready_fd_eof") as c:
        st = c.wait_state("mute", "FATAL", 10)
        expect(st["info"] == "not ready within start_timeout", "closing fd 4 is not ready", st)


def test_start_timeout_is_a_failed_start():
    cfg = prog("slow", "@PY@ @DIR@/notifier.py 1000 @DIR@/pids", ready="notify",
               start_timeout=1, startretries=1)
    with Corral(cfg, scripts={"notifier.py": NOTIFIER}, name="start_timeout") as c:
        st = c.wait_state("slow", "FATAL", 15)
        expect(st["info"] == "not ready within start_timeout", "says why", st)
        pids = [int(x) for x in c.read(c.path("pids")).split()]
        expect(len(pids) == 2, "one start and one retry", pids)
        for p in pids:
            expect(not os.path.exists("/proc/%d" % p) or
                   open("/proc/%d/stat" % p).read().split()[2] == "Z",
                   "the unready process %d was killed" % p)
        r = c.ctl("wait", "slow")
        expect_rc(r, 1, "wait on a FATAL program")
        # corralctl start gives the real reason, as status does.
        r = c.ctl("start", "slow", timeout=30)
        expect_rc(r, 1, "start of a program that is never ready")
        expect("slow: ERROR (not ready within start_timeout, killed by SIGKILL)" in r.err,
               "start's failure gives the reason status gives", r)
        r = c.ctl("status", "slow")
        expect("killed by SIGKILL, not ready within start_timeout" in r.out, "status", r)


def test_watchdog_expiry_restarts_the_tree():
    cfg = prog("dog", "@PY@ @DIR@/notifier.py 0 @DIR@/pids", ready="notify", watchdog_sec=1,
               autorestart=False)
    with Corral(cfg, scripts={"notifier.py": NOTIFIER}, name="watchdog") as c:
        first = c.wait_state("dog", "RUNNING", 10)["pid"]
        # Pinging: it stays up for several watchdog periods.
        time.sleep(2.5)
        expect(c.status()["dog"]["pid"] == first, "a pinging program is left alone")
        open(c.path("hang"), "w").close()
        st = wait_until(lambda: (lambda s: s if s["pid"] not in (0, first) and s["state"] == "RUNNING"
                                 else None)(c.status()["dog"]), 15, "a new run after the watchdog fired")
        expect("restarted after a watchdog timeout" in st["info"], "status says why", st)
        expect(not os.path.exists("/proc/%d" % first) or
               open("/proc/%d/stat" % first).read().split()[2] == "Z", "the hung one was killed")
        expect("missed its watchdog" in c.stderr_text(), "logged")
        os.unlink(c.path("hang"))


def test_wait_verb():
    cfg = (prog("svc", "@PY@ @DIR@/notifier.py 1 @DIR@/pids", ready="notify") +
           prog("off", "/bin/sleep 1000", autostart=False))
    with Corral(cfg, scripts={"notifier.py": NOTIFIER}, name="wait_verb") as c:
        r = c.ctl("wait", "--timeout", "20", "svc")
        expect_rc(r, 0, "wait until ready")
        expect(c.status()["svc"]["state"] == "RUNNING", "it is RUNNING when wait returns")
        r = c.ctl("wait", "--timeout", "0.5", "off")
        expect_rc(r, 1, "wait on one that is not started times out")
        expect("off: not ready (STOPPED)" in r.err, "says who", r)
        expect_rc(c.ctl("wait", "nosuch"), 2, "unknown name")


def test_requires_chain_starts_in_order_and_failure_stops_dependents():
    # a <- b <- c: each logs its start, then says it is ready (fd 3), so
    # that the order of the log is the order of readiness.
    def member(name, extra=""):
        return ("/bin/sh -c 'echo %s >> @DIR@/order && %s echo >&3 && exec /bin/sleep 1000'"
                % (name, extra))
    cfg = (prog("a", member("a"), ready="fd:3") +
           prog("b", member("b", "sleep 1 &&"), requires="a", ready="fd:3") +
           prog("c", member("c"), requires="b", ready="fd:3"))
    with Corral(cfg, name="deps_chain") as c:
        expect_rc(c.ctl("wait", "--timeout", "20", "c"), 0, "the chain comes up")
        wait_until(lambda: len(c.read(c.path("order")).split()) == 3, 5, "three starts")
        expect(c.read(c.path("order")).split() == ["a", "b", "c"], "in order",
               c.read(c.path("order")))
        st = c.status()
        old_c = st["c"]["pid"]
        # b fails: c, which requires it, is stopped, and starts again when b is back.
        os.kill(st["b"]["pid"], 9)
        wait_until(lambda: c.status()["c"]["pid"] != old_c, 10, "c to be stopped")
        st = c.status()
        expect(st["c"]["state"] in ("STOPPED", "STARTING", "RUNNING"), "c followed b down", st["c"])
        expect_rc(c.ctl("wait", "--timeout", "20", "c"), 0, "c is back once b is")
        expect(c.status()["c"]["pid"] not in (0, old_c), "with a new process")
        # At shutdown what requires a program stops before it: c, then b, then a.
        expect_rc(c.ctl("shutdown"), 0, "shutdown")
        c.wait_exit(20)
        order = [m.group(1) for m in re.finditer(r"corrald info: (\w): stopping pid",
                                                 c.stderr_text())]
        expect(order[-3:] == ["c", "b", "a"], "stopped in dependency order", order)


def test_status_shows_what_a_program_waits_for():
    cfg = (prog("db", "/bin/sleep 1000", autostart=False) +
           prog("app", "/bin/sleep 1000", requires="db", startsecs=0))
    with Corral(cfg, name="deps_status") as c:
        # app requires db, which is started for it.
        expect_rc(c.ctl("wait", "--timeout", "20", "app"), 0, "app comes up, db with it")
        expect(c.status()["db"]["state"] == "RUNNING", "db was started because app requires it")


def test_dependency_config_errors():
    with Corral(name="deps_errors", start=False) as c:
        text = ("[program:a]\ncommand = /bin/true\nrequires = b\n"
                "[program:b]\ncommand = /bin/true\nafter = c, nope\n"
                "[program:c]\ncommand = /bin/true\nrequires = a\n")
        c.write_config(text, raw=True)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10)
        expect_rc(r, 2, "corrald --check")
        expect(re.search(r":4: \[program:b\]: after: unknown program 'nope'", r.err), "unknown name", r)
        expect(re.search(r":7: \[program:c\]: dependency cycle: a -> b -> c -> a", r.err) or
               re.search(r"dependency cycle: ", r.err), "cycle", r)


LIBSYSTEMD_CLIENT = r'''import ctypes, sys, time
lib = ctypes.CDLL("libsystemd.so.0")
time.sleep(0.5)
# The real client: libsystemd's own sd_notify(), as a long-running service calls it.
rc = lib.sd_notify(0, b"READY=1\nSTATUS=libsystemd says hello")
open(sys.argv[1], "w").write(str(rc))
while True:
    time.sleep(1)
'''


def test_libsystemd_sd_notify_client():
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/libsystemd.so.0"):
        raise AssertionError("libsystemd0 is not installed")
    cfg = prog("lsd", "@PY@ @DIR@/lsd.py @DIR@/rc", ready="notify")
    with Corral(cfg, scripts={"lsd.py": LIBSYSTEMD_CLIENT}, name="libsystemd") as c:
        st = c.wait_state("lsd", "RUNNING", 10)
        expect(st["info"] == "libsystemd says hello", "its STATUS", st)
        wait_until(lambda: c.read(c.path("rc")), 5, "sd_notify's return value")
        expect(int(c.read(c.path("rc"))) > 0, "sd_notify() found the socket and sent",
               c.read(c.path("rc")))


def test_stopping_a_required_program_stops_what_requires_it_first():
    cfg = (prog("a", "/bin/sleep 1000", startsecs=0) +
           prog("b", "/bin/sleep 1000", startsecs=0, requires="a") +
           prog("c", "/bin/sleep 1000", startsecs=0, requires="b") +
           prog("d", "/bin/sleep 1000", startsecs=0))
    with Corral(cfg, name="deps_stop_order") as c:
        expect_rc(c.ctl("wait", "--timeout", "20", "c", "d"), 0, "all up")
        r = c.ctl("stop", "a", timeout=30)
        expect_rc(r, 0, "stop a")
        st = c.status()
        expect(all(st[n]["state"] == "STOPPED" for n in "abc"), "a and what requires it", st)
        expect(st["d"]["state"] == "RUNNING", "others untouched", st["d"])
        order = [m.group(1) for m in re.finditer(r"corrald info: (\w): stopping pid",
                                                 c.stderr_text())]
        expect(order == ["c", "b", "a"], "what requires a program stops before it", order)
        # And they start again in order when asked.
        expect_rc(c.ctl("start", "c", timeout=30), 0, "start c starts b and a for it")
        expect(all(c.status()[n]["state"] == "RUNNING" for n in "abc"), "all back")
