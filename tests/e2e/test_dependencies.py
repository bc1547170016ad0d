"""requires = db as systemd's Requires= behaves: a dependent comes back
after any restart of what it requires, however quick; `restart db` brings
the dependent back; `stop db` stops it; `start app` starts db first.

db says READY=1 over NOTIFY_SOCKET (or, with ready = none, is up at once);
app takes a second to stop on SIGTERM, and is slow to start too, so db's
restarts land while app is STOPPING or STARTING."""

import os
import random
import signal
import time

from harness import PY, Corral, expect, expect_rc, prog, wait_until

# Records its pid in PIDS, says READY=1 after DELAY seconds, lives on.
DB = r'''import os, socket, sys, time
open(sys.argv[1], "a").write("%d\n" % os.getpid())
time.sleep(float(sys.argv[2]))
if "NOTIFY_SOCKET" in os.environ:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
while True:
    time.sleep(1)
'''

# Records its pid in PIDS; takes STOP seconds to exit on SIGTERM and START
# seconds to say it is ready.
APP = r'''import os, signal, socket, sys, time
pids, start, stop = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def term(*_):
    time.sleep(stop)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
open(pids, "a").write("%d\n" % os.getpid())
time.sleep(start)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
while True:
    time.sleep(1)
'''

SCRIPTS = {"db.py": DB, "app.py": APP}


def config(db_ready="notify", app_start=0.0, app_stop=1.0):
    return (prog("db", "@PY@ @DIR@/db.py @DIR@/db.pids 0.1", ready=db_ready, startsecs=0,
                 stopwaitsecs=10)
            + prog("app", "@PY@ @DIR@/app.py @DIR@/app.pids %s %s" % (app_start, app_stop),
                   ready="notify", requires="db", stopwaitsecs=10, startretries=100))


def pids(c, name):
    return [int(x) for x in (c.read(c.path(name + ".pids")) or "").split()]


def running(c, name, not_pid=0):
    st = c.status().get(name, {})
    if st.get("state") == "RUNNING" and st.get("pid") not in (0, not_pid):
        return st["pid"]
    return None


def up(c, name, not_pid=0, timeout=30):
    return wait_until(lambda: running(c, name, not_pid), timeout,
                      lambda: "%s to be RUNNING (with a pid other than %d): %s"
                      % (name, not_pid, c.status().get(name)))


def test_dependent_comes_back_after_a_quick_restart():
    """kill -KILL db: db is respawned and ready within moments, while app,
    stopped because db failed, is still STOPPING; app must start again."""
    with Corral(config(), scripts=SCRIPTS, name="deps_quick") as c:
        expect_rc(c.ctl("wait", "--timeout", "30", "all", timeout=40), 0, "wait all")
        db, app = up(c, "db"), up(c, "app")
        os.kill(db, signal.SIGKILL)
        db2 = up(c, "db", db)
        app2 = up(c, "app", app)
        expect(app2 != app and len(pids(c, "app")) == 2, "app ran twice", pids(c, "app"))
        # and it stays up
        time.sleep(2)
        expect(running(c, "app") == app2 and running(c, "db") == db2, "both stay RUNNING",
               c.status())


def test_dependent_of_a_ready_none_program_comes_back():
    """ready = none: db is RUNNING at once, also right after its restart.
    Killing it still stops app, and app comes back."""
    with Corral(config(db_ready="none"), scripts=SCRIPTS, name="deps_none") as c:
        db, app = up(c, "db"), up(c, "app")
        os.kill(db, signal.SIGKILL)
        up(c, "db", db)
        app2 = up(c, "app", app)
        expect(len(pids(c, "app")) == 2, "app was stopped and started again", pids(c, "app"))
        expect(app2 != app, "app has a new pid")


def test_dependent_survives_twenty_kills_at_random_moments():
    """app slow to stop and slow to start: db killed 20 times, at random
    moments of app's stopping and starting; app always comes back."""
    rnd = random.Random(os.getpid())
    with Corral(config(app_start=0.7, app_stop=1.0), scripts=SCRIPTS, name="deps_storm") as c:
        up(c, "db")
        up(c, "app")
        for i in range(20):
            db = up(c, "db", timeout=30)
            os.kill(db, signal.SIGKILL)
            time.sleep(rnd.uniform(0.0, 1.5))
        db = up(c, "db", timeout=30)
        app = up(c, "app", timeout=60)
        time.sleep(2)
        expect(running(c, "app") == app and running(c, "db") == db,
               "after 20 kills both are RUNNING and stay so", c.status())
test_dependent_survives_twenty_kills_at_random_moments.timeout = 300


def test_restart_db_brings_app_back():
    with Corral(config(), scripts=SCRIPTS, name="deps_restart") as c:
        db, app = up(c, "db"), up(c, "app")
        r = c.ctl("restart", "db", timeout=60)
        expect_rc(r, 0, "restart db")
        expect("db: stopped" in r.lines and "db: started" in r.lines, "restart output", r)
        up(c, "db", db)
        app2 = up(c, "app", app)
        expect(app2 != app, "app was restarted with db")
        # app stopped before db did (it requires db)
        log = c.stderr_text()
        a = log.find("app: STOPPING -> STOPPED")
        d = log.find("db: STOPPING -> STOPPED")
        expect(0 <= a < d, "app stopped before db", log[-2000:])


def test_stop_db_stops_app_and_start_app_starts_db():
    with Corral(config(), scripts=SCRIPTS, name="deps_stopstart") as c:
        up(c, "db")
        up(c, "app")
        r = c.ctl("stop", "db", timeout=60)
        expect_rc(r, 0, "stop db")
        st = c.status()
        expect(st["db"]["state"] == "STOPPED" and st["app"]["state"] == "STOPPED",
               "stop db stops app too", st)
        time.sleep(1)
        expect(c.status()["app"]["state"] == "STOPPED", "app stays stopped after stop db")
        r = c.ctl("start", "app", timeout=60)
        expect_rc(r, 0, "start app")
        up(c, "db")
        up(c, "app")
