"""watch = PATH...: a change under a watched path restarts the program,
once per watch_debounce window however many events; new subdirectories
are followed; watch_exclude globs are not; watch_cascade restarts what
requires it too; a watched directory deleted and made again is watched
again (and the log says so); status shows the inotify watches used."""

import os
import re
import shutil
import time

from harness import Corral, expect, prog, wait_until

# Appends its pid to PIDS, lives on.
WORKER = r'''import os, sys, time
open(sys.argv[1], "a").write("%d\n" % os.getpid())
while True:
    time.sleep(1)
'''
SCRIPTS = {"worker.py": WORKER}
# a window long enough that a burst of events made from python lands in one
DEBOUNCE = 1000


def worker(name, **keys):
    keys.setdefault("startsecs", 0)
    keys.setdefault("ready", "none")
    return prog(name, "@PY@ @DIR@/worker.py @DIR@/%s.pids" % name, **keys)


def restarts(c, name):
    r = c.ctl("metrics")
    m = re.search(r'^corral_process_restarts_total\{[^}]*name="%s"[^}]*\} (\d+)' % re.escape(name),
                  r.out, re.M)
    expect(m, "corral_process_restarts_total for %s in `corralctl metrics`" % name, r)
    return int(m.group(1))


def running_pid(c, name, not_pid=0, timeout=30):
    def up():
        st = c.status().get(name, {})
        pid = st.get("pid")
        return pid if st.get("state") == "RUNNING" and pid and pid != not_pid else None
    return wait_until(up, timeout, lambda: "%s RUNNING with a pid other than %d: %s"
                      % (name, not_pid, c.status().get(name)))


def settle(c, name, n):
    """Wait until NAME has restarted N times and is RUNNING, then for two
    more debounce windows: no further restart may come. Its pid."""
    wait_until(lambda: restarts(c, name) >= n, 30,
               lambda: "%s to restart %d times (%d)" % (name, n, restarts(c, name)))
    pid = running_pid(c, name)
    time.sleep(2 * DEBOUNCE / 1000.0)
    expect(restarts(c, name) == n, "%s restarted exactly %d times" % (name, n), restarts(c, name))
    expect(running_pid(c, name) == pid, "%s's pid stayed" % name)
    return pid


def test_storm_of_1000_files_restarts_once():
    with Corral(name="watch_storm", start=False, scripts=SCRIPTS) as c:
        src = c.path("src")
        os.makedirs(os.path.join(src, "a", "b"))
        os.makedirs(os.path.join(src, "c"))
        files = [os.path.join(src, "f%04d.txt" % i) for i in range(1000)]
        for f in files:
            open(f, "w").close()
        c.write_config(worker("w", watch=src, watch_debounce=DEBOUNCE) + worker("plain"))
        c.start()
        pid = running_pid(c, "w")
        st = c.status()
        expect(st["w"].get("watches") == 4, "4 inotify watches (src, a, a/b, c)", st["w"])
        expect(st["plain"].get("watches") is None, "null where no watch =", st["plain"])
        text = c.ctl("status", "w").out
        expect("watching (4 inotify watches)" in text, "status text shows them", text)
        expect(restarts(c, "w") == 0, "no restart yet")
        now = time.time()
        for f in files:
            os.utime(f, (now, now))
        pid2 = settle(c, "w", 1)
        expect(pid2 != pid, "a new process")
        pids = c.read(c.path("w.pids")).split()
        expect(len(pids) == 2, "w ran twice", pids)
        expect(restarts(c, "plain") == 0, "the unwatched program untouched")


def test_new_subdirectory_and_exclude():
    with Corral(name="watch_subdir", start=False, scripts=SCRIPTS) as c:
        src = c.path("src")
        os.makedirs(src)
        c.write_config(worker("w", watch=src + "/", watch_exclude="*.swp .cache",
                              watch_debounce=DEBOUNCE))
        c.start()
        running_pid(c, "w")
        # excluded: an editor's swap file, anything under .cache (made with
        # its file before the restart window could watch it)
        open(os.path.join(src, ".w.swp"), "w").close()
        os.makedirs(os.path.join(src, ".cache", "x"))
        open(os.path.join(src, ".cache", "x", "blob"), "w").close()
        time.sleep(2 * DEBOUNCE / 1000.0)
        expect(restarts(c, "w") == 0, "excluded paths restart nothing", restarts(c, "w"))
        expect(c.status()["w"]["watches"] == 1, "no watch on the excluded directory",
               c.status()["w"])
        # a new subdirectory is a change, and is watched from then on
        os.makedirs(os.path.join(src, "new"))
        settle(c, "w", 1)
        expect(c.status()["w"]["watches"] == 2, "the new directory watched", c.status()["w"])
        with open(os.path.join(src, "new", "f.txt"), "w") as f:
            f.write("x")
        settle(c, "w", 2)


def test_cascade_restarts_what_requires_it():
    with Corral(name="watch_cascade", start=False, scripts=SCRIPTS) as c:
        conf = c.path("etc.conf")
        open(conf, "w").close()
        c.write_config(worker("base", watch=conf, watch_cascade=True, watch_debounce=DEBOUNCE)
                       + worker("dep", requires="base"))
        c.start()
        base, dep = running_pid(c, "base"), running_pid(c, "dep")
        expect(c.status()["base"]["watches"] == 1, "a file is one watch", c.status()["base"])
        with open(conf, "w") as f:
            f.write("changed\n")
        settle(c, "base", 1)
        expect(running_pid(c, "base") != base, "base restarted")
        dep2 = running_pid(c, "dep", dep)
        expect(dep2 != dep, "dep restarted too")
        expect("watched files changed, restarting (and what requires it)" in c.stderr_text(),
               "the log says why", c.stderr_tail())


def test_without_cascade_what_requires_it_keeps_running():
    """watch_cascade = false (the default): the watched program restarts
    alone; what requires it keeps its pid all the while, with the plain
    and with the rolling strategy."""
    with Corral(name="watch_alone", start=False, scripts=SCRIPTS) as c:
        conf = c.path("etc.conf")
        open(conf, "w").close()
        c.write_config(worker("base", watch=conf, watch_debounce=DEBOUNCE)
                       + worker("roller", watch=conf, watch_debounce=DEBOUNCE, startsecs=1, ready="startsecs",
                                update_strategy="rolling", numprocs=2,
                                process_name="%(program_name)s_%(process_num)d")
                       + worker("dep", requires="base")
                       + worker("dep2", requires="roller"))
        c.start()
        base, dep = running_pid(c, "base"), running_pid(c, "dep")
        dep2 = running_pid(c, "dep2")
        rollers = [running_pid(c, "roller:roller_%d" % i) for i in range(2)]
        with open(conf, "w") as f:
            f.write("changed\n")
        settle(c, "base", 1)
        expect(running_pid(c, "base") != base, "base restarted")
        for i in range(2):
            running_pid(c, "roller:roller_%d" % i, rollers[i])
        wait_until(lambda: restarts(c, "roller:roller_1") >= 1, 30, "roller_1 to restart")
        expect(running_pid(c, "dep") == dep, "dep was restarted with base")
        expect(running_pid(c, "dep2") == dep2, "dep2 was restarted with roller")
        expect(restarts(c, "dep") == 0 and restarts(c, "dep2") == 0,
               "a dependent restarted", (restarts(c, "dep"), restarts(c, "dep2")))
        pids = [int(l) for l in open(c.path("dep.pids")).read().split()]
        expect(pids == [dep], "dep ran more than once", pids)
        expect("watched files changed, restarting\n" in c.stderr_text() or
               re.search(r"base: watched files changed, restarting$", c.stderr_text(), re.M),
               "the log says why", c.stderr_tail())


def test_deleted_directory_is_rearmed():
    with Corral(name="watch_rearm", start=False, scripts=SCRIPTS) as c:
        src = c.path("src")
        os.makedirs(os.path.join(src, "sub"))
        c.write_config(worker("w", watch=src, watch_debounce=DEBOUNCE))
        c.start()
        running_pid(c, "w")
        shutil.rmtree(src)
        settle(c, "w", 1)  # the deletion is a change
        wait_until(lambda: "watch: %s is gone" % src in c.stderr_text(), 10,
                   lambda: "the log to say it is gone: " + c.stderr_tail())
        expect(c.status()["w"]["watches"] == 1, "only its parent watched while it is gone",
               c.status()["w"])
        os.makedirs(src)
        settle(c, "w", 2)  # its return is a change
        expect("watch: %s is back, watching it again" % src in c.stderr_text(),
               "the log says it is back", c.stderr_tail())
        expect(c.status()["w"]["watches"] == 1, "the directory watched again, not its parent",
               c.status()["w"])
        open(os.path.join(src, "after.txt"), "w").close()
        settle(c, "w", 3)


def test_file_replaced_by_rename_stays_watched():
    """An editor saves by writing a new file and renaming it over the old
    one: each save restarts the program, the second too (the new file is
    watched, not the old inode)."""
    with Corral(name="watch_rename", start=False, scripts=SCRIPTS) as c:
        conf = c.path("app.conf")
        with open(conf, "w") as f:
            f.write("v0\n")
        c.write_config(worker("w", watch=conf, watch_debounce=DEBOUNCE))
        c.start()
        running_pid(c, "w")
        for n in (1, 2):
            with open(conf + ".tmp", "w") as f:
                f.write("v%d\n" % n)
            os.rename(conf + ".tmp", conf)
            settle(c, "w", n)
            expect(c.status()["w"]["watches"] == 1, "one watch, on the new file",
                   c.status()["w"])


def test_rolling_strategy_rolls_a_watch_restart():
    """update_strategy = rolling: a change replaces the instances one at a
    time, each new one RUNNING (startsecs) before the next old one stops,
    so one instance is always up; each is restarted exactly once."""
    with Corral(name="watch_roll", start=False, scripts=SCRIPTS) as c:
        conf = c.path("etc.conf")
        open(conf, "w").close()
        c.write_config(worker("w", watch=conf, watch_debounce=DEBOUNCE, numprocs=2,
                              process_name="%(program_name)s_%(process_num)d", startsecs=1,
                              update_strategy="rolling", ready="startsecs"))
        c.start()
        old = {n: running_pid(c, "w:w_%d" % n) for n in (0, 1)}
        with open(conf, "w") as f:
            f.write("changed\n")
        up = set()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            st = c.status()
            running = [n for n in (0, 1) if st.get("w:w_%d" % n, {}).get("state") == "RUNNING"]
            expect(running, "both instances down at once during the roll", st)
            for n in (0, 1):
                s = st.get("w:w_%d" % n, {})
                if s.get("state") == "RUNNING" and s.get("pid") != old[n]:
                    up.add(n)
            if up == {0, 1}:
                break
            time.sleep(0.05)
        expect(up == {0, 1}, "both instances replaced", c.status())
        expect("watched files changed, rolling restart (update_strategy = rolling)"
               in c.stderr_text(), "the log says it rolls", c.stderr_tail())
        for n in (0, 1):
            expect(restarts(c, "w:w_%d" % n) == 1, "w_%d restarted once" % n)
