"""Crashes, backoff, FATAL, autorestart, spawn errors, stopping and signals."""

import os
import signal
import time

from harness import (Corral, SLEEP, children_of, is_guard, expect, expect_gone, expect_rc, parse_status_text,
                     pid_alive, prog, wait_until)

# Appends its start time (CLOCK_MONOTONIC) to FILE, sleeps SECS, exits CODE.
RUNLOG = """\
import sys, time
with open(sys.argv[1], "a") as f:
    f.write("%.6f\\n" % time.monotonic())
time.sleep(float(sys.argv[2]))
sys.exit(int(sys.argv[3]))
"""

# Ignores SIGTERM; touches READY once it does.
STUBBORN = """\
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").close()
while True:
    time.sleep(1)
"""

# Takes 0.8 s to exit on SIGTERM, then writes DONE.
SLOWSTOP = """\
import signal, sys, time
def on_term(sig, frame):
    time.sleep(0.8)
    with open(sys.argv[2], "w") as f:
        f.write("done")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
open(sys.argv[1], "w").close()
while True:
    time.sleep(1)
"""

SCRIPTS = {"runlog.py": RUNLOG, "stubborn.py": STUBBORN, "slowstop.py": SLOWSTOP}


def runs(c, fname):
    text = c.read(c.path(fname)) or ""
    return [float(x) for x in text.split()]


def desc(c, name):
    r = c.ctl("status", name)
    return parse_status_text(r.out).get(name, ("", "", r.all))


def test_crash_backoff_fatal():
    cfg = (prog("a", "@PY@ @DIR@/runlog.py @DIR@/runs_a 0 1", startsecs=1, startretries=2)
           + prog("z", "@PY@ @DIR@/runlog.py @DIR@/runs_z 0 1", startsecs=0, startretries=2)
           + prog("s", "/bin/sh -c 'exit 1'", startsecs=1, startretries=1, autostart=False))
    with Corral(cfg, scripts=SCRIPTS, name="backoff") as c:
        t0 = time.monotonic()
        st = c.wait_state("a", ("FATAL",), 15)
        took = time.monotonic() - t0
        expect(st["pid"] == 0, "FATAL process has a pid", st)
        ra = runs(c, "runs_a")
        # startretries=2: two or three tries in all (the spec says "after startretries failed
        # tries"), never more, and backing off 1 s then 2 s between them.
        expect(2 <= len(ra) <= 3, "startretries=2 gave %d tries" % len(ra), ra)
        gaps = [b - a for a, b in zip(ra, ra[1:])]
        for i, g in enumerate(gaps):
            want = 2 ** i
            # never sooner than the backoff; later only by how busy the machine is
            expect(want * 0.9 <= g <= want + 5, "backoff %d was %.2fs, expected about %ds" % (i + 1, g, want), gaps)
        expect(took < 30, "FATAL took %.1fs" % took)

        # startsecs=0: RUNNING from the spawn, so each exit is an exit (EXITED,
        # not expected), which autorestart=unexpected restarts however soon it
        # comes, as supervisord does: never BACKOFF or FATAL, whatever
        # startretries, and started again no sooner than a second after the
        # last start.
        wait_until(lambda: len(runs(c, "runs_z")) >= 5, 30,
                   lambda: "z to be restarted past startretries=2 (%s)" % c.status()["z"])
        rz = runs(c, "runs_z")
        mean = (rz[-1] - rz[0]) / (len(rz) - 1)
        expect(mean >= 0.9, "z restarted every %.2fs: sooner than a second after its start" % mean,
               rz)
        stz = c.status()["z"]
        expect(stz["state"] in ("RUNNING", "EXITED"), "z (startsecs=0) is %s" % stz["state"], stz)

        # FATAL is final: no more tries.
        na = len(ra)
        time.sleep(1.5)
        expect(len(runs(c, "runs_a")) == na, "a FATAL program was retried again")
        expect(c.status()["a"]["state"] == "FATAL", "a left FATAL on its own")
        r = c.ctl("status", "a")
        expect_rc(r, 3, "status of a FATAL process")
        expect(parse_status_text(r.out)["a"][0] == "FATAL", "status text shows FATAL", r)

        # `start` waits through the retries and reports the failure.
        r = c.ctl("start", "s", timeout=20)
        expect_rc(r, 1, "start of a program that always exits at once")
        expect("s: ERROR (exited too quickly, exit status 1)" in r.err,
               "start's failure message (on stderr)", r)
        expect(c.status()["s"]["state"] == "FATAL", "s after a failed start", c.status()["s"])
test_crash_backoff_fatal.timeout = 40


def test_autorestart():
    log = "@PY@ @DIR@/runlog.py @DIR@/runs_%s %s %s"
    cfg = (prog("t", log % ("t", 1.6, 0), startsecs=1, autorestart=True)
           + prog("f", log % ("f", 1.6, 3), startsecs=1, autorestart=False)
           + prog("ue", log % ("ue", 1.6, 2), startsecs=1, autorestart="unexpected", exitcodes="0,2")
           + prog("uu", log % ("uu", 1.6, 3), startsecs=1, autorestart="unexpected", exitcodes="0,2"))
    with Corral(cfg, scripts=SCRIPTS, name="autorestart") as c:
        # Each run lasts 1.6 s: waiting for RUNNING here would race with the
        # exit on a busy machine, so the runs' own records say they started.
        for n in ("t", "f", "ue", "uu"):
            wait_until(lambda n=n: runs(c, "runs_" + n), 20, "%s to start" % n)
        # autorestart=true: an exit with an expected code restarts too.
        wait_until(lambda: len(runs(c, "runs_t")) >= 2, 20, "t to be restarted")
        st = c.wait_state("f", "EXITED", 20)
        expect(st["exitcode"] == 3 and st["pid"] == 0, "f after exiting 3", st)
        expect(desc(c, "f")[1] == "exit status 3", "status text of f", desc(c, "f"))
        st = c.wait_state("ue", "EXITED", 20)
        expect(st["exitcode"] == 2, "ue exit code", st)
        wait_until(lambda: len(runs(c, "runs_uu")) >= 2, 20, "uu (exit 3, unexpected) to be restarted")
        time.sleep(1.0)
        expect(len(runs(c, "runs_f")) == 1, "autorestart=false restarted", runs(c, "runs_f"))
        expect(len(runs(c, "runs_ue")) == 1, "an expected exit code restarted with autorestart=unexpected",
               runs(c, "runs_ue"))
        expect(c.status()["f"]["state"] == "EXITED", "f stays EXITED")
        expect_rc(c.ctl("status", "f"), 3, "status of an EXITED process")
        # The retry counter resets after RUNNING: the restarted ones are RUNNING again, not FATAL.
        for n in ("t", "uu"):
            c.wait_state(n, ("RUNNING", "STARTING"), 20)


def test_signal_verb():
    # startsecs=0: RUNNING from the spawn, so a kill right after it is an exit
    # from RUNNING (EXITED), as under supervisord, not a failed start.
    cfg = (prog("k", SLEEP, startsecs=0, autorestart="unexpected")
           + prog("kf", SLEEP, startsecs=0, autorestart=False)
           + prog("idle", SLEEP, autostart=False))
    with Corral(cfg, name="signal") as c:
        pids = c.wait_running(["k", "kf"])
        r = c.ctl("signal", "KILL", "kf")
        expect_rc(r, 0, "signal KILL kf")
        expect("kf: signalled" in r.lines, "signal output", r)
        st = c.wait_state("kf", "EXITED", 5)
        expect(st["signal"] == "SIGKILL" and st["pid"] == 0, "kf after SIGKILL", st)
        expect(st["exitcode"] is None, "exitcode of a process killed by a signal should be null", st)
        expect(desc(c, "kf")[1] == "killed by SIGKILL", "status text of kf", desc(c, "kf"))
        expect_gone(pids["kf"], "kf")

        r = c.ctl("signal", "SIGKILL", "k")
        expect_rc(r, 0, "signal SIGKILL k")
        # killed by a signal is unexpected: restarted
        wait_until(lambda: c.status()["k"]["pid"] not in (0, pids["k"]), 5,
                   lambda: "k to be restarted after SIGKILL (%s)" % c.status()["k"])

        r = c.ctl("signal", "NOSUCHSIG", "k")
        expect_rc(r, 2, "bad signal name")
        expect("bad signal name: NOSUCHSIG" in r.all, "bad signal name message", r)
        r = c.ctl("signal", "TERM", "idle")
        expect_rc(r, 1, "signal a stopped process")
        expect("idle: ERROR (not running)" in r.err, "signal to a stopped process", r)
        expect_rc(c.ctl("signal", "TERM", "nosuch"), 2, "signal an unknown name")


def test_spawn_errors():
    chdir = "chdir /nonexistent: No such file or directory"
    cfg = (prog("baddir", SLEEP, directory="/nonexistent", startsecs=1, startretries=1)
           + prog("badcmd", "corral-e2e-nosuchcmd arg", startsecs=1, startretries=1)
           + prog("badstart", SLEEP, directory="/nonexistent", startsecs=1, startretries=1,
                  autostart=False))
    with Corral(cfg, name="spawn_errors") as c:
        wait_until(lambda: chdir in desc(c, "baddir")[1], 5,
                   lambda: "status to show the chdir spawn error (%r)" % (desc(c, "baddir"),))
        expect(desc(c, "baddir")[1].startswith("spawn error: " + chdir), "spawn error text",
               desc(c, "baddir"))
        st = c.wait_state("baddir", "FATAL", 10)
        expect(st["spawnerr"] == chdir, "json spawnerr at FATAL", st)
        expect(("spawn error: " + chdir) in desc(c, "baddir")[1], "FATAL status text keeps the spawn error",
               desc(c, "baddir"))

        st = c.wait_state("badcmd", "FATAL", 10)
        se = st["spawnerr"] or ""
        expect(se.startswith("exec ") and "corral-e2e-nosuchcmd" in se and
               "No such file or directory" in se, "exec spawn error", st)
        expect(desc(c, "badcmd")[1].startswith("spawn error: exec "), "status text", desc(c, "badcmd"))

        r = c.ctl("start", "badstart", timeout=20)
        expect_rc(r, 1, "start of a program that cannot spawn")
        expect("badstart: ERROR (spawn error: %s)" % chdir in r.err, "start's spawn error message", r)
        expect(c.status()["badstart"]["state"] == "FATAL", "badstart state")
        # Nothing of these runs: corrald has no live children.
        kids = [p for p, s in children_of(c.pid) if s != "Z" and not is_guard(p)]
        expect(kids == [], "corrald has children left from failed spawns", kids)


def test_stopwaitsecs_escalation():
    cfg = prog("stubborn", "@PY@ @DIR@/stubborn.py @DIR@/ready", startsecs=0, stopwaitsecs=1)
    with Corral(cfg, scripts=SCRIPTS, name="stopwait") as c:
        pid = c.wait_state("stubborn", "RUNNING")["pid"]
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "stubborn.py to ignore SIGTERM")
        r = c.ctl("stop", "stubborn", timeout=20)
        expect_rc(r, 0, "stop of a TERM-ignoring program")
        expect("stubborn: stopped" in r.lines, "stop output", r)
        expect(0.8 <= r.elapsed <= 5, "stop took %.2fs with stopwaitsecs=1" % r.elapsed)
        expect_gone(pid, "stubborn (SIGKILLed)")
        st = c.status()["stubborn"]
        expect(st["state"] == "STOPPED", "state after the escalated stop", st)


def test_stop_waits_for_exit():
    cfg = prog("slow", "@PY@ @DIR@/slowstop.py @DIR@/ready @DIR@/done", startsecs=0, stopwaitsecs=5)
    with Corral(cfg, scripts=SCRIPTS, name="stopwaits") as c:
        pid = c.wait_state("slow", "RUNNING")["pid"]
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "slowstop.py to set its handler")
        r = c.ctl("stop", "slow", timeout=20)
        expect_rc(r, 0, "stop slow")
        expect_gone(pid, "slow, right after `stop` answered")
        expect(r.elapsed >= 0.6, "stop answered after %.2fs, before the 0.8 s exit" % r.elapsed)
        expect(c.read(c.path("done")) == "done", "slow was not allowed to finish its TERM handler")
        expect(c.status()["slow"]["state"] == "STOPPED", "state after stop")


def test_sigterm_stops_everything():
    cfg = (prog("plain", SLEEP, startsecs=0)
           + prog("bg", "/bin/sh -c '/bin/sleep 1000 & exec /bin/sleep 1001'", startsecs=0)
           + prog("stubborn", "@PY@ @DIR@/stubborn.py @DIR@/ready", startsecs=0, stopwaitsecs=1)
           + prog("many", SLEEP, startsecs=0, numprocs=2, process_name="%(program_name)s_%(process_num)d"))
    with Corral(cfg, scripts=SCRIPTS, name="sigterm") as c:
        pids = c.wait_running(["plain", "bg", "stubborn", "many:many_0", "many:many_1"])
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "stubborn.py to ignore SIGTERM")
        grandkids = [p for p, s in children_of(pids["bg"])]
        for g in grandkids:
            c.allow_stray(g)  # grandchild cleanup (cgroups) is later work
        expect(c.zombie_children() == [], "zombies before shutdown", c.zombie_children())
        t0 = time.monotonic()
        c.signal(signal.SIGTERM)
        # While it shuts down, no child may stay a zombie for long.
        seen, stale = {}, set()
        while c.alive() and time.monotonic() - t0 < 1 + 8:
            now = time.monotonic()
            z = set(c.zombie_children())
            seen = {p: seen.get(p, now) for p in z}
            stale |= {p for p, t in seen.items() if now - t > 0.5}
            time.sleep(0.02)
        rc = c.wait_exit(0.5)
        took = time.monotonic() - t0
        expect(not stale, "children of corrald stayed zombies for > 0.5 s during shutdown", sorted(stale))
        expect(rc == 0, "corrald exit status after SIGTERM is %s" % rc)
        expect(took >= 0.8, "corrald exited after %.2fs, before stubborn's stopwaitsecs=1" % took)
        for n, p in pids.items():
            expect(not pid_alive(p), "worker %s (pid %d) survived corrald's SIGTERM" % (n, p))
        expect(not os.path.exists(c.sock), "socket not removed at exit")
        alive = [g for g in grandkids if pid_alive(g)]
        if alive:
            from harness import note
            note("background grandchild(ren) %s survived corrald (expected until cgroup work)" % alive)


# On its stop signal, appends "NAME SIGNAME" to FILE and exits; touches READY first.
TERMLOG = """\
import signal, sys, time
name, log, ready = sys.argv[1:4]
def on_sig(sig, frame):
    with open(log, "a") as f:
        f.write("%s %s\\n" % (name, signal.Signals(sig).name))
    sys.exit(0)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
    signal.signal(s, on_sig)
open(ready, "w").close()
while True:
    time.sleep(1)
"""


def test_shutdown_reverse_priority():
    term = "@PY@ @DIR@/termlog.py %s @DIR@/stops @DIR@/ready_%s"
    cfg = (prog("b", term % ("b", "b"), startsecs=0, priority=3)
           + prog("a", term % ("a", "a"), startsecs=0, priority=2)
           + prog("c", term % ("c", "c"), startsecs=0, priority=1))
    with Corral(cfg, scripts={"termlog.py": TERMLOG}, name="stop_order") as c:
        c.wait_running(["a", "b", "c"])
        for n in "abc":
            wait_until(lambda: os.path.exists(c.path("ready_" + n)), 5, n + " to set its handler")
        c.signal(signal.SIGTERM)
        expect(c.wait_exit(10) == 0, "exit status after SIGTERM")
        order = [l.split()[0] for l in (c.read(c.path("stops")) or "").splitlines()]
        expect(order == ["b", "a", "c"], "stop order %s is not reverse priority b, a, c" % order)


def test_stopsignal():
    cfg = (prog("i", "@PY@ @DIR@/termlog.py i @DIR@/sig_i @DIR@/ready_i", startsecs=0, stopsignal="INT")
           + prog("u", "@PY@ @DIR@/termlog.py u @DIR@/sig_u @DIR@/ready_u", startsecs=0,
                  stopsignal="SIGUSR1"))
    with Corral(cfg, scripts={"termlog.py": TERMLOG}, name="stopsignal") as c:
        c.wait_running(["i", "u"])
        for n in "iu":
            wait_until(lambda: os.path.exists(c.path("ready_" + n)), 5, n + " to set its handler")
        r = c.ctl("stop", "i", "u")
        expect_rc(r, 0, "stop i u")
        expect((c.read(c.path("sig_i")) or "").strip() == "i SIGINT", "stopsignal=INT sent",
               c.read(c.path("sig_i")))
        expect((c.read(c.path("sig_u")) or "").strip() == "u SIGUSR1", "stopsignal=SIGUSR1 sent",
               c.read(c.path("sig_u")))


def test_stop_while_starting_or_backoff():
    cfg = (prog("slowstart", SLEEP, startsecs=5)
           + prog("failing", "/bin/sh -c 'exit 1'", startsecs=1, startretries=5))
    with Corral(cfg, name="stop_starting") as c:
        st = c.wait_state("slowstart", "STARTING", 3)
        r = c.ctl("stop", "slowstart")
        expect_rc(r, 0, "stop of a STARTING process")
        expect("slowstart: stopped" in r.lines, "stop output", r)
        expect_gone(st["pid"], "slowstart")
        expect(c.status()["slowstart"]["state"] == "STOPPED", "state", c.status()["slowstart"])
        c.wait_state("failing", "BACKOFF", 5)
        r = c.ctl("stop", "failing")
        expect_rc(r, 0, "stop of a BACKOFF process")
        expect(c.status()["failing"]["state"] == "STOPPED", "stop in BACKOFF", c.status()["failing"])
        time.sleep(2.5)  # longer than the 1 s, 2 s backoffs: no retry may come
        st = c.status()["failing"]
        expect(st["state"] == "STOPPED" and st["pid"] == 0, "a stopped BACKOFF process was retried", st)


def test_concurrent_stops():
    cfg = prog("slow", "@PY@ @DIR@/slowstop.py @DIR@/ready @DIR@/done", startsecs=0, stopwaitsecs=5)
    with Corral(cfg, scripts=SCRIPTS, name="concurrent_stop") as c:
        pid = c.wait_state("slow", "RUNNING")["pid"]
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "slowstop.py to set its handler")
        import threading
        results = []

        def stop():
            results.append(c.ctl("stop", "slow", timeout=20))
        ts = [threading.Thread(target=stop) for _ in range(2)]
        for t in ts:
            t.start()
            time.sleep(0.1)
        for t in ts:
            t.join(25)
        expect(len(results) == 2, "both stops returned", results)
        for r in results:
            expect_rc(r, 0, "concurrent stop")
            expect(r.lines == ["slow: stopped"], "concurrent stop output", r)
            expect(r.elapsed >= 0.5, "a concurrent stop answered before the process was gone", r)
        expect_gone(pid, "slow")
        expect(c.read(c.path("done")) == "done", "slow was killed instead of stopped")


def test_orphans_reaped():
    # The subshell exits at once, so its sleep is orphaned while the worker runs on.
    cfg = prog("orph", "/bin/sh -c '(/bin/sleep 0.5 &); exec /bin/sleep 1000'", startsecs=0)
    with Corral(cfg, name="orphans") as c:
        c.wait_state("orph", "RUNNING")
        time.sleep(1.2)
        expect(c.check_zombies(grace=1.0) == [], "orphaned grandchild left a zombie child of corrald",
               c.zombie_children())
