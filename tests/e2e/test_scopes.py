"""Scopes (issue 3, first half): every process a program starts lives in its
own cgroup v2 leaf SCOPE/NAME, is killed and reaped with it whatever it does to
escape, and nothing outlives corrald, not even a SIGKILL of corrald."""

import os
import re
import signal
import time

import harness
from harness import (Corral, SLEEP, cgroup2_mount, children_of, expect, expect_rc, is_guard,
                     parse_status_text, pid_alive, proc_stat, prog, run, scope_dir, tagged_pids,
                     wait_until)

# ---------------------------------------------------------------- workers
# Each writes its files atomically (tmp + rename) so the test never reads half.

COMMON = """\
import os, signal, sys, time
def put(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)
def starttime(pid):
    try:
        s = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    return rest[0], int(rest[19])
"""

# Double fork + setsid: the grandchild (in a new session, re-parented away from
# the main process) writes its pid to PIDFILE and sleeps; the main sleeps.
DAEMON = COMMON + """\
pidfile = sys.argv[1]
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        put(pidfile, "%d\\n" % os.getpid())
        time.sleep(1000)
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(1000)
"""

# Ignores SIGTERM, and so do its two children; touches READY.
STUBBORN = COMMON + """\
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for i in range(2):
    if os.fork() == 0:
        time.sleep(1000)
        os._exit(0)
put(sys.argv[1], "ready")
time.sleep(1000)
"""

# A child moves to a process group of its own (and forks a grandchild there);
# it writes "PID PGID" to READY.
SETPGID = COMMON + """\
if os.fork() == 0:
    os.setpgid(0, 0)
    if os.fork() == 0:
        time.sleep(1000)
        os._exit(0)
    put(sys.argv[1], "%d %d" % (os.getpid(), os.getpgrp()))
    time.sleep(1000)
    os._exit(0)
time.sleep(1000)
"""

# Fork storm: the main and two stormers ignore SIGTERM (so the stop has to wait
# stopwaitsecs and the storm goes on during it); each stormer forks children
# that live a few ms, continuously, and appends "COUNT MONOTONIC" to DIR/storm_K
# every 25 forks.
STORM = COMMON + """\
d = sys.argv[1]
signal.signal(signal.SIGTERM, signal.SIG_IGN)
def storm(k):
    n = 0
    while True:
        try:
            child = os.fork()
        except OSError:    # EAGAIN: a pids limit, or a busy machine; keep storming
            time.sleep(0.001)
            continue
        if child == 0:
            time.sleep(0.002 * (n % 5))
            os._exit(0)
        n += 1
        while True:
            try:
                r, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if r == 0:
                break
        if n % 25 == 0:
            with open("%s/storm_%d" % (d, k), "a") as f:
                f.write("%d %.6f\\n" % (n, time.monotonic()))
for k in range(2):
    if os.fork() == 0:
        storm(k)
        os._exit(0)
time.sleep(1000)
"""

# A chain DEPTH levels deep: each level forks the next and waits for it; the
# deepest writes its pid to OUT and sleeps.
DEEP = COMMON + """\
depth, out = int(sys.argv[1]), sys.argv[2]
for level in range(depth):
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        os._exit(0)
put(out, "%d\\n" % os.getpid())
time.sleep(1000)
"""

# One generation of a program that exits on its own after SECS, leaving a
# setsid'd child that ignores SIGTERM behind. At start it checks whether the
# previous generation's child (DIR/child: "PID STARTTIME") still runs and
# appends "PID clean|zombie|overlap" to DIR/gens.
GENERATION = COMMON + """\
d, secs = sys.argv[1], float(sys.argv[2])
verdict = "clean"
try:
    pid, start = [int(x) for x in open(d + "/child").read().split()]
    st = starttime(pid)
    if st and st[1] == start:
        verdict = "zombie" if st[0] == "Z" else "overlap"
except FileNotFoundError:
    pass
with open(d + "/gens", "a") as f:
    f.write("%d %s\\n" % (os.getpid(), verdict))
if os.fork() == 0:
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    me = os.getpid()
    put(d + "/child", "%d %d" % (me, starttime(me)[1]))
    time.sleep(1000)
    os._exit(0)
time.sleep(secs)
sys.exit(0)
"""

# killmode = process: leaves a setsid'd child (pid in DIR/left) and exits after SECS.
LEAVER = COMMON + """\
d, secs = sys.argv[1], float(sys.argv[2])
if os.fork() == 0:
    os.setsid()
    put(d + "/left", "%d" % os.getpid())
    time.sleep(1000)
    os._exit(0)
time.sleep(secs)
"""

# stopasgroup: a setsid'd child writes MARKER ("SIGTERM") when it gets SIGTERM
# and exits; the main, on SIGTERM, waits up to 1 s for that child, then exits.
# READY is written once the child's handler is in place.
TERMCHILD = COMMON + """\
marker, ready = sys.argv[1], sys.argv[2]
r, w = os.pipe()
child = os.fork()
if child == 0:
    os.close(r)
    def on_term(sig, frame):
        put(marker, signal.Signals(sig).name)
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
    os.setsid()
    os.write(w, b"x")
    os.close(w)
    while True:
        time.sleep(1000)
os.close(w)
os.read(r, 1)
def main_term(sig, frame):
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if os.waitpid(child, os.WNOHANG)[0]:
            break
        time.sleep(0.01)
    sys.exit(0)
signal.signal(signal.SIGTERM, main_term)
put(ready, "ready")
while True:
    time.sleep(1000)
"""

# Tells, at its start, whether any process of OLDFILE ("PID STARTTIME" lines)
# still runs: appends "NAME clean|overlap PIDS" to DIR/starts; then sleeps.
CHECKOLD = COMMON + """\
d, name = sys.argv[1], sys.argv[2]
alive = []
try:
    for line in open(d + "/old"):
        pid, start = [int(x) for x in line.split()]
        st = starttime(pid)
        if st and st[1] == start and st[0] != "Z":
            alive.append(pid)
except FileNotFoundError:
    pass
with open(d + "/starts", "a") as f:
    f.write("%s %s %s\\n" % (name, "overlap" if alive else "clean", alive))
if os.fork() == 0:
    os.setsid()
    time.sleep(1000)
    os._exit(0)
time.sleep(1000)
"""

SCRIPTS = {"daemon.py": DAEMON, "stubborn.py": STUBBORN, "setpgid.py": SETPGID, "storm.py": STORM,
           "deep.py": DEEP, "generation.py": GENERATION, "leaver.py": LEAVER,
           "termchild.py": TERMCHILD, "checkold.py": CHECKOLD}

BG = "/bin/sh -c '/bin/sleep 1000 & /bin/sleep 1000 & exec /bin/sleep 1000'"


# ---------------------------------------------------------------- helpers

def leaf(c, name):
    return os.path.join(scope_dir(c.sock), name)


def cgroup_pids(path):
    """Every pid in the cgroup PATH and its sub-cgroups ([] when PATH is gone)."""
    out = []
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            out += [int(x) for x in f.read().split()]
        subs = [e.path for e in os.scandir(path) if e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return out
    for s in subs:
        out += cgroup_pids(s)
    return out


def populated(path):
    if not os.path.exists(os.path.join(path, "cgroup.events")):
        return bool(cgroup_pids(path))  # cgroup v1 (test_scopes_v1.py): no cgroup.events
    with open(os.path.join(path, "cgroup.events")) as f:
        m = re.search(r"^populated (\d)", f.read(), re.M)
    return m and m.group(1) == "1"


def snapshot(pids):
    """{pid: starttime} of those of PIDS that still exist."""
    out = {}
    for p in pids:
        st = proc_stat(p)
        if st:
            out[p] = st[2]
    return out


def same(pid, start):
    """The process PID that started at START, as (state) or None when gone."""
    st = proc_stat(pid)
    return st[0] if st and st[2] == start else None


def survivors(snap, zombies=True):
    out = []
    for p, start in snap.items():
        s = same(p, start)
        if s and (zombies or s != "Z"):
            out.append((p, s))
    return out


def pgrp(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return int(s[s.rfind(")") + 2:].split()[2])


def sid(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    return int(s[s.rfind(")") + 2:].split()[3])


def cgroup_of(pid):
    try:
        with open("/proc/%d/cgroup" % pid) as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].strip()
    except OSError:
        pass
    return None


def rel(path):
    """PATH (under the cgroup2 mount) as /proc/PID/cgroup writes it."""
    return "/" + os.path.relpath(path, cgroup2_mount()).lstrip("/")


def ours(c, but=()):
    """Processes carrying this test's tag, corrald itself excepted, and those
    in the leaves of the programs BUT."""
    skip = [rel(leaf(c, n)) for n in but]
    return [p for p in tagged_pids(c.tag) if p != c.pid and pid_alive(p) and cgroup_of(p) not in skip]


def read_pid(c, fname, timeout=5):
    wait_until(lambda: os.path.exists(c.path(fname)), timeout, "%s to be written" % fname)
    return int(c.read(c.path(fname)).split()[0])


def guards_of(c):
    return [p for p, s in children_of(c.pid) if s != "Z" and is_guard(p)]


def stop_and_check(c, name, min_tree, extra=(), stop_min=0.0, before_stop=None):
    """Stop NAME, whose leaf must hold at least MIN_TREE processes (and the pids
    EXTRA); afterwards none of them may run, the leaf must be empty, and within
    a second none may even be a zombie. BEFORE_STOP is called right before the
    stop. Returns (snapshot, stop result)."""
    lf = leaf(c, name)
    st = c.wait_state(name, "RUNNING", 10)
    wait_until(lambda: len(cgroup_pids(lf)) >= min_tree, 10,
               lambda: "%s's leaf to hold %d processes (has %s)" % (name, min_tree, cgroup_pids(lf)))
    pids = cgroup_pids(lf)
    expect(st["pid"] in pids, "main pid %d is not in its leaf %s" % (st["pid"], lf), pids)
    for p in extra:
        expect(p in pids, "pid %d is not in %s's leaf" % (p, name), pids)
    snap = snapshot(pids)
    if before_stop:
        before_stop()
    r = c.ctl("stop", name, timeout=30)
    expect_rc(r, 0, "stop " + name)
    expect("%s: stopped" % name in r.lines, "stop output", r)
    # Checked at once: `stop` answers only when the tree is gone.
    left = survivors(snap, zombies=False)
    procs = cgroup_pids(lf)
    expect(not left, "%s: processes of the tree still run after `stop` returned" % name, left)
    expect(procs == [], "%s: the leaf still holds processes after `stop` returned" % name, procs)
    expect(not populated(lf), "%s: cgroup.events still says populated 1" % name)
    others = [n for n, p in c.status().items() if n != name and p["pid"]]
    strays = ours(c, but=others)
    expect(not strays, "%s: processes of this test still run after `stop`" % name,
           [(p, proc_stat(p)) for p in strays])
    st = c.status()[name]
    expect(st["state"] == "STOPPED" and st["pid"] == 0, "state after stop", st)
    expect(st["tree"] == 0, "json tree of a stopped program", st)
    expect(r.elapsed >= stop_min, "stop answered after %.2fs, before stopwaitsecs" % r.elapsed)
    # Zombies: every one is reaped (by corrald, the subreaper) promptly.
    wait_until(lambda: not survivors(snap), 1.0,
               lambda: "the zombies of %s's tree to be reaped: %s" % (name, survivors(snap)))
    z = c.check_zombies(grace=0.5)
    expect(z == [], "corrald keeps zombie children after stopping " + name, z)
    return snap, r


# ---------------------------------------------------------------- 1. escapes

def test_stop_background_children():
    with Corral(prog("bg", BG, startsecs=0), name="scope_bg") as c:
        snap, _ = stop_and_check(c, "bg", 3)
        expect(len(snap) == 3, "bg's tree had %d processes, expected 3" % len(snap), snap)


def test_stop_double_fork_setsid():
    cfg = prog("daemon", "@PY@ @DIR@/daemon.py @DIR@/gc", startsecs=0)
    with Corral(cfg, scripts=SCRIPTS, name="scope_daemon") as c:
        main = c.wait_state("daemon", "RUNNING")["pid"]
        gc = read_pid(c, "gc")
        st = proc_stat(gc)
        expect(st and st[1] != main, "the grandchild is still a child of the main process", st)
        expect(sid(gc) != sid(main) and pgrp(gc) != pgrp(main), "the grandchild is not in a session of its own")
        stop_and_check(c, "daemon", 2, extra=(gc,))
        expect(not pid_alive(gc), "the setsid'd grandchild %d survived the stop" % gc)


def test_stop_ignores_sigterm():
    cfg = prog("stubborn", "@PY@ @DIR@/stubborn.py @DIR@/ready", startsecs=0, stopwaitsecs=1)
    with Corral(cfg, scripts=SCRIPTS, name="scope_stubborn") as c:
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "stubborn.py to ignore SIGTERM")
        _, r = stop_and_check(c, "stubborn", 3, stop_min=0.8)
        expect(r.elapsed < 5, "stop with stopwaitsecs=1 took %.2fs" % r.elapsed)


def test_stop_setpgid():
    cfg = prog("pg", "@PY@ @DIR@/setpgid.py @DIR@/ready", startsecs=0)
    with Corral(cfg, scripts=SCRIPTS, name="scope_setpgid") as c:
        main = c.wait_state("pg", "RUNNING")["pid"]
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "setpgid.py's child to move")
        child, group = [int(x) for x in c.read(c.path("ready")).split()]
        expect(group == child and pgrp(main) != group, "the child did not leave the main's process group")
        stop_and_check(c, "pg", 3, extra=(child,))


def test_stop_fork_storm():
    cfg = prog("storm", "@PY@ @DIR@/storm.py @DIR@", startsecs=0, stopwaitsecs=1)
    with Corral(cfg, scripts=SCRIPTS, name="scope_storm") as c:
        def counts():
            out = []
            for k in (0, 1):
                lines = (c.read(c.path("storm_%d" % k)) or "").split("\n")
                recs = [l.split() for l in lines if l.strip()]
                out.append([(int(n), float(t)) for n, t in recs])
            return out
        wait_until(lambda: all(len(x) >= 4 for x in counts()), 20, "both stormers to get going")
        t_stop = []

        def storming_now():
            # Both stormers forked 25 more children since this moment: the
            # storm is going on as the stop begins, however busy the machine.
            t0 = time.monotonic()
            wait_until(lambda: all(recs and recs[-1][1] > t0 for recs in counts()), 20,
                       "both stormers to be forking right before the stop")
            t_stop.append(time.monotonic())
        stop_and_check(c, "storm", 3, stop_min=0.8, before_stop=storming_now)
        # The storm went on during the stop (a second and more, stopwaitsecs).
        during = 0
        for recs in counts():
            before = max([n for n, t in recs if t <= t_stop[0]] or [0])
            after = max([n for n, t in recs] or [0])
            during += after - before
        expect(during >= 25, "only %d children were forked during the stop (test setup)" % during)
test_stop_fork_storm.timeout = 90


def test_stop_deep_tree():
    cfg = prog("deep", "@PY@ @DIR@/deep.py 50 @DIR@/deepest", startsecs=0)
    with Corral(cfg, scripts=SCRIPTS, name="scope_deep") as c:
        main = c.wait_state("deep", "RUNNING")["pid"]
        deepest = read_pid(c, "deepest", 15)
        # 50 parent links from the deepest up to the main process.
        p, hops = deepest, 0
        while p != main and hops < 60:
            p, hops = proc_stat(p)[1], hops + 1
        expect(p == main and hops == 50, "the chain is %d levels deep, not 50" % hops)
        snap, _ = stop_and_check(c, "deep", 51, extra=(deepest,))
        expect(len(snap) == 51, "deep's tree had %d processes" % len(snap))


# ---------------------------------------------------------------- 2. killmode = group

def test_killmode_group_generations_never_overlap():
    cfg = prog("gen", "@PY@ @DIR@/generation.py @DIR@ 1.2", startsecs=0, autorestart=True)
    with Corral(cfg, scripts=SCRIPTS, name="scope_generations") as c:
        def child():
            text = c.read(c.path("child")) or ""
            return tuple(int(x) for x in text.split()) if text else None
        seen, main = [], 0
        for _ in range(2):
            def new_pid():
                p = c.status()["gen"]["pid"]
                return p if p not in (0, main) else None
            main = wait_until(new_pid, 10, lambda: "gen to (re)start (status %s)" % c.status()["gen"])
            wait_until(lambda: child() and child() not in seen and same(*child()), 5,
                       "generation %d's child" % (len(seen) + 1))
            old = child()
            seen.append(old)
            expect(old[0] in cgroup_pids(leaf(c, "gen")), "the child is not in gen's leaf")
            # Watch the restart: when status first shows the new pid, the old
            # child must be dead already.
            wait_until(new_pid, 10, lambda: "gen to be restarted (status %s)" % c.status()["gen"])
            s = same(*old)
            expect(s in (None, "Z"), "status shows gen's new pid while the last run's child %d still runs"
                   % old[0], s)
        wait_until(lambda: len((c.read(c.path("gens")) or "").splitlines()) >= 3, 10, "a third generation")
        gens = [l.split() for l in c.read(c.path("gens")).splitlines()]
        bad = [g for g in gens if g[1] == "overlap"]
        expect(not bad, "a new generation started while the last one's child still ran", gens)
        r = c.ctl("stop", "gen")
        expect_rc(r, 0, "stop gen")
        expect(cgroup_pids(leaf(c, "gen")) == [], "gen's leaf is not empty after stop")
        expect(not ours(c), "processes left after stopping gen", ours(c))


def test_start_again_after_tree_killed():
    # A stop that ends in cgroup.kill (leftovers of bg; stubborn ignores SIGTERM)
    # must not poison the leaf: the next process spawned into it has to live.
    cfg = (prog("bg", BG, startsecs=1, startretries=1)
           + prog("stubborn", "@PY@ @DIR@/stubborn.py @DIR@/ready", startsecs=1, stopwaitsecs=1,
                  startretries=1))
    with Corral(cfg, scripts=SCRIPTS, name="scope_start_again") as c:
        c.wait_running(["bg", "stubborn"])
        wait_until(lambda: os.path.exists(c.path("ready")), 5, "stubborn.py to ignore SIGTERM")
        wait_until(lambda: c.status()["bg"]["tree"] == 3, 5, "bg's tree")
        expect_rc(c.ctl("stop", "bg", "stubborn", timeout=20), 0, "stop bg stubborn")
        for verb in ("start", "restart"):
            r = c.ctl(verb, "bg", "stubborn", timeout=20)
            st = c.status()
            expect(r.rc == 0 and all(st[n]["state"] == "RUNNING" for n in ("bg", "stubborn")),
                   "`%s` after a stop that used cgroup.kill: the new processes did not start "
                   "(killed by %s, %s)" % (verb, st["bg"]["signal"], st["stubborn"]["signal"]), r, st)
            wait_until(lambda: c.status()["bg"]["tree"] == 3, 5,
                       lambda: "bg's new tree after `%s` (%s)" % (verb, c.status()["bg"]))


# ---------------------------------------------------------------- 3. killmode = process

def test_killmode_process_leaves_leftovers():
    cfg = prog("leave", "@PY@ @DIR@/leaver.py @DIR@ 1.3", startsecs=0, autorestart=False,
               killmode="process")
    with Corral(cfg, scripts=SCRIPTS, name="scope_killmode_process") as c:
        left = read_pid(c, "left")
        st = c.wait_state("leave", "EXITED", 10)
        time.sleep(0.3)
        expect(pid_alive(left), "killmode=process: the leftover child %d was killed" % left)
        expect(left in cgroup_pids(leaf(c, "leave")), "the leftover is not in the leaf")
        st = c.status()["leave"]
        expect(st["tree"] == 1, "json tree with one leftover", st)
        r = c.ctl("status", "leave")
        desc = parse_status_text(r.out)["leave"][1]
        expect("1 process left in its scope" in desc, "status text does not say what is left", r)
        c.signal(signal.SIGTERM)
        expect(c.wait_exit(10) == 0, "corrald's exit status after SIGTERM")
        expect(not pid_alive(left), "the killmode=process leftover %d outlived corrald" % left)
        expect(not os.path.exists(scope_dir(c.sock)), "the scope is still there after corrald exited")


# ---------------------------------------------------------------- 4. stopasgroup

def test_stopasgroup():
    cfg = (prog("asgroup", "@PY@ @DIR@/termchild.py @DIR@/marker_g @DIR@/ready_g", startsecs=0,
                stopasgroup=True, stopwaitsecs=5)
           + prog("alone", "@PY@ @DIR@/termchild.py @DIR@/marker_a @DIR@/ready_a", startsecs=0,
                  stopwaitsecs=5))
    with Corral(cfg, scripts=SCRIPTS, name="scope_stopasgroup") as c:
        c.wait_running(["asgroup", "alone"])
        for n in "ga":
            wait_until(lambda: os.path.exists(c.path("ready_" + n)), 5, "termchild.py %s to be ready" % n)
        sg, _ = stop_and_check(c, "asgroup", 2)
        expect(c.read(c.path("marker_g")) == "SIGTERM",
               "stopasgroup=true: the child did not get the stop signal", c.read(c.path("marker_g")))
        sa, r = stop_and_check(c, "alone", 2)
        expect(c.read(c.path("marker_a")) is None,
               "stopasgroup=false: the child got a signal it can handle", c.read(c.path("marker_a")))
        expect(r.elapsed >= 0.8, "stop of alone answered after %.2fs, before its main gave up waiting"
               % r.elapsed)


# ---------------------------------------------------------------- 5. status, leaves, guard

def test_status_tree_and_leaves():
    cfg = (prog("web", BG, startsecs=0)
           + prog("one", SLEEP, startsecs=0)
           + prog("idle", SLEEP, autostart=False)
           + prog("grp", SLEEP, startsecs=0, numprocs=2, process_name="%(program_name)s_%(process_num)02d"))
    with Corral(cfg, name="scope_status") as c:
        scope = scope_dir(c.sock)
        m = re.search(r"scopes: cgroup v2, one cgroup per process under (\S+) \(guard pid (\d+)\)",
                      c.stderr_text())
        expect(m, "no scopes line at start", c.stderr_tail())
        expect(m.group(1) == scope, "the scope is %s, expected %s" % (m.group(1), scope))
        guard = int(m.group(2))
        expect(guards_of(c) == [guard], "corrald's guard children are %s, the log says %d"
               % (guards_of(c), guard))
        gcg = cgroup_of(guard)
        expect(gcg is not None and not (gcg + "/").startswith(rel(scope) + "/"),
               "the guard is inside the scope it guards", gcg)

        pids = c.wait_running(["web", "one", "grp:grp_00", "grp:grp_01"])
        wait_until(lambda: c.status()["web"]["tree"] == 3, 5,
                   lambda: "web's tree to count 3 (%s)" % c.status()["web"])
        st = c.status()
        for n, want in (("web", 3), ("one", 1), ("grp:grp_00", 1), ("grp:grp_01", 1), ("idle", 0)):
            expect(st[n]["scope"] == "cgroup", "json scope of %s" % n, st[n])
            expect(st[n]["tree"] == want, "json tree of %s is %r, expected %d" % (n, st[n]["tree"], want), st[n])
        # Each process and all its descendants are in its own leaf, named after it.
        for n, p in pids.items():
            lf = leaf(c, n)
            expect(os.path.isdir(lf), "no leaf %s" % lf)
            members = cgroup_pids(lf)
            expect(p in members, "%s's pid %d is not in %s" % (n, p, lf), members)
            for q in members:
                expect(cgroup_of(q) == rel(lf), "pid %d of %s is in %s" % (q, n, cgroup_of(q)))
        web = cgroup_pids(leaf(c, "web"))
        kids = [q for q, s in children_of(pids["web"])]
        expect(len(kids) == 2 and set(kids) <= set(web), "web's children are not all in its leaf", kids, web)
        expect(not os.path.exists(leaf(c, "idle")), "a leaf exists for a program never started")
        # Nothing else in the scope: only leaves, no process at its root.
        with open(os.path.join(scope, "cgroup.procs")) as f:
            expect(f.read().split() == [], "processes at the scope's root")
        r = c.ctl("stop", "web")
        expect_rc(r, 0, "stop web")
        st = c.status()["web"]
        expect(st["tree"] == 0 and st["scope"] == "cgroup", "web after stop", st)


# ---------------------------------------------------------------- 6. SIGKILL of corrald

def test_sigkill_corrald_kills_every_tree():
    cfg = (prog("bg", BG, startsecs=0)
           + prog("daemon", "@PY@ @DIR@/daemon.py @DIR@/gc", startsecs=0)
           + prog("stubborn", "@PY@ @DIR@/stubborn.py @DIR@/ready", startsecs=0, stopwaitsecs=1)
           + prog("pg", "@PY@ @DIR@/setpgid.py @DIR@/ready_pg", startsecs=0)
           + prog("deep", "@PY@ @DIR@/deep.py 10 @DIR@/deepest", startsecs=0)
           + prog("leave", "@PY@ @DIR@/leaver.py @DIR@ 1.3", startsecs=0, autorestart=False,
                  killmode="process"))
    with Corral(cfg, scripts=SCRIPTS, name="scope_sigkill") as c:
        scope = scope_dir(c.sock)
        c.wait_running(["bg", "daemon", "stubborn", "pg", "deep"])
        c.wait_state("leave", "EXITED")
        for f in ("gc", "ready", "ready_pg", "deepest", "left"):
            wait_until(lambda: os.path.exists(c.path(f)), 10, f + " to be written")
        gc, left = read_pid(c, "gc"), read_pid(c, "left")
        wait_until(lambda: len(cgroup_pids(scope)) >= 3 + 2 + 3 + 3 + 11 + 1, 10,
                   lambda: "every tree to be complete (%d processes)" % len(cgroup_pids(scope)))
        snap = snapshot(cgroup_pids(scope))
        expect(gc in snap and left in snap, "the setsid'd grandchild or the leftover is not in the scope")
        guards = guards_of(c)
        expect(len(guards) == 1, "corrald has %d guards" % len(guards), guards)
        guard = guards[0]

        t0 = time.monotonic()
        os.kill(c.pid, signal.SIGKILL)
        c.wait_exit(5)
        wait_until(lambda: not survivors(snap, zombies=False), max(0.1, 20.0 - (time.monotonic() - t0)),
                   lambda: "every process corrald started to die after its SIGKILL: %s still run"
                   % survivors(snap, zombies=False))
        wait_until(lambda: not os.path.exists(scope), max(0.1, 20.0 - (time.monotonic() - t0)),
                   "the scope %s to be removed by the guard" % scope)
        wait_until(lambda: not pid_alive(guard), max(0.1, 20.0 - (time.monotonic() - t0)),
                   "the guard %d to exit" % guard)
        took = time.monotonic() - t0
        expect(took <= 20.0, "cleaning up after corrald's SIGKILL took %.2fs" % took)
        expect(not ours(c), "processes of this test outlived corrald", ours(c))
        expect("corrald guard: corrald died without stopping its programs" in c.stderr_text(),
               "the guard did not say what it did", c.stderr_tail())


def test_guard_killed_is_replaced():
    """kill -9 of the guard: corrald starts another at once, so that a later
    kill -9 of corrald still takes a setsid'd grandchild with it."""
    cfg = prog("daemon", "@PY@ @DIR@/daemon.py @DIR@/gc", startsecs=0)
    with Corral(cfg, scripts=SCRIPTS, name="scope_guard_again") as c:
        c.wait_running(["daemon"])
        wait_until(lambda: os.path.exists(c.path("gc")), 20, "the daemon's grandchild")
        gc = read_pid(c, "gc")
        first = guards_of(c)
        expect(len(first) == 1, "corrald has %d guards" % len(first), first)
        os.kill(first[0], signal.SIGKILL)
        m = wait_until(lambda: re.search(r"the guard \(pid %d\) died: started another, pid (\d+)"
                                         % first[0], c.stderr_text()), 20,
                       lambda: "corrald to replace its guard; log:\n" + c.stderr_tail())
        new = int(m.group(1))
        wait_until(lambda: guards_of(c) == [new], 20,
                   lambda: "the new guard %d to be corrald's only guard (%s)" % (new, guards_of(c)))
        # The new guard holds its pipe open before it counts: it reads until
        # corrald is gone. Now corrald goes.
        snap = snapshot([gc])
        os.kill(c.pid, signal.SIGKILL)
        c.wait_exit(10)
        wait_until(lambda: not survivors(snap, zombies=False), 20,
                   "the setsid'd grandchild to die with corrald (the new guard's job)")
        wait_until(lambda: not pid_alive(new), 20, "the new guard to exit")
        expect("corrald guard: corrald died without stopping its programs" in c.stderr_text(),
               "the new guard did not say what it did", c.stderr_tail())


# ---------------------------------------------------------------- 7. a predecessor's leftovers

def test_predecessor_leftovers_killed_before_start():
    chk = "@PY@ @DIR@/checkold.py @DIR@ %s"
    cfg = (prog("a", chk % "a", startsecs=0)
           + prog("b", chk % "b", startsecs=0)
           + prog("bg", BG, startsecs=0, autostart=False))
    with Corral(cfg, scripts=SCRIPTS, name="scope_predecessor") as c:
        scope = scope_dir(c.sock)
        c.wait_running(["a", "b"])
        r = c.ctl("start", "bg")
        expect_rc(r, 0, "start bg")
        wait_until(lambda: len(cgroup_pids(scope)) >= 2 + 2 + 3, 10, "every tree to be complete")
        old = snapshot(cgroup_pids(scope))
        expect(len(old) == 7, "the first corrald's trees hold %d processes, expected 7" % len(old), old)
        c_status = c.status()
        guards = guards_of(c)
        expect(len(guards) == 1, "corrald has %d guards" % len(guards), guards)
        # The guard first, then corrald, with corrald stopped in between so
        # that it cannot start another guard: the situation a successor must
        # recover from (a machine that lost both at once).
        os.kill(c.pid, signal.SIGSTOP)
        wait_until(lambda: (proc_stat(c.pid) or ("",))[0] == "T", 10, "corrald to be stopped")
        os.kill(guards[0], signal.SIGKILL)
        wait_until(lambda: not pid_alive(guards[0]), 10, "the guard to die")
        os.kill(c.pid, signal.SIGKILL)
        c.wait_exit(5)
        # The main processes die with corrald (PR_SET_PDEATHSIG); their
        # descendants, with no guard left, do not: that is what B must clean.
        mains = {p["pid"] for p in c_status.values()}
        time.sleep(0.5)
        desc = {p: s for p, s in old.items() if p not in mains}
        dead = [p for p in desc if same(p, desc[p]) in (None, "Z")]
        expect(len(desc) == 4 and not dead,
               "test setup: descendants died with corrald although its guard was gone", desc, dead)
        expect(os.path.isdir(scope), "test setup: the scope went away with corrald")
        old = snapshot([p for p in cgroup_pids(scope) if pid_alive(p)])
        expect(set(desc) <= set(old), "test setup: descendants are not in the scope", desc, old)
        with open(c.path("old"), "w") as f:
            f.write("".join("%d %d\n" % kv for kv in old.items()))
        os.remove(c.path("starts"))

        mark = len(c.stderr_text())
        c.start()  # corrald B, same config and socket; waits until status answers
        left = survivors(old, zombies=False)
        expect(not left, "old processes still run when the new corrald first answers", left)
        err = c.stderr_text()[mark:]
        m = re.search(r"scopes: a previous corrald left (\d+) processes in (\d+) cgroups under (\S+): "
                      r"killed and removed them", err)
        expect(m, "corrald B does not report its predecessor's leftovers", err[-2000:])
        expect((int(m.group(1)), int(m.group(2)), m.group(3)) == (len(old), 3, scope),
               "leftover report: %s processes in %s cgroups under %s, expected %d in 3 under %s"
               % (m.group(1), m.group(2), m.group(3), len(old), scope))
        pos_warn = err.find(m.group(0))
        spawned = [mm.start() for mm in re.finditer(r"\b(a|b): spawned pid", err)]
        expect(spawned, "no spawn lines in corrald B's log", err[-2000:])
        expect(all(pos > pos_warn for pos in spawned), "programs were started before the leftovers were killed",
               err[-2000:])
        c.wait_running(["a", "b"])
        wait_until(lambda: len((c.read(c.path("starts")) or "").splitlines()) >= 2, 5, "a and b to start")
        starts = c.read(c.path("starts")).splitlines()
        expect(all(" clean " in l for l in starts), "B's programs started beside A's leftovers", starts)
        expect(not survivors(old, zombies=False), "old processes still run", survivors(old, zombies=False))
        expect(not os.path.exists(leaf(c, "bg")), "the predecessor's leaf bg was not removed")
        # B's own trees are in B's leaves, and only those.
        now = cgroup_pids(scope)
        expect(not (set(now) & set(p for p in old if same(p, old[p]))), "old pids in the scope", now)


# ---------------------------------------------------------------- 8. scopes = process-group

def test_scopes_process_group():
    cfg = (prog("simple", SLEEP, startsecs=0)
           + prog("bg", "/bin/sh -c '/bin/sleep 1000 & echo $! > @DIR@/bgpid; /bin/sleep 1; exit 0'",
                  startsecs=0, autorestart=False))
    with Corral(cfg, name="scope_pgroup", corral_extra="scopes = process-group") as c:
        expect("scopes: cgroup v2 not usable (scopes = process-group in the config); using process groups: "
               in c.stderr_text(), "no fallback line at start", c.stderr_tail())
        expect("cgroup v2, one cgroup per process" not in c.stderr_text(), "both scope lines at start")
        expect(not os.path.exists(scope_dir(c.sock)), "a cgroup scope exists with scopes = process-group")
        expect(guards_of(c) == [], "a guard runs with scopes = process-group", guards_of(c))
        pid = c.wait_state("simple", "RUNNING")["pid"]
        st = c.status()
        for n in ("simple", "bg"):
            expect(st[n]["scope"] == "process-group", "json scope of %s" % n, st[n])
            expect(st[n]["tree"] is None, "json tree of %s should be null (unknown)" % n, st[n])
        bgchild = read_pid(c, "bgpid")
        expect(pgrp(bgchild) == st["bg"]["pid"], "test setup: the background child is not in the main's group")
        r = c.ctl("stop", "simple")
        expect_rc(r, 0, "stop simple")
        expect(not pid_alive(pid), "simple survived its stop")
        expect(c.status()["simple"]["state"] == "STOPPED", "simple after stop")
        c.wait_state("bg", "EXITED", 10)
        wait_until(lambda: not pid_alive(bgchild), 1.0,
                   "killmode=group (process-group scopes): the background child %d to be killed" % bgchild)


# ---------------------------------------------------------------- 9. leaves come and go

def test_leaves_created_at_spawn_removed_at_reload():
    full = (prog("keep", SLEEP, startsecs=0)
            + prog("gone", BG, startsecs=0)
            + prog("later", SLEEP, startsecs=0, autostart=False))
    with Corral(full, name="scope_leaves") as c:
        pids = c.wait_running(["keep", "gone"])
        expect(os.path.isdir(leaf(c, "keep")) and os.path.isdir(leaf(c, "gone")), "leaves of running programs")
        expect(not os.path.exists(leaf(c, "later")), "a leaf exists before its process was spawned")
        r = c.ctl("start", "later")
        expect_rc(r, 0, "start later")
        lp = c.status()["later"]["pid"]
        expect(cgroup_pids(leaf(c, "later")) == [lp], "later's leaf after its spawn",
               cgroup_pids(leaf(c, "later")))
        wait_until(lambda: len(cgroup_pids(leaf(c, "gone"))) == 3, 5, "gone's tree")
        gone = snapshot(cgroup_pids(leaf(c, "gone")))

        c.write_config(prog("keep", SLEEP, startsecs=0))
        r = c.ctl("reload", timeout=30)
        expect_rc(r, 0, "reload")
        for n in ("gone", "later"):
            wait_until(lambda: not os.path.exists(leaf(c, n)), 5, "the leaf of removed program %s to go" % n)
        expect(not survivors(gone, zombies=False), "gone's tree survived its removal", survivors(gone))
        expect(not pid_alive(lp), "later survived its removal")
        expect(os.path.isdir(leaf(c, "keep")), "keep's leaf went away")
        st = c.status()
        expect(st["keep"]["pid"] == pids["keep"] and cgroup_pids(leaf(c, "keep")) == [pids["keep"]],
               "keep was touched by the reload", st["keep"])
        leaves = [e.name for e in os.scandir(scope_dir(c.sock)) if e.is_dir()]
        expect(leaves == ["keep"], "leaves left in the scope after the reload", leaves)


def test_scope_removed_from_outside_is_made_again():
    """Something else (a person, a cleaning tool) kills and removes corrald's
    scope while it runs: the next start makes it again, says so, and the
    program runs in a leaf of it as before."""
    cfg = prog("w", SLEEP, startsecs=0, autorestart=True)
    with Corral(cfg, name="scope_removed") as c:
        scope = scope_dir(c.sock)
        first = c.wait_state("w", "RUNNING")["pid"]
        harness.remove_cgroup_tree(scope)   # kills w, then removes the leaf and the scope
        expect(not os.path.exists(scope), "test setup: the scope is still there")
        st = wait_until(lambda: (lambda s: s if s["state"] == "RUNNING" and s["pid"] not in (0, first)
                                 else None)(c.status()["w"]), 30,
                        lambda: "w to run again (status %s)" % c.status()["w"])
        expect(os.path.isdir(scope), "the scope was not made again")
        expect(st["pid"] in cgroup_pids(leaf(c, "w")), "w runs in its leaf of the new scope")
        expect("was removed while corrald ran (not by corrald): made it again" in c.stderr_text(),
               "the log says what happened", c.stderr_tail())


def test_same_socket_path_in_another_mount_namespace_cannot_take_the_scope():
    """Two corralds with one socket path (one in a mount namespace of its
    own, where the path is free) name the same scope: the second must not
    take it, nor kill what the first runs in it."""
    cfg = prog("w", SLEEP, startsecs=0)
    with Corral(cfg, name="scope_twice") as c:
        pid = c.wait_state("w", "RUNNING")["pid"]
        rundir = os.path.dirname(c.sock)
        r = run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                 'mount -t tmpfs none "$1" || exit 99; shift; exec "$@"', "sh", rundir,
                 harness.corrald_path(), "-c", c.conf], timeout=30)
        expect(r.rc not in (0, 99), "the second corrald started", r)
        expect("is held by a running corrald" in r.err, "it says why", r)
        expect(pid_alive(pid) and c.status()["w"]["pid"] == pid, "the first one's program was "
               "touched", c.status()["w"])
