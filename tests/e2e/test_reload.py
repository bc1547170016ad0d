"""Reload by `corralctl reload` and by SIGHUP."""

import signal
import time

from harness import Corral, SLEEP, expect, expect_gone, expect_rc, pid_alive, prog, wait_until

OLD = (prog("keep", SLEEP, startsecs=0)
       + prog("change", SLEEP, startsecs=0)
       + prog("remove", SLEEP, startsecs=0))
NEW = (prog("keep", SLEEP, startsecs=0)
       + prog("change", "/bin/sleep 1001", startsecs=0)
       + prog("add", SLEEP, startsecs=0))
BROKEN_TAIL = "[program:bad]\ncommand = /bin/sleep 1000\nstartsecs = soon\n"


def line_of(text, needle):
    for i, l in enumerate(text.splitlines(), 1):
        if needle in l:
            return i
    raise AssertionError("test bug: %r not in config" % needle)


def check_applied(c, before):
    """After OLD -> NEW: added started, removed stopped, changed restarted, kept kept."""
    add = c.wait_state("add", "RUNNING", 10)
    expect(pid_alive(add["pid"]), "added program's pid is not alive", add)
    expect_gone(before["remove"], "removed program", timeout=10)
    wait_until(lambda: "remove" not in c.status(), 5, "removed program to leave status")
    r = c.ctl("status", "remove")
    expect_rc(r, 2, "status of a removed program")
    st = c.wait_state("change", "RUNNING", 10)
    wait_until(lambda: c.status()["change"]["pid"] not in (0, before["change"]), 10,
               lambda: "changed program to get a new pid (%s)" % c.status()["change"])
    expect_gone(before["change"], "changed program's old process", timeout=10)
    st = c.status()
    expect(st["keep"]["pid"] == before["keep"] and st["keep"]["state"] == "RUNNING",
           "unchanged program was touched", before["keep"], st["keep"])
    return {n: p["pid"] for n, p in st.items()}


def check_broken_changes_nothing(c, before):
    time.sleep(0.3)
    st = c.status()
    now = {n: p["pid"] for n, p in st.items()}
    expect(now == before, "a broken config changed the running set", before, now)
    expect(all(p["state"] == "RUNNING" for p in st.values()), "states after a broken reload", st)


def test_reload_verb():
    with Corral(OLD, name="reload") as c:
        before = c.wait_running(["keep", "change", "remove"])
        c.write_config(NEW)
        r = c.ctl("reload", timeout=30)
        expect_rc(r, 0, "reload")
        lines = set(r.lines)
        want = {"added: add", "removed: remove", "changed: change"}
        expect(want <= lines, "reload output lacks %s" % sorted(want - lines), r)
        expect(not any("keep" in l for l in lines), "reload reports the unchanged program", r)
        after = check_applied(c, before)

        r = c.ctl("reload")
        expect_rc(r, 0, "reload without changes")
        expect(r.out.strip() == "no changes", "reload without changes", r)
        expect({n: p["pid"] for n, p in c.status().items()} == after, "a no-op reload changed pids")

        text = c.write_config(NEW + BROKEN_TAIL)
        bad = line_of(text, "startsecs = soon")
        r = c.ctl("reload")
        expect_rc(r, 1, "reload of a broken config")
        expect("%s:%d:" % (c.conf, bad) in r.err, "reload error lacks FILE:LINE (%s:%d)" % (c.conf, bad), r)
        expect("[program:bad]" in r.err, "reload error names the section", r)
        check_broken_changes_nothing(c, after)
        expect("bad" not in c.status(), "the broken config's program appeared")


def test_reload_sighup():
    with Corral(OLD, name="sighup") as c:
        before = c.wait_running(["keep", "change", "remove"])
        c.write_config(NEW)
        c.signal(signal.SIGHUP)
        after = check_applied(c, before)
        expect(c.alive(), "corrald died on SIGHUP")

        text = c.write_config(NEW + BROKEN_TAIL)
        bad = line_of(text, "startsecs = soon")
        c.signal(signal.SIGHUP)
        wait_until(lambda: "%s:%d:" % (c.conf, bad) in c.stderr_text(), 5,
                   "corrald to log the config error with FILE:LINE after SIGHUP")
        expect(c.alive(), "corrald died on SIGHUP with a broken config")
        check_broken_changes_nothing(c, after)

        # And a good config after the broken one is applied.
        c.write_config(OLD)
        c.signal(signal.SIGHUP)
        c.wait_state("remove", "RUNNING", 10)
        expect_gone(after["add"], "program removed by the second reload", timeout=10)


def test_reload_removes_process_a_client_waits_for():
    cfg = prog("keep", SLEEP, startsecs=0) + prog("slowstart", SLEEP, startsecs=4, autostart=False)
    with Corral(cfg, name="reload_pending") as c:
        c.wait_state("keep", "RUNNING")
        import threading
        res = []
        t = threading.Thread(target=lambda: res.append(c.ctl("start", "slowstart", timeout=20)))
        t.start()
        st = c.wait_state("slowstart", "STARTING", 3)
        c.write_config(prog("keep", SLEEP, startsecs=0))
        c.signal(signal.SIGHUP)
        t.join(20)
        expect(res, "start did not return after its process was removed")
        r = res[0]
        expect_rc(r, 1, "start of a process removed by a reload")
        # The spec names no reason for this case: any ERROR line will do.
        expect("slowstart: ERROR (" in r.err, "start's answer", r)
        expect_gone(st["pid"], "removed slowstart", timeout=5)
        expect(c.alive(), "corrald died")
        expect_rc(c.ctl("status"), 0, "status after the reload")


# Takes 2 s to stop on SIGTERM, then writes DOWN; touches READY once its
# handler is in.
SLOW = """\
import signal, sys, time
def term(*_):
    time.sleep(2)
    open(sys.argv[1], "a").write("old down\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
open(sys.argv[2], "w").close()
while True:
    time.sleep(1)
"""


def test_removed_then_added_again_waits_for_the_old():
    """A program removed by one reload and added again by the next while its
    old process is still stopping: the new one starts only once the old one
    is down, in a cgroup of its own, and is not killed with the old one."""
    from harness import scope_dir
    import os
    slow = prog("slow", "@PY@ @DIR@/slow.py @DIR@/down @DIR@/ready", startsecs=0,
                stopwaitsecs=10)
    with Corral(slow + prog("other", SLEEP, startsecs=0), scripts={"slow.py": SLOW},
                name="readd") as c:
        old = c.wait_state("slow", "RUNNING")["pid"]
        wait_until(lambda: os.path.exists(c.path("ready")), 20, "slow's SIGTERM handler")
        c.write_config(prog("other", SLEEP, startsecs=0))
        expect_rc(c.ctl("reload", timeout=30), 0, "the reload that removes slow")
        c.write_config(slow + prog("other", SLEEP, startsecs=0))
        r = c.ctl("reload", timeout=30)
        expect_rc(r, 0, "the reload that adds slow again")
        expect("added: slow" in r.lines, "reload output", r)
        new = wait_until(lambda: (lambda s: s if s.get("state") == "RUNNING"
                                  and s.get("pid") not in (0, old) else None)(
                                      c.status().get("slow", {})), 30,
                         lambda: "the new slow to run (%s)" % c.status().get("slow"))["pid"]
        expect((c.read(c.path("down")) or "") == "old down\n",
               "the new slow started before the old one was down")
        expect(not pid_alive(old), "the old slow still runs")
        # The new one is not taken down with the old one's cgroup: it stays.
        time.sleep(1)
        st = c.status()["slow"]
        expect(st["pid"] == new and st["state"] == "RUNNING" and pid_alive(new),
               "the new slow did not survive the old one's end", st)
        leaf = os.path.join(scope_dir(c.sock), "slow", "cgroup.procs")
        expect(str(new) in open(leaf).read().split(), "the new slow is in its leaf")
test_removed_then_added_again_waits_for_the_old.timeout = 90
