"""corralctl run: a one-shot command in a scope of its own, with the
caller's terminal, its exit status, and its whole tree killed on timeout or
Ctrl-C before corralctl returns."""

import os
import signal
import subprocess
import time

from harness import (PY, Corral, corralctl_path, expect, expect_rc, pid_exists, prog, run,
                     tagged_pids, wait_until)

IDLE = prog("idle", "/bin/sleep 1000", startsecs=0)

# A tree that a process-group kill would miss: a setsid'd grandchild.
TREE = r'''import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        open(sys.argv[1], "w").write(str(os.getpid()))
        while True:
            time.sleep(1)
    os._exit(0)
while True:
    time.sleep(1)
'''


def ctl_run(c, *args, timeout=30, **kw):
    return run([corralctl_path(), "-s", c.sock, "run"] + list(args), timeout=timeout, **kw)


def test_run_passes_output_status_and_cwd():
    with Corral(IDLE, name="run_basic") as c:
        r = run([corralctl_path(), "-s", c.sock, "run", "--", "/bin/sh", "-c",
                 "echo out:$CORRAL_PROCESS_NAME; echo err >&2; pwd; exit 3"],
                timeout=30, env=None)
        expect_rc(r, 3, "the command's exit status")
        expect(r.out.splitlines()[0].startswith("out:run-"), "its stdout reached ours", r)
        expect(r.out.splitlines()[1] == os.getcwd(), "it ran in our directory", r)
        expect("err" in r.err, "its stderr reached ours", r)
        # Arguments pass untouched, quotes, blanks, semicolons and all.
        r = ctl_run(c, "--", "/bin/echo", "a b", "c;d", "'e'", "$HOME")
        expect_rc(r, 0, "echo")
        expect(r.out == "a b c;d 'e' $HOME\n", "words untouched", r)
        # Once done, the transient program is gone from status.
        expect(set(c.status()) == {"idle"}, "only idle is left", c.status())


def test_run_spawn_error_and_signal_status():
    with Corral(IDLE, name="run_errors") as c:
        r = ctl_run(c, "--", "/nonexistent/corral-e2e-cmd")
        expect_rc(r, 127, "a command that cannot run")
        expect("spawn error: exec /nonexistent/corral-e2e-cmd: No such file or directory" in r.err,
               "says why", r)
        r = ctl_run(c, "--", "/bin/sh", "-c", "kill -KILL $$")
        expect_rc(r, 128 + 9, "killed by SIGKILL")
        r = ctl_run(c, "--scope", "idle", "--", "/bin/true")
        expect_rc(r, 1, "a scope name already taken")
        expect("already exists" in r.err, "says so", r)
        r = run([corralctl_path(), "-s", c.sock, "run"], timeout=10)
        expect_rc(r, 2, "run without a command")


def test_run_timeout_kills_the_whole_tree_first():
    with Corral(IDLE, scripts={"tree.py": TREE}, name="run_timeout") as c:
        gc_file = c.path("grandchild")
        start = time.monotonic()
        r = ctl_run(c, "--timeout", "1", "--scope", "job", "--", PY, c.path("tree.py"), gc_file)
        elapsed = time.monotonic() - start
        expect_rc(r, 124, "timeout status")
        expect("job: timed out, killed" in r.err, "says it timed out", r)
        expect(elapsed >= 1.0, "it ran until the timeout (%.2fs)" % elapsed)
        gc = int(c.read(gc_file))
        # Already gone when corralctl returned: no wait here.
        expect(not pid_exists(gc) or open("/proc/%d/stat" % gc).read().split()[2] == "Z",
               "the setsid'd grandchild (pid %d) was killed before corralctl returned" % gc)
        wait_until(lambda: not pid_exists(gc), 2, "the grandchild to be reaped")
        expect("job" not in c.status(), "the transient program is gone", c.status())


def test_run_ctrl_c_kills_the_tree_before_returning():
    with Corral(IDLE, scripts={"tree.py": TREE}, name="run_ctrl_c") as c:
        gc_file = c.path("grandchild")
        p = subprocess.Popen([corralctl_path(), "-s", c.sock, "run", "--scope", "job", "--", PY,
                              c.path("tree.py"), gc_file],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: c.read(gc_file), 10, "the tree to be up")
            st = c.status()["job"]
            expect(st["state"] == "RUNNING" and st["tree"] >= 2, "job runs with its tree", st)
            gc = int(c.read(gc_file))
            p.send_signal(signal.SIGINT)
            rc = p.wait(15)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        expect(rc == 130, "Ctrl-C status 130, got %s (stderr %r)" % (rc, p.stderr.read()))
        expect(not pid_exists(gc) or open("/proc/%d/stat" % gc).read().split()[2] == "Z",
               "the tree was killed before corralctl returned (grandchild %d)" % gc)
        wait_until(lambda: "job" not in c.status(), 5, "the transient program to go")
