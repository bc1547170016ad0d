"""[group:NAME] as a scope: one_for_one, one_for_all and rest_for_one, the
order of stops and starts, restart intensity tripping to FATAL, group
status."""

import os
import signal
import time

from harness import Corral, expect, expect_rc, pid_exists, prog, wait_until

# A member that logs "start NAME" when it starts and "stop NAME" when it is
# told to stop (SIGTERM), to a journal shared by the group: the journal's
# order is the order things happened in.
MEMBER = r'''import os, signal, sys, time
name, journal = sys.argv[1], sys.argv[2]
def log(what):
    with open(journal, "a") as f:
        f.write("%s %s\n" % (what, name))
def term(*_):
    time.sleep(0.2)   # a slow stop: starts that do not wait for it show up
    log("stop")
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
log("start")
while True:
    time.sleep(1)
'''


def group_config(strategy, members=("a", "b", "c"), intensity=None, period=None):
    text = ""
    for m in members:
        text += prog(m, "@PY@ @DIR@/member.py %s @DIR@/journal" % m, startsecs=1,
                     stopwaitsecs=5, autorestart=True)
    text += "[group:g]\nprograms = %s\nstrategy = %s\n" % (",".join(members), strategy)
    if intensity is not None:
        text += "restart_intensity = %d\n" % intensity
    if period is not None:
        text += "restart_period = %d\n" % period
    return text


def journal(c):
    return (c.read(c.path("journal")) or "").split("\n")[:-1]


def spawn_order(c):
    return [l.split(" info: ")[1].split(":")[0] + ":" + l.split(" info: ")[1].split(":")[1]
            for l in c.stderr_text().splitlines() if " spawned pid " in l]


def kill_member(c, name):
    """SIGKILL a member's main process (a crash: no "stop" line)."""
    pid = c.status()[name]["pid"]
    expect(pid > 0, "%s has no pid to kill" % name)
    os.kill(pid, signal.SIGKILL)
    return pid


def settle(c, names, old, timeout=15):
    """Wait until every name in NAMES runs with a pid other than OLD[name]."""
    def done():
        st = c.status()
        return all(st[n]["state"] == "RUNNING" and st[n]["pid"] != old[n] for n in names)
    wait_until(done, timeout, lambda: "members %s to run again: %s" % (names, c.status()))


def test_one_for_all_stops_every_tree_before_restarting_all():
    with Corral(group_config("one_for_all"), scripts={"member.py": MEMBER},
                name="one_for_all") as c:
        old = c.wait_running(["g:a", "g:b", "g:c"])
        wait_until(lambda: len(journal(c)) == 3, 5, "three starts")
        open(c.path("journal"), "w").close()
        kill_member(c, "g:b")
        settle(c, ["g:a", "g:b", "g:c"], old)
        wait_until(lambda: len(journal(c)) == 5, 5, "two stops and three starts: %s" % journal(c))
        j = journal(c)
        # a and c were asked to stop; b crashed. Nothing started before
        # every tree was down, then all started in the group's order.
        expect(sorted(j[:2]) == ["stop a", "stop c"], "stops first", j)
        expect(sorted(j[2:]) == ["start a", "start b", "start c"], "then the starts", j)
        # corrald spawned them in the group's order (the workers' own lines
        # may race each other to the journal).
        expect(spawn_order(c)[-3:] == ["g:a", "g:b", "g:c"], "spawn order", spawn_order(c))
        for n in ("g:a", "g:b", "g:c"):
            expect(not pid_exists(old[n]), "old %s (pid %d) still exists" % (n, old[n]))
        st = c.status()
        expect(st["g:a"]["group_state"] == "RUNNING", "group state", st["g:a"])


def test_rest_for_one_restarts_it_and_those_after_it():
    with Corral(group_config("rest_for_one"), scripts={"member.py": MEMBER},
                name="rest_for_one") as c:
        old = c.wait_running(["g:a", "g:b", "g:c"])
        wait_until(lambda: len(journal(c)) == 3, 5, "three starts")
        open(c.path("journal"), "w").close()
        kill_member(c, "g:b")
        settle(c, ["g:b", "g:c"], old)
        wait_until(lambda: len(journal(c)) == 3, 5, "one stop and two starts: %s" % journal(c))
        j = journal(c)
        expect(j[0] == "stop c" and sorted(j[1:]) == ["start b", "start c"], "rest_for_one order", j)
        expect(spawn_order(c)[-2:] == ["g:b", "g:c"], "spawn order", spawn_order(c))
        expect(c.status()["g:a"]["pid"] == old["g:a"], "a, listed before b, kept running")


def test_one_for_one_restarts_the_member_alone():
    with Corral(group_config("one_for_one"), scripts={"member.py": MEMBER},
                name="one_for_one") as c:
        old = c.wait_running(["g:a", "g:b", "g:c"])
        kill_member(c, "g:b")
        settle(c, ["g:b"], old)
        st = c.status()
        expect(st["g:a"]["pid"] == old["g:a"] and st["g:c"]["pid"] == old["g:c"],
               "the others kept running", st)


def test_restart_intensity_trips_the_group_to_fatal():
    cfg = group_config("one_for_all", intensity=1, period=60)
    with Corral(cfg, scripts={"member.py": MEMBER}, name="intensity") as c:
        old = c.wait_running(["g:a", "g:b", "g:c"])
        time.sleep(1.1)  # an exit within startsecs is a failed start, not a group restart
        kill_member(c, "g:a")
        settle(c, ["g:a", "g:b", "g:c"], old)
        time.sleep(1.1)
        kill_member(c, "g:c")
        # Two restarts in the period, one allowed: the whole group stops, FATAL.
        def all_fatal():
            st = c.status()
            return all(st[n]["state"] == "FATAL" for n in ("g:a", "g:b", "g:c")) and st
        st = wait_until(all_fatal, 15, lambda: "every member FATAL: %s" % c.status())
        expect(st["g:b"]["group_state"] == "FATAL", "group state FATAL", st["g:b"])
        expect(st["g:b"]["tree"] == 0, "no tree left", st["g:b"])
        r = c.ctl("status", "g:b")
        expect_rc(r, 3, "status of a FATAL member")
        expect("its group restarted too often" in r.out, "says why", r)
        # It stays down: no restart happens by itself.
        time.sleep(1.5)
        expect(all(p["state"] == "FATAL" for p in c.status().values()), "still FATAL")
        # Starting the group by hand brings it back.
        expect_rc(c.ctl("start", "g:*", timeout=20), 0, "start g:*")
        st = c.status()
        expect(all(p["state"] == "RUNNING" for p in st.values()), "running again", st)
        expect(st["g:a"]["group_state"] == "RUNNING", "group state", st["g:a"])


def test_group_names_and_selectors():
    cfg = group_config("one_for_one", members=("a", "b"))
    cfg += prog("solo", "/bin/sleep 1000", startsecs=0)
    with Corral(cfg, scripts={"member.py": MEMBER}, name="group_names") as c:
        c.wait_running(["g:a", "g:b", "solo"])
        st = c.status()
        expect(st["g:a"]["group"] == "g" and st["solo"]["group"] == "solo", "group fields", st)
        expect(st["solo"]["group_state"] is None, "no group state outside a group", st["solo"])
        r = c.ctl("stop", "g:*", timeout=20)
        expect_rc(r, 0, "stop g:*")
        st = c.status()
        expect(st["g:a"]["state"] == "STOPPED" and st["g:b"]["state"] == "STOPPED",
               "members stopped", st)
        expect(st["g:a"]["group_state"] == "STOPPED", "group state STOPPED", st["g:a"])
        expect(st["solo"]["state"] == "RUNNING", "others untouched", st)
        expect_rc(c.ctl("start", "g", timeout=20), 0, "a bare group name starts the group")
        expect(c.status()["g:b"]["state"] == "RUNNING", "member started")


def test_stop_wins_over_a_planned_group_restart():
    """A member stopped by hand while its group restarts stays stopped."""
    with Corral(group_config("one_for_all"), scripts={"member.py": MEMBER},
                name="stop_wins") as c:
        old = c.wait_running(["g:a", "g:b", "g:c"])
        kill_member(c, "g:a")
        expect_rc(c.ctl("stop", "g:c", timeout=20), 0, "stop g:c during the restart")
        settle(c, ["g:a", "g:b"], old)
        time.sleep(0.5)
        expect(c.status()["g:c"]["state"] == "STOPPED", "g:c stayed stopped", c.status())
