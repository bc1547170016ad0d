"""Limits on every cgroup layout (issue 22): where cgroup v2 has not the
controller (a hybrid host, as this machine: memory, pids and cpu sit on
cgroup v1), memory_max, pids_max, cpu_max and cpu_weight go through the v1
hierarchy that has it, in a cgroup of the instance's own; a worker over its
memory_max is killed by the kernel and reported as out of memory."""

import os
import re
import signal

from harness import Corral, corrald_path, expect, note, prog, run, wait_until

HOG = ("import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n"
       "    b[i] = 1\nprint('allocated 200 MiB', flush=True)\ntime.sleep(1000)\n")
FORKER = ("import os, time\nn = 0\nfor i in range(40):\n    try:\n        pid = os.fork()\n"
          "    except OSError as e:\n        print('fork %d: %s' % (i + 1, e.strerror), flush=True)\n"
          "        break\n    if pid == 0:\n        time.sleep(1000)\n        os._exit(0)\n"
          "    n += 1\nprint('forked %d' % n, flush=True)\ntime.sleep(1000)\n")
SCRIPTS = {"hog.py": HOG, "forker.py": FORKER}


def v1_dir(pid, controller):
    """The directory of PID's cgroup in the v1 hierarchy of CONTROLLER, or None."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields, sfields = pre.split(), post.split()
            if sfields and sfields[0] == "cgroup":
                for c in sfields[-1].split(","):
                    mounts[c] = fields[4]
    try:
        with open("/proc/%d/cgroup" % pid) as f:
            for line in f:
                _, ctls, path = line.rstrip("\n").split(":", 2)
                if controller in ctls.split(",") and controller in mounts:
                    return mounts[controller] + path
    except OSError:
        pass
    return None


def v2_has(c, controller):
    from harness import scope_dir
    d = scope_dir(c.sock)
    try:
        return controller in open(os.path.join(d, "cgroup.controllers")).read().split()
    except (OSError, TypeError):
        return False


def test_limits_through_cgroup_v1():
    cfg = (prog("forker", "@PY@ @DIR@/forker.py", pids_max=20, startsecs=0)
           + prog("capped", "/bin/sleep 1000", cpu_max="20%", cpu_weight=50, startsecs=0)
           + prog("swapped", "/bin/sleep 1002", memory_max="64M", memory_swap_max="32M",
                  startsecs=0)
           + prog("noswap", "/bin/sleep 1003", memory_swap_max="32M", startsecs=0,
                  startretries=0)
           + prog("free", "/bin/sleep 1001", startsecs=0))
    with Corral(cfg, scripts=SCRIPTS, name="limits_v1") as c:
        if v2_has(c, "memory") and v2_has(c, "pids"):
            note("SKIPPED test_limits_through_cgroup_v1: cgroup v2 has the controllers here; "
                 "the v1 path is not taken (test_sandbox_cgroup_limits covers v2)")
            return
        c.wait_running(["forker", "capped", "free"])
        expect("through cgroup v1" in c.stderr_text(), "the start-up log says limits go "
               "through cgroup v1", c.stderr_tail())
        # pids_max: the 20th task is the last
        wait_until(lambda: "fork" in (c.read(c.log("forker")) or ""), 10, "the forker's report")
        out = c.read(c.log("forker"))
        expect("fork 20: Resource temporarily unavailable" in out,
               "the fork past pids_max = 20 fails inside the worker", out)
        fpid = c.status()["forker"]["pid"]
        d = v1_dir(fpid, "pids")
        expect(d and open(os.path.join(d, "pids.max")).read().strip() == "20",
               "pids.max in the worker's own v1 cgroup", d)
        expect(os.path.basename(d) == "forker", "a cgroup of the instance's own", d)
        # cpu_max and cpu_weight: quota, period and shares
        cpid = c.status()["capped"]["pid"]
        d = v1_dir(cpid, "cpu")
        read = lambda f: open(os.path.join(d, f)).read().strip()
        expect(read("cpu.cfs_quota_us") == "20000" and read("cpu.cfs_period_us") == "100000",
               "cpu_max = 20% as cfs quota and period", d)
        expect(read("cpu.shares") == "512", "cpu_weight = 50 as 512 shares", read("cpu.shares"))
        # memory_swap_max: v1 limits memory and swap together
        d = v1_dir(c.wait_running(["swapped"])["swapped"], "memory")
        if os.path.exists(os.path.join(d, "memory.memsw.limit_in_bytes")):
            memsw = open(os.path.join(d, "memory.memsw.limit_in_bytes")).read().strip()
            expect(memsw == str(96 * 1024 * 1024), "memsw = memory_max + memory_swap_max", memsw)
            st = c.wait_state("noswap", ("FATAL", "BACKOFF"), 10)
            expect("memory_swap_max: cgroup v1 limits memory and swap together: it needs "
                   "memory_max too" in (st["spawnerr"] or ""), "without memory_max: said", st)
        # a program without limits gets no v1 cgroup
        fd = v1_dir(c.status()["free"]["pid"], "memory")
        expect(fd is None or "corral-" not in fd, "no v1 cgroup without a limit", fd)
        # every limit enforced: none said otherwise
        for name in ("forker", "capped"):
            show = c.ctl("show", name).out
            expect("NOT ENFORCED" not in show, "%s: show says enforced" % name, show)
        scope_dirs = [os.path.dirname(v1_dir(fpid, "pids")), os.path.dirname(d)]
    # everything corrald made in v1 is gone with it
    for sd in scope_dirs:
        expect(not os.path.exists(sd), "the v1 scope directory is removed at exit", sd)


def test_oom_is_reported():
    """memory_max, through whichever cgroup version has the memory
    controller: the kernel kills a hog over it, and corrald says it was the
    OOM killer, with the limit (v2's memory.events, v1's memory.oom_control)."""
    from test_eventlisteners import LISTENER, records
    cfg = ("[eventlistener:watch]\ncommand=@PY@ @DIR@/listener.py @DIR@/watch.jsonl ok\n"
           "events=PROCESS_OOM\n\n"
           + prog("hog", "@PY@ @DIR@/hog.py", memory_max="64M", startsecs=0, autorestart="false"))
    scripts = dict(SCRIPTS, **{"listener.py": LISTENER})
    with Corral(cfg, scripts=scripts, name="limits_oom") as c:
        if "memory_max" in c.ctl("show", "hog").out and "NOT ENFORCED" in c.ctl("show", "hog").out:
            note("SKIPPED test_oom_is_reported: no cgroup memory controller corrald can use here")
            return
        st = c.wait_state("hog", "EXITED", 20)
        expect(st["signal"] == "SIGKILL", "the hog was killed", st)
        expect("out of memory: killed by the OOM killer (memory_max = 64M)" in st["info"],
               "status says it was the OOM killer, and the limit", st)
        expect("allocated 200 MiB" not in (c.read(c.log("hog")) or ""), "it never got its 200 MiB")
        expect("killed by the kernel's OOM killer: out of memory (memory_max = 64M)"
               in c.stderr_text(), "the log says so", c.stderr_tail())
        line = c.ctl("status", "hog").out
        expect("killed by SIGKILL, out of memory: killed by the OOM killer (memory_max = 64M)"
               in line, "the text status line too", line)
        # and an event, corral's own, for listeners that subscribe to it (or to EVENT)
        ev = wait_until(lambda: records(c, "watch"), 10, "the PROCESS_OOM event")[0]
        expect(ev["headers"]["eventname"] == "PROCESS_OOM" and
               re.match(r"processname:hog groupname:hog pid:[1-9]\d* memory_max:64M "
                        r"oom_kills:[1-9]\d*$", ev["payload"]), "its payload", ev)


def test_memory_high_has_no_v1_equivalent():
    """memory_high: cgroup v1 has none (its soft limit is another thing).
    Where v2 has no memory controller either, it is not enforced, and said
    at start, in status and in show; strict_limits refuses to start."""
    cfg = (prog("soft", "/bin/sleep 1000", memory_high="64M", startsecs=0)
           + prog("strict", "/bin/sleep 1000", memory_high="64M", strict_limits=True,
                  startsecs=0, startretries=0))
    with Corral(cfg, name="limits_high") as c:
        if v2_has(c, "memory"):
            note("SKIPPED test_memory_high_has_no_v1_equivalent: cgroup v2 has memory here")
            return
        st = c.wait_state("soft", "RUNNING", 10)
        line = [i + 1 for i, l in enumerate(open(c.conf)) if l.startswith("memory_high")][0]
        expect("%s:%d: soft: memory_high = 64M is not enforced: its controller is not enabled "
               "for corrald's cgroups in cgroup v2, and cgroup v1 has no such limit" % (c.conf, line)
               in c.stderr_text(), "corrald says so at start, with file and line", c.stderr_tail())
        r = run([corrald_path(), "--check", "-c", c.conf])
        expect(r.rc == 0 and "%s:%d: soft: memory_high = 64M is not enforced" % (c.conf, line)
               in r.err and "(strict_limits: it will not start) (on this host)" in r.err,
               "--check says so too, a warning", r)
        expect("memory_high not enforced" in st["info"], "status says so", st)
        show = c.ctl("show", "soft").out
        expect("memory_high: 67108864 (memory: NOT ENFORCED)" in show, "show says so", show)
        s = c.wait_state("strict", ("FATAL", "BACKOFF"), 10)
        expect("memory_high: not enforced" in (s["spawnerr"] or ""), "strict_limits: a start "
               "error", s)


def test_v1_cgroups_go_with_a_killed_corrald():
    """SIGKILL of corrald: the guard kills the trees (cgroup v2) and removes
    the v1 cgroups it made for limits; after a reexec, they are the same."""
    cfg = prog("limited", "/bin/sleep 1000", pids_max=30, startsecs=0)
    with Corral(cfg, name="limits_kill") as c:
        pid = c.wait_running(["limited"])["limited"]
        d = v1_dir(pid, "pids")
        if not d or "corral-" not in d:
            expect(v2_has(c, "pids"), "pids_max went through v1 or v2", d)
            note("SKIPPED test_v1_cgroups_go_with_a_killed_corrald: v2 has pids here")
            return
        r = c.ctl("reexec")
        expect(r.rc == 0, "reexec", r)
        wait_until(lambda: "took over" in c.stderr_text(), 10, "the take-over")
        expect(v1_dir(pid, "pids") == d and os.path.isdir(d), "the same v1 cgroup after the exec")
        c.proc.send_signal(signal.SIGKILL)
        c.wait_exit(10)
        c.expect_exit = -9
        wait_until(lambda: not os.path.exists(os.path.dirname(d)), 10,
                   "the guard to remove the v1 scope directory %s" % os.path.dirname(d))


ALLOC = ("import sys, time\nb = bytearray(int(sys.argv[1]) * 1024 * 1024)\n"
         "for i in range(0, len(b), 4096):\n    b[i] = 1\nopen(sys.argv[2], 'w').close()\n"
         "time.sleep(1000)\n")
SPIN = "import time\nwhile True:\n    pass\n"


def test_status_json_gives_cpu_and_memory():
    """status --json: CPU seconds, memory now and its peak per instance, from
    the cgroup that counts them (v2's cpu.stat; the v1 memory cgroup of a
    memory_max), else from /proc."""
    cfg = (prog("alloc", "@PY@ @DIR@/alloc.py 60 @DIR@/allocated", startsecs=0)
           + prog("limited", "@PY@ @DIR@/alloc.py 40 @DIR@/limited", memory_max="200M",
                  startsecs=0)
           + prog("spin", "@PY@ @DIR@/spin.py", startsecs=0, cpu_max="50%")
           + prog("idle", "/bin/sleep 1000", startsecs=0, autostart="false"))
    with Corral(cfg, scripts={"alloc.py": ALLOC, "spin.py": SPIN}, name="usage") as c:
        c.wait_running(["alloc", "limited", "spin"])
        wait_until(lambda: os.path.exists(c.path("allocated")) and
                   os.path.exists(c.path("limited")), 20, "the allocations")
        st = c.status()
        mib = 1024 * 1024
        a, l, s, i = st["alloc"], st["limited"], st["spin"], st["idle"]
        expect(a["memory_bytes"] and a["memory_bytes"] >= 60 * mib, "60 MiB allocated, counted", a)
        expect(a["memory_bytes"] < 200 * mib, "and not much more", a)
        expect(l["memory_bytes"] and l["memory_bytes"] >= 40 * mib and
               l["memory_peak_bytes"] >= l["memory_bytes"], "its memory cgroup's count and peak", l)
        if not v2_has(c, "memory"):
            expect(a["memory_peak_bytes"] is None, "no peak without a memory cgroup", a)
        c0 = s["cpu_seconds"]
        wait_until(lambda: c.status()["spin"]["cpu_seconds"] >= c0 + 0.3, 10,
                   "the spinner's CPU time to grow")
        expect(i["cpu_seconds"] is None and i["memory_bytes"] is None, "a stopped one: null", i)


def test_io_weight_where_the_scheduler_has_none():
    """io_weight: cgroup v2's io.weight, or v1's blkio.weight, which only the
    CFQ and BFQ schedulers give; without either (mq-deadline here), it is
    not enforced, and said so with its file and line, at --check and start."""
    cfg = prog("disk", "/bin/sleep 1000", io_weight=200, startsecs=0)
    with Corral(cfg, name="limits_io") as c:
        c.wait_running(["disk"])
        show = c.ctl("show", "disk").out
        if "io_weight: 200 (io: enforced)" in show:
            note("SKIPPED test_io_weight_where_the_scheduler_has_none: io_weight is enforced here")
            return
        line = [i + 1 for i, l in enumerate(open(c.conf)) if l.startswith("io_weight")][0]
        expect("%s:%d: disk: io_weight = 200 is not enforced" % (c.conf, line) in c.stderr_text(),
               "said at start with file and line", c.stderr_tail())
        expect("io_weight not enforced" in c.status()["disk"]["info"], "and in status")
        r = run([corrald_path(), "--check", "-c", c.conf])
        expect(r.rc == 0 and "%s:%d: disk: io_weight = 200 is not enforced" % (c.conf, line)
               in r.err, "and by --check", r)


def test_status_json_with_an_older_corrald():
    """corralctl --json status asks for the usage fields with --usage; a
    corrald older than that (the new corralctl is installed by an upgrade
    before the running corrald re-executes) takes it for a name and says
    "no such process": corralctl asks again without it, and the usage
    fields are null. The old corrald here is a stand-in speaking the
    protocol as it did (18 status fields)."""
    import socket
    import struct
    import tempfile
    import threading
    from harness import corralctl_path, frame
    d = tempfile.mkdtemp(prefix="corral-e2e-old-")
    path = os.path.join(d, "old.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    asked = []

    def serve():
        for _ in range(2):
            conn, _ = srv.accept()
            hdr = conn.recv(8, socket.MSG_WAITALL)
            n = struct.unpack(">I", hdr[4:8])[0]
            words = conn.recv(n, socket.MSG_WAITALL).split(b"\0")[:-1]
            asked.append(words)
            if b"--usage" in words:
                answer = bytes([2]) + b"no such process: --usage\n"
            else:
                answer = bytes([0]) + ("\t".join(["web", "web", "RUNNING", "123", "5", "-1", "0",
                                                   "", "", "1", "cgroup", "", "0", "0", "", "",
                                                   "", "0"]) + "\n").encode()
            conn.sendall(frame(b"A", answer))
            conn.close()
    t = threading.Thread(target=serve)
    t.start()
    try:
        r = run([corralctl_path(), "-s", path, "--json", "status"], timeout=20)
    finally:
        t.join(10)
        srv.close()
        os.unlink(path)
        os.rmdir(d)
    expect(asked == [[b"status", b"--usage"], [b"status"]], "asked with --usage, then without",
           asked)
    import json
    st = json.loads(r.out)
    expect(r.rc == 0 and st[0]["name"] == "web" and st[0]["pid"] == 123 and
           st[0]["cpu_seconds"] is None and st[0]["memory_bytes"] is None,
           "the older corrald's status, usage null", r)
