"""Schedules: schedule = (cron, @every, @reboot) starts a program by the
clock, never over its own run still going (skips counted), schedule_timeout
kills an overlong run's whole tree and reports 124, status shows the last
and next runs, and bad expressions are config errors with file:line."""

import calendar
import datetime
import re
import time

from harness import (PY, Corral, corrald_path, expect, expect_rc, idle_syscalls, pid_exists, prog, run,
                     unix_rpc, wait_until)
from test_eventlisteners import LISTENER, records

# A listener of corral's schedule events (supervisor.childutils'), and
# supervisord's XML-RPC on a unix socket.
WATCH = ("[eventlistener:watch]\ncommand=@PY@ @DIR@/listener.py @DIR@/watch.jsonl ok\n"
         "events=%s\n\n")
RPC = "[unix_http_server]\nfile = @DIR@/sd.sock\n"

# Stamps its own start and end (time.time()) into a file, sleeping between.
STAMPER = r'''import sys, time
out = sys.argv[1]
with open(out, "a") as f:
    f.write("start %.6f\n" % time.time())
time.sleep(float(sys.argv[2]))
with open(out, "a") as f:
    f.write("end %.6f\n" % time.time())
'''

# A tree a process-group kill would miss: a setsid'd grandchild that writes
# its pid, then the main process sleeps.
TREE = r'''import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(sys.argv[1], "a") as f:
            f.write("%d\n" % os.getpid())
        while True:
            time.sleep(1)
    os._exit(0)
while True:
    time.sleep(1)
'''


def runs(text):
    """[(start, end or None)] from a stamper's file."""
    out = []
    for line in (text or "").splitlines():
        kind, t = line.split()
        if kind == "start":
            out.append([float(t), None])
        else:
            expect(out and out[-1][1] is None, "an end without its start", text)
            out[-1][1] = float(t)
    return out


def test_every_never_overlaps_and_counts_skips():
    conf = (prog("job", "%s @DIR@/stamper.py @DIR@/stamps 5" % PY, schedule="@every 2s")
            + prog("idle", "/bin/sleep 1000", startsecs=0)
            + WATCH % "PROCESS_SCHEDULE_SKIPPED")
    with Corral(conf, scripts={"stamper.py": STAMPER, "listener.py": LISTENER},
                name="sched_every") as c:
        c.wait_running(["idle"])
        st = c.status()["job"]
        # not started with corrald: it waits for its first trigger
        expect(st["state"] == "STOPPED" and st["pid"] == 0, "job not started at start-up", st)
        expect(st["schedule"] == {"expression": "@every 2s", "last_run": None,
                                  "last_status": None, "next_run": st["schedule"]["next_run"],
                                  "skipped": 0}, "a schedule not run yet", st)
        expect(st["schedule"]["next_run"] and st["schedule"]["next_run"] >= time.time() - 1,
               "its next run is ahead", st)
        expect(c.read(c.path("stamps")) is None, "nothing ran yet")
        # runs at ~2 s (to ~7 s) and ~8 s (to ~13 s); the triggers at 4 and 6 s
        # (and 10, 12) find the run still going
        wait_until(lambda: len([r for r in runs(c.read(c.path("stamps"))) if r[1]]) >= 2, 30,
                   "two whole runs")
        done = runs(c.read(c.path("stamps")))
        for a, b in zip(done, done[1:]):
            expect(a[1] is not None and b[0] >= a[1],
                   "a run started at %.3f before the one before it ended (%s)" % (b[0], a[1]),
                   done)
        st = c.status()["job"]["schedule"]
        expect(st["skipped"] >= 2, "the triggers during a run are skipped and counted", st)
        expect(st["last_run"] is not None and abs(st["last_run"] - done[-1][0]) <= 1.5,
               "last_run is the last run's start", st, done)
        text = c.ctl("status", "job").out
        expect("schedule @every 2s: last run " in text and "skipped" in text,
               "status text says the schedule", text)
        expect("schedule: its run of" in c.stderr_text() and "is skipped" in c.stderr_text(),
               "a skip is logged", c.stderr_tail())
        ev = wait_until(lambda: records(c, "watch"), 10, "a PROCESS_SCHEDULE_SKIPPED event")[0]
        expect(ev["headers"]["eventname"] == "PROCESS_SCHEDULE_SKIPPED" and
               re.match(r"processname:job groupname:job pid:[1-9]\d* skipped:1$", ev["payload"]),
               "the skip is an event", ev)


def test_timeout_kills_the_whole_tree_and_reports_124():
    # @reboot: once, when corrald starts
    conf = (prog("slow", "%s @DIR@/tree.py @DIR@/gc" % PY, schedule="@reboot",
                 schedule_timeout=1) + WATCH % "PROCESS_SCHEDULE")
    with Corral(conf, scripts={"tree.py": TREE, "listener.py": LISTENER}, corral_extra=RPC,
                name="sched_timeout") as c:
        st = wait_until(lambda: (lambda s: s if s["schedule"]["last_status"] is not None
                                 else None)(c.status()["slow"]), 15, "the run to end")
        expect(st["schedule"]["last_status"] == 124, "a run over schedule_timeout is 124", st)
        expect(st["state"] == "STOPPED", "stopped", st)
        gcs = [int(x) for x in c.read(c.path("gc"), "").split()]
        expect(len(gcs) == 1, "one run, one grandchild", gcs)
        # its tree is gone by the time the run is reported ended
        expect(not pid_exists(gcs[0]) or open("/proc/%d/stat" % gcs[0]).read().split()[2] == "Z",
               "the setsid'd grandchild %d survived the timeout" % gcs[0])
        wait_until(lambda: not pid_exists(gcs[0]), 2, "the grandchild to be reaped")
        expect(st["tree"] in (0, None), "nothing left in its scope", st)
        expect(st["schedule"]["next_run"] is None, "@reboot has no next run", st)
        expect("slow: schedule_timeout: its run went over 1 s" in c.stderr_text(),
               "the timeout is logged", c.stderr_tail())
        text = c.ctl("status", "slow").out
        expect("(status 124)" in text, "status text says 124", text)
        ev = wait_until(lambda: records(c, "watch"), 10, "a PROCESS_SCHEDULE_TIMEOUT event")[0]
        expect(ev["headers"]["eventname"] == "PROCESS_SCHEDULE_TIMEOUT" and
               re.match(r"processname:slow groupname:slow pid:[1-9]\d* schedule_timeout:1$",
                        ev["payload"]), "the timeout is an event", ev)
        info = unix_rpc(c.path("sd.sock")).supervisor.getProcessInfo("slow")
        expect(info["description"].endswith(", status 124"),
               "supervisorctl's description says the status", info)
        # @reboot does not run again after an exec of corrald, and the
        # figures come across
        r = c.ctl("reexec", timeout=30)
        expect_rc(r, 0, "reexec")
        wait_until(lambda: "took over" in c.stderr_text(), 30, "the new corrald")
        time.sleep(1.5)
        st2 = c.status()["slow"]
        expect(st2["schedule"]["last_status"] == 124 and
               st2["schedule"]["last_run"] == st["schedule"]["last_run"],
               "last run and status carried across the exec", st2)
        expect(len(c.read(c.path("gc"), "").split()) == 1, "@reboot did not run again")


def test_cron_runs_at_the_minute_and_computes_next_runs():
    conf = (prog("minute", "%s @DIR@/stamper.py @DIR@/stamps 0" % PY,
                 schedule="* * * * *", schedule_tz="UTC")
            + prog("yearly", "/bin/true", schedule="@yearly", schedule_tz="UTC")
            + prog("berlin", "/bin/true", schedule="0 12 * * *", schedule_tz="Europe/Berlin")
            + prog("leap", "/bin/true", schedule="0 0 29 2 *", schedule_tz="UTC"))
    with Corral(conf, scripts={"stamper.py": STAMPER}, name="sched_cron") as c:
        wait_until(lambda: "minute" in c.status(), 10, "status")
        now = time.time()
        s = c.status()
        nxt = s["minute"]["schedule"]["next_run"]
        expect(nxt % 60 == 0 and now < nxt <= now + 61, "the next minute boundary", nxt, now)
        y = datetime.datetime.utcfromtimestamp(now).year
        expect(s["yearly"]["schedule"]["next_run"] == calendar.timegm((y + 1, 1, 1, 0, 0, 0)),
               "@yearly: next New Year, UTC", s["yearly"])
        leap = next(yy for yy in range(y, y + 9) if calendar.isleap(yy) and
                    calendar.timegm((yy, 2, 29, 0, 0, 0)) > now)
        expect(s["leap"]["schedule"]["next_run"] == calendar.timegm((leap, 2, 29, 0, 0, 0)),
               "February 29th of the next leap year", s["leap"])
        try:
            import zoneinfo
            tz = zoneinfo.ZoneInfo("Europe/Berlin")
            b = datetime.datetime.fromtimestamp(now, tz)
            noon = b.replace(hour=12, minute=0, second=0, microsecond=0)
            if noon.timestamp() <= now:
                noon = (b + datetime.timedelta(days=1)).replace(hour=12, minute=0, second=0,
                                                                microsecond=0)
            expect(s["berlin"]["schedule"]["next_run"] == int(noon.timestamp()),
                   "noon in Berlin", s["berlin"], noon)
        except ImportError:
            pass
        # it runs at that minute, once, and the next is a minute later
        st = wait_until(lambda: (lambda x: x if x["schedule"]["last_status"] is not None
                                 else None)(c.status()["minute"]), nxt - time.time() + 15,
                        "the minute's run to end")
        done = runs(c.read(c.path("stamps")))
        expect(len(done) == 1 and done[0][0] >= nxt, "one run, at or after the minute", done, nxt)
        expect(st["schedule"]["last_status"] == 0 and st["schedule"]["last_run"] >= nxt,
               "its status and start", st)
        expect(st["schedule"]["next_run"] == nxt + 60, "then the minute after", st)
        expect(st["state"] == "EXITED", "the run exited, not restarted", st)


def test_bad_expressions_are_config_errors_with_file_and_line():
    conf = (prog("a", "/bin/true", schedule="61 * * * *")
            + prog("b", "/bin/true", schedule="* * * *")
            + prog("c", "/bin/true", schedule="@every 5")
            + prog("d", "/bin/true", schedule="0 0 * foo *")
            + prog("e", "/bin/true", schedule="@daily", schedule_tz="Nowhere/Atlantis")
            + prog("f", "/bin/true", schedule="@hourly", numprocs=2,
                   process_name="%(program_name)s_%(process_num)d"))
    with Corral(conf, start=False, name="sched_bad") as c:
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect_rc(r, 2, "--check of bad schedules")
        lines = open(c.conf).read().splitlines()

        def line_of(text):
            return lines.index(text) + 1
        for key, why in (("schedule = 61 * * * *", "minute: 61 is out of range 0-59"),
                         ("schedule = * * * *", "five fields expected"),
                         ("schedule = @every 5", "@every takes a duration with units s, m and h"),
                         ("schedule = 0 0 * foo *", "month: 'foo' is not a number from 1 to 12"),
                         ("schedule_tz = Nowhere/Atlantis", "schedule_tz: bad value")):
            want = "%s:%d:" % (c.conf, line_of(key))
            hit = [l for l in r.err.splitlines() if l.startswith(want)]
            expect(hit and why in hit[0], "%s: %s at %s" % (key, why, want), r.err)
        expect("schedule needs numprocs = 1" in r.err, "numprocs > 1 refused", r.err)
        # and corrald does not start with them
        good = prog("ok", "/bin/true", schedule="*/5 1-3,22 * jan-mar,dec mon-fri")
        c.write_config(good)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10, env=c.env())
        expect_rc(r, 0, "--check of a good schedule")


def test_idle_between_triggers_makes_no_syscalls():
    """Between triggers a scheduled corrald sleeps in epoll_wait: the next
    trigger is a deadline of the loop's heap, the clock timerfd is quiet."""
    conf = (prog("yearly", "/bin/true", schedule="@yearly")
            + prog("hourly", "/bin/true", schedule="@every 1h")
            + prog("berlin", "/bin/true", schedule="0 3 * * *", schedule_tz="Europe/Berlin"))
    with Corral(conf, name="sched_idle") as c:
        wait_until(lambda: c.status()["berlin"]["schedule"]["next_run"], 10, "status")
        time.sleep(0.2)
        busy, calls = idle_syscalls(c)
        expect(not busy, "idle corrald made %d system call(s) in 3 s: %s"
               % (len(busy), " | ".join(busy[:8])))
        expect(len(calls) <= 2, "idle corrald: %s" % " | ".join(calls[:8]))


def test_reload_adds_and_changes_schedules():
    conf = prog("a", "/bin/true", schedule="@every 1s")
    with Corral(conf, name="sched_reload") as c:
        st = wait_until(lambda: (lambda s: s if s["schedule"]["last_status"] == 0 else None)(
            c.status()["a"]), 10, "a's first run")
        # a changed expression: the new generation keeps the last run; an added
        # program is scheduled from the reload on
        c.write_config(prog("a", "/bin/true", schedule="0 0 1 1 *", schedule_tz="UTC")
                       + prog("b", "/bin/true", schedule="@every 1s"))
        r = c.ctl("reload")
        expect_rc(r, 0, "reload")
        expect("changed: a" in r.out and "added: b" in r.out, "a changed, b added", r)
        s = c.status()
        y = datetime.datetime.utcfromtimestamp(time.time()).year
        expect(s["a"]["schedule"]["expression"] == "0 0 1 1 *" and
               s["a"]["schedule"]["next_run"] == calendar.timegm((y + 1, 1, 1, 0, 0, 0)),
               "a's new schedule", s["a"])
        expect(s["a"]["schedule"]["last_run"] == st["schedule"]["last_run"] and
               s["a"]["schedule"]["last_status"] == 0, "a's last run carried over", s["a"], st)
        expect(s["b"]["state"] == "STOPPED" and s["b"]["schedule"]["next_run"],
               "b not started by the reload, armed", s["b"])
        wait_until(lambda: c.status()["b"]["schedule"]["last_status"] == 0, 10, "b's first run")
        # and a program that loses its schedule is an ordinary one again
        c.write_config(prog("a", "/bin/true", autostart=False) + prog("b", "/bin/true",
                                                                      schedule="@every 1s"))
        expect_rc(c.ctl("reload"), 0, "reload")
        expect(c.status()["a"]["schedule"] is None, "a has no schedule", c.status()["a"])
