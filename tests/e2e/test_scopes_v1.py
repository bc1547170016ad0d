"""Scopes on cgroup v1 (issue 22): `scopes = cgroup1` (what `auto` picks on a
host without a writable cgroup v2) keeps each instance's tree in a cgroup of
its own in the freezer's hierarchy. The scope tests of test_scopes.py run
here as they are, against such a scope: every escapee dies at a stop (the
tree is frozen, killed, thawed), a SIGKILL of corrald leaves nothing
running, a successor kills what a predecessor left. Then the choice itself,
in mount namespaces where v2, or v1 too, is not mounted."""

import os

import harness
import test_scopes as ts
from harness import Corral, SLEEP, corrald_path, expect, prog, run, tagged_pids


def v1_mount(controller):
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            s = post.split()
            if s and s[0] == "cgroup" and controller in s[-1].split(","):
                return pre.split()[4]
    return None


def v1_scope_dir(sock):
    """Where corrald makes its v1 scope for SOCK: corral-HASH below its own
    cgroup of the freezer's hierarchy (the test's, here)."""
    h = 1469598103934665603
    for b in sock.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    mount = v1_mount("freezer")
    own = "/"
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            if "freezer" in ctls.split(","):
                own = path
    return os.path.join(mount + ("" if own == "/" else own), "corral-%016x" % h)


class CorralV1(Corral):
    def __init__(self, *args, **kw):
        kw["corral_extra"] = "scopes = cgroup1\n" + kw.get("corral_extra", "")
        super().__init__(*args, **kw)


def v1(test):
    """TEST of test_scopes.py, with corrald on a cgroup v1 scope."""
    def run_v1():
        expect(v1_mount("freezer"), "this machine has a cgroup v1 freezer hierarchy")
        ts.Corral = CorralV1
        ts.scope_dir = v1_scope_dir
        test()
    if hasattr(test, "timeout"):
        run_v1.timeout = test.timeout
    return run_v1


test_v1_stop_background_children = v1(ts.test_stop_background_children)
test_v1_stop_double_fork_setsid = v1(ts.test_stop_double_fork_setsid)
test_v1_stop_ignores_sigterm = v1(ts.test_stop_ignores_sigterm)
test_v1_stop_setpgid = v1(ts.test_stop_setpgid)
test_v1_stop_fork_storm = v1(ts.test_stop_fork_storm)
test_v1_stop_deep_tree = v1(ts.test_stop_deep_tree)
test_v1_killmode_group_generations_never_overlap = v1(ts.test_killmode_group_generations_never_overlap)
test_v1_sigkill_corrald_kills_every_tree = v1(ts.test_sigkill_corrald_kills_every_tree)
test_v1_predecessor_leftovers_killed_before_start = v1(ts.test_predecessor_leftovers_killed_before_start)


def test_v1_status_says_cgroup1():
    cfg = prog("a", SLEEP, startsecs=0) + prog("limited", SLEEP, startsecs=0, pids_max=10)
    with CorralV1(cfg, name="v1_status") as c:
        c.wait_running(["a", "limited"])
        st = c.status()
        expect(st["a"]["scope"] == "cgroup1" and st["a"]["tree"] == 1, "status: a cgroup v1 scope",
               st["a"])
        expect("cgroup v1 (freezer: a tree is frozen, killed and thawed; scopes = cgroup1)"
               in c.stderr_text(), "the start-up log says which scope and why", c.stderr_tail())
        pid = st["a"]["pid"]
        with open("/proc/%d/cgroup" % pid) as f:
            line = [l for l in f if "freezer" in l.split(":")[1].split(",")][0]
        expect(line.rstrip().endswith("/corral-%s/a" % v1_scope_dir(c.sock).rsplit("-", 1)[1]),
               "the worker is in its own leaf of the freezer scope", line)
        show = c.ctl("show", "limited").out
        expect("pids_max: 10 (pids: enforced)" in show, "a limit through v1 beside it", show)


# The choice, where a hierarchy is not there: corrald in a mount namespace of
# its own in which it is unmounted (the machine's mounts are not touched).
def unmounting(*controllers):
    """A wrap for Corral: corrald in a new mount namespace without the cgroup
    mounts of CONTROLLERS ("cgroup2" for v2)."""
    mounts = []
    for c in controllers:
        m = harness.cgroup2_mount() if c == "cgroup2" else v1_mount(c)
        if m and m not in mounts:
            mounts.append(m)
    script = "".join("umount -l %s || exit 99; " % m for m in mounts) + 'exec "$0" "$@"'
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]


def test_scopes_choice_without_v2():
    # auto, without v2: cgroup v1, and why
    with Corral(prog("a", SLEEP, startsecs=0), name="v1_auto",
                wrap=unmounting("cgroup2")) as c:
        st = c.wait_state("a", "RUNNING")
        expect(st["scope"] == "cgroup1", "auto took cgroup v1", st)
        expect("scopes: cgroup v1 (freezer: a tree is frozen, killed and thawed; no cgroup2 "
               "file system is mounted)" in c.stderr_text(), "and said why", c.stderr_tail())
    # cgroup2 asked for: a start-up error with the reason
    for word in ("cgroup2", "cgroup"):
        c = Corral(prog("a", SLEEP), name="v1_need2", start=False, wrap=unmounting("cgroup2"),
                   corral_extra="scopes = %s\n" % word, expect_exit=1)
        with c:
            c.start(wait=False)
            c.wait_exit(10)
            expect(c.proc.returncode == 1, "scopes = %s without v2: corrald does not start"
                   % word, c.stderr_tail())
            expect("scopes: cgroup v2 is required (scopes = %s) but not usable: no cgroup2 file "
                   "system is mounted" % word in c.stderr_text(), "it says why", c.stderr_tail())


def test_scopes_choice_without_any_cgroup():
    gone = unmounting("cgroup2", "freezer", "pids")
    c = Corral(prog("a", SLEEP), name="v1_need1", start=False, wrap=gone,
               corral_extra="scopes = cgroup1\n", expect_exit=1)
    with c:
        c.start(wait=False)
        c.wait_exit(10)
        expect(c.proc.returncode == 1 and "scopes: cgroup v1 is required (scopes = cgroup1) but "
               "not usable: no cgroup v1 hierarchy with the freezer or pids controller"
               in c.stderr_text(), "scopes = cgroup1 without v1: a start-up error", c.stderr_tail())
    # auto falls to process groups, and says what that costs
    with Corral(prog("a", SLEEP, startsecs=0), name="v1_none", wrap=gone) as c:
        st = c.wait_state("a", "RUNNING")
        expect(st["scope"] == "process-group", "auto: process groups", st)
        expect("cgroup v2 not usable (no cgroup2 file system is mounted), nor v1: no cgroup v1 "
               "hierarchy with the freezer or pids controller; using process groups"
               in c.stderr_text(), "and why", c.stderr_tail())
    # a bad word is a config error with its line
    with Corral(start=False, name="v1_bad") as c:
        c.write_config(prog("x", SLEEP))
        with open(c.conf) as f:
            text = f.read().replace("[corral]\n", "[corral]\nscopes = cgroup3\n")
        with open(c.conf, "w") as f:
            f.write(text)
        r = run([corrald_path(), "--check", "-c", c.conf])
        expect(r.rc != 0 and "scopes" in r.err and "cgroup1" in r.err, "scopes = cgroup3", r)
    expect(not tagged_pids(c.tag), "nothing left")


def test_process_group_limits_are_as_documented():
    """scopes = process-group does what the README and corrald(8) say of it,
    no more: a descendant that leaves the process group (setsid) escapes a
    stop; the main process does not. (The test kills the escapee itself.)"""
    cfg = prog("daemon", "@PY@ @DIR@/daemon.py @DIR@/gc", startsecs=0)
    with Corral(cfg, scripts=ts.SCRIPTS, name="pg_limits",
                corral_extra="scopes = process-group\n") as c:
        main = c.wait_state("daemon", "RUNNING")["pid"]
        gc = ts.read_pid(c, "gc")
        c.allow_stray(gc)
        try:
            expect(c.ctl("stop", "daemon").rc == 0, "stop daemon")
            expect(not ts.pid_alive(main), "the main process is stopped")
            expect(ts.pid_alive(gc), "the setsid'd grandchild escapes the stop, as documented")
        finally:
            os.kill(gc, 9)
