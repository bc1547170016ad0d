"""Scale (issue 20): thousands of programs all reach RUNNING, and a stop of
corrald leaves nothing of them behind. Behaviour only, never speed: the
time limits are there so that a hang fails, and are generous."""

import os
import resource
import signal
import time

from harness import Corral, cgroup2_mount, expect, proc_stat, prog, scope_dir, tagged_pids, wait_until

# 10,000 where the fd limit allows it (corrald holds a pidfd per program and
# raises its soft limit to the hard one); CORRAL_E2E_SCALE_N to change it.
# A sanitizer build spawns by a plain fork, which copies its large shadow
# mappings each time: 2,000 there, so that the run stays in minutes.
SANITIZED = os.path.basename(os.path.normpath(os.environ.get("CORRAL_BUILD", "build"))).endswith("-san")
WANT = int(os.environ.get("CORRAL_E2E_SCALE_N", "2000" if SANITIZED else "10000"))


def scale_n():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = hard if hard != resource.RLIM_INFINITY else WANT + 1000
    return max(100, min(WANT, room - 200))


def test_ten_thousand_programs_all_run_and_nothing_is_left():
    n = scale_n()
    if n < WANT:
        print("    (%d programs: the fd limit allows no more)" % n)
    config = "".join(prog("p%d" % i, "/bin/sleep 1000", startsecs=0, stdout_logfile="NONE",
                          stderr_logfile="NONE") for i in range(1, n + 1))
    with Corral(config, name="scale", stop_timeout=120) as c:
        last = {}

        def all_running():
            st = c.status()
            last["n"] = sum(1 for p in st.values() if p["state"] == "RUNNING")
            last["total"] = len(st)
            return st if last["n"] == n else None
        st = wait_until(all_running, 240, lambda: "all %d programs RUNNING (%s of %s)" % (
            n, last.get("n"), last.get("total")), interval=1.0)
        pids = {p["pid"] for p in st.values()}
        expect(len(pids) == n and 0 not in pids, "%d distinct live pids, got %d" % (n, len(pids)))
        # Each in its own scope under corrald's: a sample, read from /proc.
        scope = scope_dir(c.sock)
        mount = cgroup2_mount()
        for pid in sorted(pids)[:: max(1, n // 50)]:
            with open("/proc/%d/cgroup" % pid) as f:
                cg = [l.strip()[3:] for l in f if l.startswith("0::")][0]
            expect(os.path.dirname(mount + cg) == scope,
                   "pid %d is in %s, not a leaf of %s" % (pid, cg, scope))

        t0 = time.monotonic()
        c.signal(signal.SIGTERM)
        rc = c.wait_exit(120)
        expect(rc == 0, "corrald exited %s after SIGTERM" % rc)
        # Nothing of them is left: no process of the test's tag, no scope.
        left = [p for p in pids if proc_stat(p) and proc_stat(p)[0] != "Z"]
        left += [p for p in tagged_pids(c.tag) if p not in left]
        expect(not left, "%d processes left after corrald exited: %s" % (len(left), left[:10]))
        expect(not os.path.exists(scope), "scope %s left behind" % scope)
        print("    %d programs; corrald stopped them all in %.1f s" % (n, time.monotonic() - t0))


test_ten_thousand_programs_all_run_and_nothing_is_left.timeout = 600
