"""One-shot programs (startsecs = 0): RUNNING from the spawn, so their exit,
however soon, is an exit (EXITED, expected or not by exitcodes) and
autorestart applies, as under supervisord; never a failed start, never
FATAL. The supervisord test runs the real supervisord on the same config,
side by side, and compares what supervisorctl and XML-RPC answer."""

import os
import time

from harness import Corral, expect, expect_rc, parse_status_text, unix_rpc, wait_until
from test_supervisorctl import SUPERVISORD, Supervisord, config_text, ctl, mask

# Each run appends a line to @DIR@/NAME.runs. Those started by hand below
# live a moment (0.3 s): supervisord's startProcess answers "abnormal
# termination" instead of success when the process is gone already as it
# reaps right after the spawn, a race that a one-shot which exits within
# microseconds can win; corrald answers at the spawn.
ONESHOTS = """
[program:once]
command = /bin/sh -c 'echo ran >> @DIR@/once.runs; sleep 0.3; exit 0' @TAG@
startsecs = 0
autorestart = false

[program:oncebad]
command = /bin/sh -c 'echo ran >> @DIR@/oncebad.runs; exit 2' @TAG@
startsecs = 0
autorestart = false

[program:again]
command = /bin/sh -c 'echo ran >> @DIR@/again.runs; exit 1' @TAG@
startsecs = 0
startretries = 1

[program:manual]
command = /bin/sh -c 'echo ran >> @DIR@/manual.runs; sleep 0.3; exit 0' @TAG@
startsecs = 0
autorestart = false
autostart = false
"""


def runs(d, name):
    try:
        with open(os.path.join(d, name + ".runs")) as f:
            return len(f.read().splitlines())
    except FileNotFoundError:
        return 0


def test_oneshot_is_exited_as_under_supervisord():
    if not os.access(SUPERVISORD, os.X_OK):
        print("skipped: %s is not installed" % SUPERVISORD)
        return
    tag_sd = "corral-e2e-sdone-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd = Supervisord(tag_sd)
    try:
        with Corral(start=False, name="oneshot_sd") as c:
            c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + ONESHOTS,
                           raw=True)
            sd.write(ONESHOTS.replace("@DIR@", sd.tmp))
            sd.start()
            c.start()
            sides = {"supervisord": (sd.conf, sd.tmp), "corral": (c.conf, c.tmp)}
            rpcs = {who: unix_rpc(os.path.join(d, "sd.sock")) for who, (_, d) in sides.items()}

            def state(who, name):
                return rpcs[who].supervisor.getProcessInfo(name)["statename"]

            # again restarts (exit 1 is not expected) past its startretries = 1.
            for who, (conf, d) in sides.items():
                for name in ("once", "oncebad"):
                    wait_until(lambda: state(who, name) == "EXITED", 15,
                               lambda: "%s's %s to be EXITED (%s)" % (who, name, state(who, name)))
                wait_until(lambda: runs(d, "again") >= 4, 30,
                           lambda: "%s's again to be restarted past startretries (%s)"
                           % (who, state(who, "again")))
            for who, (conf, d) in sides.items():
                expect(runs(d, "once") == 1 and runs(d, "oncebad") == 1,
                       "%s ran the one-shots once each" % who, runs(d, "once"), runs(d, "oncebad"))
                st = state(who, "again")
                expect(st in ("STARTING", "RUNNING", "EXITED"), "%s's again is %s" % (who, st))
                info = rpcs[who].supervisor.getProcessInfo("oncebad")
                expect(info["exitstatus"] == 2, "%s: oncebad's exitstatus" % who, info)
            def both(*args):
                outs = {}
                for who, (conf, _) in sides.items():
                    r = ctl(conf, *args)
                    outs[who] = (r.rc, mask(r.out + r.err))
                expect(outs["corral"] == outs["supervisord"],
                       "supervisorctl %s differs:\n--- supervisord: %r\n--- corral:     %r"
                       % (" ".join(args), outs["supervisord"], outs["corral"]))
                return outs["corral"]

            rc, out = both("status", "once", "oncebad")
            expect(rc == 3 and "EXITED" in out and "FATAL" not in out, "status of the one-shots", out)
            both("status", "once")
            # start answers once RUNNING, which a one-shot is at its spawn
            rc, out = both("start", "manual")
            expect(rc == 0 and out.strip() == "manual: started", "start of a one-shot", out)
            for who, (conf, d) in sides.items():
                wait_until(lambda: state(who, "manual") == "EXITED", 15,
                           lambda: "%s's manual to be EXITED (%s)" % (who, state(who, "manual")))
                expect(runs(d, "manual") == 1, "%s ran manual once" % who, runs(d, "manual"))
            both("status", "manual")
            # startProcess(wait) of an EXITED one-shot starts it: no ALREADY_STARTED
            for who, (conf, d) in sides.items():
                expect(rpcs[who].supervisor.startProcess("once", True) is True,
                       "%s: startProcess(once, true)" % who)
                wait_until(lambda: runs(d, "once") == 2 and state(who, "once") == "EXITED", 15,
                           lambda: "%s's once to run again and be EXITED (%s, %d runs)"
                           % (who, state(who, "once"), runs(d, "once")))
    finally:
        sd.stop()
test_oneshot_is_exited_as_under_supervisord.timeout = 180


def test_oneshot_in_corral_format():
    """corral's own format: the same rule; autorestart starts a command that
    exits at once again, at most once a second, for ever; a stop while
    that restart is due cancels it."""
    cfg = ("[program:once]\ncommand = /bin/sh -c 'echo ran >> @DIR@/once.runs; exit 3'\n"
           "startsecs = 0\nautorestart = false\nexitcodes = 0\n\n"
           "[program:manual]\ncommand = /bin/sh -c 'echo ran >> @DIR@/manual.runs; exit 0'\n"
           "startsecs = 0\nautorestart = false\nautostart = false\n\n"
           "[program:again]\ncommand = /bin/sh -c 'date +%s.%N >> @DIR@/again.runs; exit 1'\n"
           "startsecs = 0\nstartretries = 0\n\n")
    with Corral(cfg, name="oneshot") as c:
        st = c.wait_state("once", "EXITED")
        expect(st["exitcode"] == 3 and st["pid"] == 0, "once after exiting 3", st)
        r = c.ctl("status", "once")
        expect_rc(r, 3, "status of an EXITED one-shot")
        expect(parse_status_text(r.out)["once"][:2] == ("EXITED", "exit status 3"),
               "status text of once", r)
        # startretries = 0, yet an exit is no failed start: again never goes FATAL
        wait_until(lambda: runs(c.tmp, "again") >= 4, 30,
                   lambda: "again to be restarted (%s)" % c.status()["again"])
        st = c.status()["again"]
        expect(st["state"] in ("RUNNING", "EXITED"), "again (startsecs=0) is %s" % st["state"], st)
        starts = [float(x) for x in c.read(c.path("again.runs")).split()]
        mean = (starts[-1] - starts[0]) / (len(starts) - 1)
        expect(mean >= 0.9, "again started again every %.2fs: sooner than a second after its "
               "last start" % mean, starts)
        expect(runs(c.tmp, "once") == 1, "once ran once", runs(c.tmp, "once"))

        r = c.ctl("start", "manual")
        expect_rc(r, 0, "start of a one-shot")
        expect(r.lines == ["manual: started"], "start's answer", r)
        st = c.wait_state("manual", "EXITED")
        expect(st["exitcode"] == 0 and runs(c.tmp, "manual") == 1, "manual ran once", st)

        # A stop ends the restarts: it comes, most likely, while again is
        # EXITED with its restart due (it is RUNNING for a moment only).
        c.wait_state("again", "EXITED")
        r = c.ctl("stop", "again")
        expect_rc(r, 0, "stop again")
        expect(r.lines == ["again: stopped"], "stop's answer", r)
        expect(c.status()["again"]["state"] == "STOPPED", "again after stop", c.status()["again"])
        n = runs(c.tmp, "again")
        time.sleep(1.5)  # a restart would have come by now
        expect(runs(c.tmp, "again") == n and c.status()["again"]["state"] == "STOPPED",
               "again ran after it was stopped", c.status()["again"])
