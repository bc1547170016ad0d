"""What a worker sees: logs, file descriptors, environment, directory; spawn order."""

import json
import os
import re

from harness import Corral, SLEEP, expect, pid_cyclic_order, prog, wait_until

ECHO = "/bin/sh -c 'echo out-@TAG@; echo err-@TAG@ >&2; exec /bin/sleep 1000'"

FDS = """\
import json, os, sys
fds = []
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    try:
        os.fstat(fd)  # the fd listdir itself used is closed by now
    except OSError:
        continue
    fds.append(fd)
fds.sort()
links = {}
for fd in fds:
    try:
        links[fd] = os.readlink("/proc/self/fd/%d" % fd)
    except OSError as e:
        links[fd] = str(e)
print(json.dumps({"fds": fds, "links": links}), flush=True)
os.execv("/bin/sleep", ["sleep", "1000"])
"""

ENV = """\
import json, os
keys = ["A_E2E", "B_E2E", "C_E2E", "CORRAL_PROCESS_NAME", "CORRAL_GROUP_NAME",
        "SUPERVISOR_PROCESS_NAME", "SUPERVISOR_GROUP_NAME", "CORRAL_E2E_TAG"]
mask = os.umask(0)
print(json.dumps({"cwd": os.getcwd(), "umask": mask, "env": {k: os.environ.get(k) for k in keys}}), flush=True)
os.execv("/bin/sleep", ["sleep", "1000"])
"""


def wait_file_has(c, path, needle, timeout=5):
    wait_until(lambda: needle in (c.read(path) or ""), timeout,
               lambda: "%s to contain %r (has %r)" % (path, needle, (c.read(path) or "")[:300]))


def empty_or_missing(c, path):
    return not (c.read(path) or "")


def test_logs():
    cfg = (prog("plain", ECHO, startsecs=0)
           + prog("merged", ECHO, startsecs=0, redirect_stderr=True)
           + prog("none", ECHO, startsecs=0, stdout_logfile="NONE")
           + prog("custom", ECHO, startsecs=0, stdout_logfile="@DIR@/custom.log")
           + prog("g", "/bin/sh -c 'echo name-$CORRAL_PROCESS_NAME; exec /bin/sleep 1000'", startsecs=0,
                  numprocs=2, process_name="%(program_name)s_%(process_num)02d")
           + prog("burst", "/bin/sh -c '/usr/bin/seq 1 100000; exec /bin/sleep 1000'", startsecs=0))
    with Corral(cfg, name="logs") as c:
        out, err = "out-" + c.tag, "err-" + c.tag
        c.wait_running(["plain", "merged", "none", "custom", "g:g_00", "g:g_01", "burst"])
        wait_file_has(c, c.log("plain"), out)
        wait_file_has(c, c.log("plain", "err"), err)
        expect(err not in c.read(c.log("plain")), "stderr line in plain.out")
        expect(out not in c.read(c.log("plain", "err")), "stdout line in plain.err")

        wait_file_has(c, c.log("merged"), out)
        wait_file_has(c, c.log("merged"), err)
        expect(empty_or_missing(c, c.log("merged", "err")), "redirect_stderr=true still wrote merged.err")

        wait_file_has(c, c.log("none", "err"), err)
        expect(empty_or_missing(c, c.log("none")), "stdout_logfile=NONE still wrote none.out")

        wait_file_has(c, c.path("custom.log"), out)
        expect(empty_or_missing(c, c.log("custom")), "custom stdout_logfile also wrote LOGDIR/custom.out")
        wait_file_has(c, c.log("custom", "err"), err)

        # ':' becomes '_' in log file names
        for n in ("g:g_00", "g:g_01"):
            path = os.path.join(c.logdir, n.replace(":", "_") + ".out")
            wait_file_has(c, path, "name-")

        want = "".join("%d\n" % i for i in range(1, 100001))
        wait_until(lambda: len(c.read(c.log("burst")) or "") >= len(want), 15,
                   lambda: "burst.out to reach %d bytes (has %d)" % (len(want), len(c.read(c.log("burst")) or "")))
        expect(c.read(c.log("burst")) == want, "burst.out is not exactly seq 1 100000 (lost or mangled output)")

        # Appended, not truncated, across a restart.
        r = c.ctl("restart", "plain")
        expect(r.rc == 0, "restart plain", r)
        wait_until(lambda: (c.read(c.log("plain")) or "").count(out) == 2, 5,
                   lambda: "plain.out to hold the line twice after a restart (%r)" % c.read(c.log("plain")))
test_logs.timeout = 45


def test_worker_fds():
    rfd, wfd = os.pipe()  # inheritable fds corrald gets from us: workers must not
    os.set_inheritable(rfd, True)
    os.set_inheritable(wfd, True)
    try:
        cfg = prog("fds", "@PY@ @DIR@/fds.py", startsecs=0)
        with Corral(cfg, scripts={"fds.py": FDS}, name="fds", pass_fds=(rfd, wfd)) as c:
            c.wait_state("fds", "RUNNING")
            wait_file_has(c, c.log("fds"), "}")
            info = json.loads(c.read(c.log("fds")).strip().splitlines()[0])
            fds, links = info["fds"], {int(k): v for k, v in info["links"].items()}
            extra = [f for f in fds if f > 2]
            expect(not extra, "worker inherited fds beyond 0,1,2: %s" % {f: links[f] for f in extra}
                   + (" (fds %d/%d are corrald's own inherited pipe)" % (rfd, wfd)
                      if rfd in extra or wfd in extra else ""))
            expect(fds == [0, 1, 2], "worker fds", fds, links)
            expect(links[0] == "/dev/null", "stdin is not /dev/null", links)
            expect(links[1].startswith("pipe:") and links[2].startswith("pipe:"),
                   "stdout/stderr are not pipes", links)
            expect(links[1] != links[2], "stdout and stderr share a pipe without redirect_stderr", links)
    finally:
        os.close(rfd)
        os.close(wfd)


def test_environment_and_directory():
    cfg = prog("envp", "@PY@ @DIR@/env.py", startsecs=0, directory="@DIR@/wd",
               environment='A_E2E="1",B_E2E="two words",C_E2E=plain', umask="027")
    with Corral(cfg, scripts={"env.py": ENV}, name="env", start=False) as c:
        os.mkdir(c.path("wd"))
        c.start()
        c.wait_state("envp", "RUNNING")
        wait_file_has(c, c.log("envp"), "}")
        info = json.loads(c.read(c.log("envp")).strip().splitlines()[0])
        env = info["env"]
        expect(os.path.realpath(info["cwd"]) == os.path.realpath(c.path("wd")), "cwd", info["cwd"])
        expect(info["umask"] == 0o027, "umask=027 gave %o" % info["umask"])
        expect(env["CORRAL_E2E_TAG"] == c.tag, "corrald's environment not inherited", env)
        expect(env["A_E2E"] == "1", "environment A_E2E", env)
        expect(env["C_E2E"] == "plain", "environment C_E2E (unquoted)", env)
        expect(env["B_E2E"] == "two words", "environment B_E2E (quoted, with a space)", env)
        for k in ("CORRAL_PROCESS_NAME", "CORRAL_GROUP_NAME", "SUPERVISOR_PROCESS_NAME",
                  "SUPERVISOR_GROUP_NAME"):
            expect(env[k] == "envp", "%s is %r, not 'envp'" % (k, env[k]), env)


def test_priority_spawn_order():
    # Names sort differently from priorities, so name order cannot pass by luck.
    order = ["c", "a", "d", "b"]
    cfg = (prog("b", SLEEP, startsecs=0, priority=999)
           + prog("a", SLEEP, startsecs=0, priority=2)
           + prog("d", SLEEP, startsecs=0, priority=3)
           + prog("c", SLEEP, startsecs=0, priority=1))
    with Corral(cfg, name="priority") as c:
        pids = c.wait_running(order)
        seq = [pids[n] for n in order]
        expect(pid_cyclic_order(seq), "spawn order by pid is not priority order %s" % order, pids)
        spawned = []
        for line in c.stderr_text().splitlines():
            m = re.search(r"\b(\w+): spawned pid (\d+)", line)
            if m and m.group(1) in order:
                spawned.append(m.group(1))
        if len(spawned) == len(order):
            expect(spawned == order, "corrald's 'spawned' log order", spawned)
