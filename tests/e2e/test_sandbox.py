"""The per-program sandbox: users, limits, no_new_privs, capabilities,
seccomp, namespaces and mounts, seen from inside real workers, and every
step failing closed when the kernel refuses it."""

import json
import os
import pwd
import re
import signal
import socket
import subprocess
import time

import harness
from harness import (SLEEP, Corral, PY, corrald_path, expect, parse_status_text, prog, run,
                     wait_until)

# Prints what the worker can see of itself as one JSON line on stdout, then
# sleeps (or exits with "exit").
FACTS = r"""
import json, os, sys
def status():
    out = {}
    for l in open("/proc/self/status"):
        k, _, v = l.partition(":")
        out[k] = v.strip()
    return out
def limits():
    out = {}
    for l in open("/proc/self/limits").read().splitlines()[1:]:
        name = l[:26].strip()
        out[name] = l[26:].split()[:2]
    return out
facts = {"status": status(), "limits": limits(), "pid": os.getpid(), "uid": os.getuid(),
         "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd()}
print(json.dumps(facts), flush=True)
if "exit" not in sys.argv:
    import time
    time.sleep(1000)
"""

# What a worker may do with its capabilities: bind port 80 (CAP_NET_BIND_SERVICE),
# open a raw socket (CAP_NET_RAW), chown a file (CAP_CHOWN), read a file it
# cannot read (CAP_DAC_OVERRIDE). One JSON line: {"what": "ok" or "errno name"}.
CAN = r"""
import errno, json, os, socket, sys, time
def attempt(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def bind80():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 80))
    s.listen(1)
    s.close()
def raw():
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
def chown():
    os.chown(sys.argv[1], 0, 0)
def dac():
    open("/etc/shadow").close()
out = {"bind80": attempt(bind80), "raw": attempt(raw), "chown": attempt(chown),
       "dac": attempt(dac)}
st = {}
for l in open("/proc/self/status"):
    k, _, v = l.partition(":")
    st[k] = v.strip()
out["status"] = st
print(json.dumps(out), flush=True)
time.sleep(1000)
"""

# Makes one system call (argv[1]) and prints "ok" or the errno's name; a
# worker killed by its filter prints nothing.
CALL = r"""
import ctypes, errno, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {"ptrace": 101, "mount": 165, "unshare": 272, "keyctl": 250, "bpf": 321,
      "socket": 41, "io_uring_setup": 425, "getpid": 39}
what = sys.argv[1]
L = ctypes.c_long
if what == "ptrace":
    args = (NR["ptrace"], L(0), L(0), L(0), L(0))            # PTRACE_TRACEME
elif what == "mount":
    args = (NR["mount"], b"none", b"/nonexistent", b"tmpfs", L(0), L(0))
elif what == "unshare":
    args = (NR["unshare"], L(0x04000000))                    # CLONE_NEWUTS
elif what == "keyctl":
    args = (NR["keyctl"], L(0), L(0), L(0), L(0), L(0))
elif what == "bpf":
    args = (NR["bpf"], L(0), L(0), L(0))
elif what == "packet":
    args = (NR["socket"], L(17), L(3), L(0))                 # AF_PACKET, SOCK_RAW
elif what == "io_uring":
    args = (NR["io_uring_setup"], L(1), L(0))
elif what == "x32":
    args = (0x40000000 | NR["getpid"],)
else:
    args = (NR["getpid"],)
print("calling", what, flush=True)
r = libc.syscall(*args)
e = ctypes.get_errno()
print("ok" if r >= 0 else errno.errorcode.get(e, str(e)), flush=True)
time.sleep(1000)
"""

# What a worker sees of the namespaces and mounts around it. argv: a
# directory to try writing in, a hidden dir, a hidden file, a bound dir.
SEES = r"""
import errno, fcntl, json, os, socket, struct, sys, time
def attempt(f):
    try:
        return f()
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def lo_flags():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r = fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0))   # SIOCGIFFLAGS
    return struct.unpack("16sH", r[:18])[1]
def write_in(d):
    with open(os.path.join(d, "probe"), "w") as f:
        f.write("x")
    os.unlink(os.path.join(d, "probe"))
    return "ok"
def hostname(host_uts):
    # Only in a UTS namespace of its own: run as root in the host's, this
    # would rename the machine the tests run on.
    if os.readlink("/proc/self/ns/uts") == host_uts:
        return "host's uts namespace: not tried"
    socket.sethostname("corral-inside")
    return socket.gethostname()
rw, hidden_dir, hidden_file, bound, host_uts = sys.argv[1:6]
out = {
    "pid": os.getpid(),
    "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())[:5],
    "ns": {n: os.readlink("/proc/self/ns/" + n) for n in
           ("pid", "net", "ipc", "uts", "mnt", "user", "cgroup")},
    "ifaces": [n for _, n in socket.if_nameindex()],
    "lo_up": bool(lo_flags() & 1),
    "cgroup": open("/proc/self/cgroup").read().splitlines()[-1],
    "uid_map": open("/proc/self/uid_map").read().split(),
    "uid": os.getuid(),
    "tmp": sorted(t for t in os.listdir("/tmp") if t.startswith("corral-sandbox-host")),
    "tmp_write": attempt(lambda: write_in("/tmp")),
    "rw_write": attempt(lambda: write_in(rw)),
    "hidden_dir": attempt(lambda: os.listdir(hidden_dir)),
    "hidden_file": attempt(lambda: open(hidden_file).read()),
    "bound": attempt(lambda: sorted(os.listdir(bound))),
    "hostname": attempt(lambda: hostname(host_uts)) if os.getuid() == 0 else "",
}
print(json.dumps(out), flush=True)
time.sleep(1000)
"""

# What a worker can do to the kernel's tunables: the mount options of
# /proc/sys and /sys as it sees them, and whether it can write its own
# hostname back to /proc/sys/kernel/hostname (the same value: should the
# protection fail in the host's UTS namespace, nothing changes).
TUNABLES = r"""
import errno, json, os, socket, sys, time
def options(mnt):
    found = None
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[4] == mnt:
            found = f[5].split(",")
    return found
def write_back():
    try:
        with open("/proc/sys/kernel/hostname", "w") as f:
            f.write(socket.gethostname())
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps({"proc_sys": options("/proc/sys"), "sys": options("/sys"),
                  "mnt": os.readlink("/proc/self/ns/mnt"),
                  "write": write_back() if sys.argv[1] == "write" else ""}), flush=True)
time.sleep(1000)
"""

SCRIPTS = {"facts.py": FACTS, "can.py": CAN, "call.py": CALL, "sees.py": SEES,
           "tunables.py": TUNABLES}
NOBODY = pwd.getpwnam("nobody")


def facts(c, name, timeout=10):
    """The JSON line a facts.py worker NAME printed."""
    def got():
        text = c.read(c.log(name)) or ""
        for l in text.splitlines():
            if l.startswith("{"):
                return json.loads(l)
        return None
    return wait_until(got, timeout, lambda: "%s to print its facts (log: %r, status: %s)"
                      % (name, c.read(c.log(name)), c.ctl("status", name).out))


def desc(c, name):
    r = c.ctl("status", name)
    return parse_status_text(r.out).get(name, ("", "", r.all))


# ---------------------------------------------------------------- users, limits, nnp

def test_sandbox_user_groups_rlimits_nnp():
    cfg = (prog("w", "@PY@ @DIR@/facts.py", user="nobody", supplementary_groups="root, 4000123",
                rlimit_nofile="100:200", rlimit_core=0, rlimit_fsize="1M:2M", startsecs=0)
           + prog("r", "@PY@ @DIR@/facts.py", startsecs=0)
           + prog("n", "@PY@ @DIR@/facts.py", no_new_privs=False, startsecs=0))
    with Corral(cfg, scripts=SCRIPTS, name="sbx_user") as c:
        f = facts(c, "w")
        st = f["status"]
        expect(st["Uid"].split() == [str(NOBODY.pw_uid)] * 4, "Uid of a user = nobody worker", st["Uid"])
        expect(st["Gid"].split() == [str(NOBODY.pw_gid)] * 4, "Gid: nobody's primary group", st["Gid"])
        expect(sorted(f["groups"]) == [0, 4000123], "supplementary groups", f["groups"])
        expect(st["NoNewPrivs"] == "1", "no_new_privs is on by default", st["NoNewPrivs"])
        lim = f["limits"]
        expect(lim["Max open files"] == ["100", "200"], "rlimit_nofile", lim["Max open files"])
        expect(lim["Max core file size"] == ["0", "0"], "rlimit_core", lim["Max core file size"])
        expect(lim["Max file size"] == [str(1 << 20), str(2 << 20)], "rlimit_fsize", lim["Max file size"])
        # a user change drops every capability
        for k in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            expect(int(st[k], 16) == 0, "%s of a non-root worker" % k, st[k])
        # without sandbox keys a worker gets corrald's own (root, nofile as corrald found it)
        r = facts(c, "r")
        expect(r["uid"] == 0 and r["status"]["NoNewPrivs"] == "1", "default worker", r["status"])
        n = facts(c, "n")
        expect(n["status"]["NoNewPrivs"] == "0", "no_new_privs = false", n["status"]["NoNewPrivs"])


# ---------------------------------------------------------------- failing closed

class Inject:
    """strace attached to a running corrald (-f: and the children it makes
    from now on), making SYSCALL fail with EPERM (from its WHEN-th call in
    each process). Detached, by PID, on exit."""

    def __init__(self, c, syscall, when=None, error="EPERM"):
        spec = "inject=%s:error=%s" % (syscall, error)
        if when:
            spec += ":when=%s" % when
        self.c = c
        self.argv = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall,
                     "-e", spec, "-p", str(c.pid)]

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def attached():
            if self.proc.poll() is not None:
                raise AssertionError("strace exited: %s" % self.proc.stderr.read())
            with open("/proc/%d/status" % self.c.pid) as f:
                for l in f:
                    if l.startswith("TracerPid:"):
                        return int(l.split()[1]) == self.proc.pid
            return False
        wait_until(attached, 10, "strace to attach to corrald")
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)  # detaches
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stderr.close()
        return False


# (syscall to fail, strace's when=, program keys, what status must say)
FAIL_CLOSED = [
    # net, and mount for protect_kernel_tunables (auto: a namespace is asked for)
    ("clone3", None, {"namespaces": "net"}, "namespaces net mount: clone3: Operation not permitted"),
    ("mount", None, {"read_only_paths": "/etc"}, "mounts making / private: Operation not permitted"),
    ("prlimit64", None, {"rlimit_core": "0"}, "setrlimit RLIMIT_NOFILE: Operation not permitted"),
    ("setgroups", None, {"user": "nobody"}, "user setgroups: Operation not permitted"),
    ("setresgid", None, {"user": "nobody"}, "user setresgid %d: Operation not permitted" % NOBODY.pw_gid),
    ("setresuid", None, {"user": "nobody"}, "user setresuid %d: Operation not permitted" % NOBODY.pw_uid),
    ("unshare", None, {"user": "nobody", "namespaces": "user"},
     "user namespace unshare(CLONE_NEWUSER): Operation not permitted"),
    ("capset", None, {"capabilities": "CAP_CHOWN"}, "capabilities capset (raise): Operation not permitted"),
    # prctl: the 1st is PR_SET_PDEATHSIG, the 2nd PR_SET_NO_NEW_PRIVS
    ("prctl", "2", {}, "no_new_privs: Operation not permitted"),
    ("seccomp", None, {"seccomp": "@system-service"}, "seccomp: Operation not permitted"),
]


def test_sandbox_fails_closed():
    """Each step refused by the kernel stops the spawn: the worker is never
    exec'd, and status names the step and the errno."""
    cfg = ""
    for i, (_, _, keys, _) in enumerate(FAIL_CLOSED):
        cfg += prog("f%d" % i, "/bin/sh -c 'echo ran%d; sleep 1000'" % i, autostart=False,
                    startsecs=1, startretries=0, **keys)
    with Corral(cfg, name="sbx_fail") as c:
        for i, (sc, when, keys, want) in enumerate(FAIL_CLOSED):
            name = "f%d" % i
            with Inject(c, sc, when):
                r = c.ctl("start", name, timeout=20)
            expect(r.rc != 0, "%s: start succeeded with %s failing" % (name, sc), r)
            st = c.status()[name]
            expect(st["state"] in ("FATAL", "BACKOFF", "EXITED"), "%s: state" % name, st)
            expect(want in st["spawnerr"] + r.out, "%s (%s): status says %r" % (name, sc, want), st, r)
            expect("ran" not in (c.read(c.log(name)) or ""), "%s: the worker ran although %s failed"
                   % (name, sc))
            # and without the injection it runs
            r = c.ctl("start", name, timeout=20)
            expect(r.rc == 0, "%s starts once %s works again" % (name, sc), r)
            wait_until(lambda: "ran%d" % i in (c.read(c.log(name)) or ""), 5, "%s to run" % name)
            c.ctl("stop", name)


def test_sandbox_check_bad_keys():
    """A bad entry in any sandbox key fails corrald --check, with file and line."""
    bad = [("user", "no-such-user-corral", "unknown user 'no-such-user-corral'"),
           ("group", "no-such-group-corral", "unknown group 'no-such-group-corral'"),
           ("supplementary_groups", "root no-such-group-corral", "unknown group"),
           ("no_new_privs", "sometimes", "bad value for no_new_privs"),
           ("capabilities", "CAP_NET_BIND_SERVICE CAP_TIME_TRAVEL", "unknown capability 'CAP_TIME_TRAVEL'"),
           ("seccomp", "@system-service frobnicate", "unknown system call 'frobnicate' in seccomp"),
           ("seccomp", "@system-service ~@nonsense", "unknown system call group '@nonsense' in seccomp"),
           ("address_families", "AF_INET AF_WHAT", "unknown address family 'AF_WHAT'"),
           ("namespaces", "pid space", "unknown namespace 'space'"),
           ("private_tmp", "perhaps", "bad value for private_tmp"),
           ("read_only_paths", "relative/path", "is not an absolute path"),
           ("inaccessible_paths", "/a/../b", "is not an absolute path"),
           ("bind_paths", "/a:b", "expected SRC:DST with absolute paths"),
           ("rlimit_nofile", "lots", "bad value for rlimit_nofile"),
           ("rlimit_nproc", "-1", "bad value for rlimit_nproc"),
           ("rlimit_as", "1X", "bad value for rlimit_as"),
           ("rlimit_core", "2:1", "rlimit_core: the soft limit is above the hard limit"),
           ("rlimit_cpu", "1s", "bad value for rlimit_cpu"),
           ("rlimit_fsize", "", "bad value for rlimit_fsize"),
           ("memory_max", "1 gig", "bad value for memory_max"),
           ("pids_max", "none", "bad value for pids_max"),
           ("cpu_max", "fast", "bad value for cpu_max"),
           ("strict_limits", "very", "bad value for strict_limits")]
    with Corral(start=False, name="sbx_check") as c:
        text = "[corral]\nlogdir = @DIR@/log\n\n"
        lines = {}
        for i, (key, value, _) in enumerate(bad):
            text += "[program:p%d]\ncommand = /bin/true\n" % i
            lines[i] = text.count("\n") + 1
            text += "%s = %s\n\n" % (key, value)
        c.write_config(text, raw=True)
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=20, env=c.env())
        expect(r.rc == 2, "--check of bad sandbox keys exits %s, not 2" % r.rc, r)
        for i, (key, value, msg) in enumerate(bad):
            want = "%s:%d: [program:p%d]: " % (c.conf, lines[i], i)
            ok = any(l.startswith(want) and msg in l for l in r.err.splitlines())
            expect(ok, "%s = %s: no line %r ... %r" % (key, value, want, msg), r.err[-3000:])


# ---------------------------------------------------------------- capabilities

def test_sandbox_capabilities_none():
    cfg = prog("none", "@PY@ @DIR@/facts.py", capabilities="none", startsecs=0)
    with Corral(cfg, scripts=SCRIPTS, name="sbx_capnone") as c:
        st = facts(c, "none")["status"]
        expect(st["Uid"].split()[0] == "0", "runs as root", st["Uid"])
        for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            expect(int(st[k], 16) == 0, "%s of a capabilities = none worker" % k, st[k])


def test_sandbox_capability_kept_by_user():
    """A non-root worker with CAP_NET_BIND_SERVICE binds port 80 and can do
    nothing else privileged. (In its own network namespace, so that the
    host's port 80 is not in the way.)"""
    cap = 1 << 10  # CAP_NET_BIND_SERVICE
    cfg = (prog("k", "@PY@ @DIR@/can.py @DIR@/victim", user="nobody", startsecs=0,
                capabilities="CAP_NET_BIND_SERVICE", namespaces="net")
           + prog("u", "@PY@ @DIR@/can.py @DIR@/victim", user="nobody", startsecs=0,
                  namespaces="net"))
    scripts = dict(SCRIPTS, victim="")
    with Corral(cfg, scripts=scripts, name="sbx_capkeep") as c:
        os.chown(c.path("victim"), NOBODY.pw_uid, NOBODY.pw_gid)
        f = facts(c, "k")
        st = f["status"]
        for k in ("CapPrm", "CapEff", "CapBnd", "CapAmb", "CapInh"):
            expect(int(st[k], 16) == cap, "%s is exactly CAP_NET_BIND_SERVICE" % k, st[k])
        expect(f["bind80"] == "ok", "binding port 80 with CAP_NET_BIND_SERVICE", f)
        expect(f["raw"] == "EPERM", "a raw socket without CAP_NET_RAW", f)
        expect(f["chown"] == "EPERM", "chown without CAP_CHOWN", f)
        expect(f["dac"] == "EACCES", "reading /etc/shadow without CAP_DAC_OVERRIDE", f)
        # the same user without the capability cannot bind port 80
        u = facts(c, "u")
        expect(u["bind80"] == "EACCES", "binding port 80 without the capability", u)
        expect(int(u["status"]["CapAmb"], 16) == 0, "no ambient capabilities", u["status"])


# ---------------------------------------------------------------- seccomp

BLOCKED = [("ptrace", "ptrace"), ("mount", "mount"), ("unshare", "unshare"), ("keyctl", "keyctl"),
           ("bpf", "bpf"), ("packet", "socket"), ("io_uring", "io_uring_setup"),
           ("x32", "getpid (x32)")]


def can_read_kmsg():
    try:
        os.close(os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK))
        return True
    except OSError:
        return False


def test_sandbox_seccomp_kill():
    """@system-service workers making calls outside it are killed, the whole
    process, and status says which call. The name comes from the kernel's
    audit record of the kill, which the kernel log rate-limits (printk: 10
    in 5 s): the workers are started one at a time, and one whose record
    was suppressed is started again once."""
    cfg = "".join(prog("k_%s" % w, "@PY@ @DIR@/call.py %s" % w, seccomp="@system-service",
                       rlimit_core=0, autorestart=False, autostart=False, startsecs=1,
                       startretries=0)
                  for w, _ in BLOCKED)
    cfg += prog("fine", "@PY@ @DIR@/call.py getpid", seccomp="@system-service", startsecs=0)
    kmsg = can_read_kmsg()
    with Corral(cfg, scripts=SCRIPTS, name="sbx_kill") as c:
        wait_until(lambda: "ok" in (c.read(c.log("fine")) or ""), 10, "fine to call getpid")
        expect(c.status()["fine"]["state"] == "RUNNING", "a worker within its list runs")
        for w, call in BLOCKED:
            name = "k_%s" % w
            want = "killed by SIGSYS: blocked system call %s" % call
            for attempt in range(2):
                c.ctl("start", name)
                st = c.wait_state(name, ("EXITED", "FATAL"), 10)
                out = c.read(c.log(name)) or ""
                expect(out.strip().endswith("calling %s" % w), "%s returned from a blocked call" % name, out)
                expect(st["signal"] == "SIGSYS", "%s: killed by SIGSYS" % name, st)
                line = c.ctl("status", name).out
                expect("killed by SIGSYS: blocked system call" in line, "%s: status says why" % name, line)
                if not kmsg:
                    break
                deadline = time.monotonic() + 6
                while want not in line and time.monotonic() < deadline:
                    time.sleep(0.2)
                    line = c.ctl("status", name).out
                if want in line:
                    break
                time.sleep(5)  # let the kernel log's rate limit pass
            if kmsg:
                expect(want in line, "status names the call", line)


def test_sandbox_seccomp_errno_and_log():
    cfg = "".join(prog("e_%s" % w, "@PY@ @DIR@/call.py %s" % w, seccomp="@system-service",
                       seccomp_action="errno:EPERM", startsecs=0)
                  for w, _ in BLOCKED)
    cfg += prog("acc", "@PY@ @DIR@/call.py ptrace", seccomp="@system-service ~@debug",
                seccomp_action="errno:EACCES", startsecs=0)
    cfg += prog("deny", "@PY@ @DIR@/call.py ptrace", seccomp="~ptrace",
                seccomp_action="errno:ENOSYS", startsecs=0)
    cfg += prog("log", "@PY@ @DIR@/call.py unshare", seccomp="@system-service",
                seccomp_action="log", startsecs=0)
    with Corral(cfg, scripts=SCRIPTS, name="sbx_errno") as c:
        def result(name):
            lines = (c.read(c.log(name)) or "").split()
            return lines[-1] if len(lines) >= 3 else None
        for w, _ in BLOCKED:
            r = wait_until(lambda: result("e_%s" % w), 10, "e_%s to print" % w)
            expect(r == "EPERM", "e_%s: a blocked call fails with EPERM" % w, r)
            expect(c.status()["e_%s" % w]["state"] == "RUNNING", "e_%s keeps running" % w)
        expect(wait_until(lambda: result("acc"), 10, "acc") == "EACCES", "errno:EACCES")
        expect(wait_until(lambda: result("deny"), 10, "deny") == "ENOSYS", "a deny-list with ENOSYS")
        # log: the call is made (and fails or works as the kernel decides)
        expect(wait_until(lambda: result("log"), 10, "log") == "ok", "log lets unshare through (root)")


# ---------------------------------------------------------------- namespaces and mounts

def own_ns():
    return {n: os.readlink("/proc/self/ns/" + n) for n in
            ("pid", "net", "ipc", "uts", "mnt", "user", "cgroup")}


def sees_setup(c):
    """Directories and files for sees.py, in the test's temp dir."""
    for d in ("rw", "hidden", "src"):
        os.makedirs(c.path(d), exist_ok=True)
    with open(c.path("hidden", "secret"), "w") as f:
        f.write("secret")
    with open(c.path("secret.txt"), "w") as f:
        f.write("secret")
    with open(c.path("src", "marker"), "w") as f:
        f.write("x")
    os.makedirs(c.path("dst"), exist_ok=True)


SEES_ARGS = ("@DIR@/rw @DIR@/hidden @DIR@/secret.txt @DIR@/dst "
             + os.readlink("/proc/self/ns/uts"))


def test_sandbox_namespaces():
    cfg = (prog("every", "@PY@ @DIR@/sees.py " + SEES_ARGS, startsecs=0,
                namespaces="pid net ipc uts mount cgroup")
           + prog("none", "@PY@ @DIR@/sees.py " + SEES_ARGS, startsecs=0)
           + prog("user", "@PY@ @DIR@/sees.py " + SEES_ARGS, startsecs=0, user="nobody",
                  namespaces="user net"))
    with Corral(cfg, scripts=SCRIPTS, name="sbx_ns") as c:
        sees_setup(c)
        host = own_ns()
        host_name = socket.gethostname()
        a = facts(c, "every")
        for n in ("pid", "net", "ipc", "uts", "mnt", "cgroup"):
            expect(a["ns"][n] != host[n], "namespaces: %s is its own" % n, a["ns"][n], host[n])
        expect(a["ns"]["user"] == host["user"], "no user namespace unless asked", a["ns"])
        expect(a["pid"] == 1, "pid: the worker is PID 1 of its namespace", a["pid"])
        expect(a["procs"] == [1], "pid: /proc remounted, showing only its own processes", a["procs"])
        expect(a["ifaces"] == ["lo"], "net: only lo", a["ifaces"])
        expect(a["lo_up"], "net: lo is up", a)
        expect(a["cgroup"] == "0::/", "cgroup: its cgroup is its root", a["cgroup"])
        expect(a["hostname"] == "corral-inside" and socket.gethostname() == host_name,
               "uts: its hostname is its own", a["hostname"], socket.gethostname())
        # corrald still tracks it by its real pid (status, stop)
        st = c.status()["every"]
        expect(st["pid"] > 1 and st["state"] == "RUNNING", "the pid status shows is the host's", st)
        n = facts(c, "none")
        for k in ("pid", "net", "ipc", "uts", "mnt", "user", "cgroup"):
            expect(n["ns"][k] == host[k], "no namespaces: %s is the host's" % k, n["ns"])
        expect(n["pid"] == st["pid"] or n["pid"] > 1, "no pid namespace", n["pid"])
        expect(socket.gethostname() == host_name, "the machine's hostname is untouched",
               socket.gethostname(), n["hostname"])
        u = facts(c, "user")
        expect(u["ns"]["user"] != host["user"], "user: a user namespace of its own", u["ns"])
        want = [str(NOBODY.pw_uid), str(NOBODY.pw_uid), "1"]
        expect(u["uid_map"] == want, "user: mapped to the unprivileged uid outside, nothing else",
               u["uid_map"])
        expect(u["uid"] == NOBODY.pw_uid, "user: it is nobody inside too", u["uid"])
        expect(u["ifaces"] == ["lo"], "user + net: only lo", u["ifaces"])
        # stop works on a PID 1 that ignores SIGTERM (python's default is to die)
        r = c.ctl("stop", "every")
        expect(r.rc == 0, "stop a worker in its own namespaces", r)


def test_sandbox_mounts():
    common = dict(startsecs=0, autostart=False, read_only_paths="@DIR@/rw -@DIR@/missing",
                  inaccessible_paths="@DIR@/hidden @DIR@/secret.txt",
                  bind_paths="@DIR@/src:@DIR@/dst:ro")
    cfg = (prog("root", "@PY@ @DIR@/sees.py " + SEES_ARGS, **common)
           + prog("nobody", "@PY@ @DIR@/sees.py " + SEES_ARGS, user="nobody", **common)
           # private_tmp alone, and not a script: the test's own files are under /tmp
           + prog("tmp", "/bin/sh -c 'echo host files: $(ls -A /tmp | grep -c corral-sandbox-host);"
                  " touch /tmp/@TAG@ && echo wrote; sleep 1000'", private_tmp=True,
                  autostart=False, startsecs=0))
    marker = "/tmp/corral-sandbox-host-%d" % os.getpid()
    with Corral(cfg, scripts=SCRIPTS, name="sbx_mounts") as c:
        sees_setup(c)
        os.chmod(c.path("rw"), 0o777)
        with open(marker, "w"):
            pass
        try:
            r = c.ctl("start", "all")
            expect(r.rc == 0, "start", r)
            for name in ("root", "nobody"):
                f = facts(c, name)
                expect(f["ns"]["mnt"] != own_ns()["mnt"], "%s: a mount namespace of its own" % name)
            t = wait_until(lambda: "wrote" in (c.read(c.log("tmp")) or "") and c.read(c.log("tmp")),
                           10, lambda: "tmp to write (%r)" % c.ctl("status", "tmp").out)
            expect("host files: 0" in t, "private_tmp hides the host's /tmp", t)
            expect(not os.path.exists("/tmp/" + c.tag), "what it writes in /tmp stays inside")
            for name in ("root", "nobody"):
                f = facts(c, name)
                expect(os.path.basename(marker) in f["tmp"], "%s: the host's /tmp" % name)
                expect(f["rw_write"] == "EROFS", "%s: read_only_paths refuses a write" % name, f)
                expect(f["bound"] == ["marker"], "%s: bind_paths shows src at dst" % name, f["bound"])
            r = facts(c, "root")
            expect(r["hidden_dir"] == [], "root: an inaccessible dir is empty", r["hidden_dir"])
            expect(r["hidden_file"] == "", "root: an inaccessible file is empty", r["hidden_file"])
            n = facts(c, "nobody")
            expect(n["hidden_dir"] == "EACCES", "nobody: an inaccessible dir", n["hidden_dir"])
            expect(n["hidden_file"] == "EACCES", "nobody: an inaccessible file", n["hidden_file"])
            # nothing of it leaked to the host
            expect(os.listdir(c.path("hidden")) == ["secret"], "the host still sees its files")
            expect(os.listdir(c.path("dst")) == [], "the bind mount stays inside")
            with open(c.path("rw", "host-can-write"), "w") as f:
                f.write("x")
        finally:
            os.unlink(marker)


# ---------------------------------------------------------------- show, limits

def test_sandbox_show():
    cfg = (prog("web", "@PY@ @DIR@/facts.py", user="nobody", capabilities="CAP_NET_BIND_SERVICE",
                seccomp="@system-service ~@chown", seccomp_action="errno:EPERM",
                namespaces="net pid", read_only_paths="/usr", rlimit_nofile="512:1024",
                pids_max=64, startsecs=0)
           + prog("bare", "@PY@ @DIR@/facts.py", startsecs=0))
    with Corral(cfg, scripts=SCRIPTS, name="sbx_show") as c:
        r = c.ctl("show", "web")
        expect(r.rc == 0, "show web", r)
        out = r.out
        for want in ["program: web (%s:" % c.conf,
                     "user: nobody (uid %d, gid %d" % (NOBODY.pw_uid, NOBODY.pw_gid),
                     "no_new_privs: yes",
                     "capabilities: CAP_NET_BIND_SERVICE (bounding, permitted, effective, ambient)",
                     "namespaces: pid net mount (mount: implied)",
                     "read_only_paths: /usr",
                     "blocked calls: errno:EPERM",
                     "address_families: AF_UNIX AF_INET AF_INET6 AF_NETLINK",
                     "seccomp rules: clone only without CLONE_NEW* flags",
                     "rlimit_nofile: 512:1024",
                     "pids_max: 64 (pids: "]:
            expect(want in out, "show says %r" % want, out)
        allowed = " ".join(l.partition(": ")[2] for l in out.splitlines()
                           if l.startswith("seccomp allowed: ")).split()
        expect("openat" in allowed and "execve" in allowed, "the resolved list", allowed[:10])
        for no in ("ptrace", "chown", "fchownat", "mount", "bpf", "io_uring_setup"):
            expect(no not in allowed, "%s is not in the list" % no)
        m = re.search(r"seccomp: allow-list of (\d+) system calls", out)
        expect(m and int(m.group(1)) == len(allowed), "the count is the list's length", out[:300])
        exp = [l for l in out.splitlines() if l.startswith("exposure: ")]
        expect(len(exp) == 1 and re.match(r"exposure: \d+\.\d (OK|MEDIUM|EXPOSED|UNSAFE): ", exp[0]),
               "one exposure line", exp)
        b = c.ctl("show", "bare")
        expect("seccomp: none (every system call allowed)" in b.out and "UNSAFE" in b.out,
               "an unsandboxed program is shown as exposed", b.out)
        bad = c.ctl("show", "nosuch")
        expect(bad.rc == 2 and "no such program: nosuch" in bad.all, "show of an unknown name", bad)
        u = c.ctl("show")
        expect(u.rc == 2, "show needs a name", u)


def test_sandbox_protect_kernel_tunables():
    """Root without capabilities cannot write /proc/sys (it checks the uid):
    a program that drops capabilities or asks for a namespace gets the
    kernel's tunables read-only, unless it says protect_kernel_tunables =
    false; one that does neither keeps the host's view."""
    t = "@PY@ @DIR@/tunables.py "
    cfg = (prog("nocaps", t + "write", capabilities="none", startsecs=0)
           + prog("ns", t + "write", namespaces="uts", startsecs=0)
           + prog("off", t + "write", namespaces="uts", protect_kernel_tunables=False, startsecs=0)
           + prog("forced", t + "nowrite", protect_kernel_tunables=True, startsecs=0)
           + prog("plain", t + "nowrite", startsecs=0))
    host_mnt = os.readlink("/proc/self/ns/mnt")
    host_name = socket.gethostname()
    with Corral(cfg, scripts=SCRIPTS, name="sbx_tunables") as c:
        for name in ("nocaps", "ns", "forced"):
            f = facts(c, name)
            expect(f["mnt"] != host_mnt, "%s: a mount namespace of its own" % name, f)
            expect(f["proc_sys"] and "ro" in f["proc_sys"], "%s: /proc/sys read-only" % name, f)
            expect(f["sys"] and "ro" in f["sys"], "%s: /sys read-only" % name, f)
        for name in ("nocaps", "ns"):
            expect(facts(c, name)["write"] == "EROFS",
                   "%s: root writing /proc/sys/kernel/hostname" % name, facts(c, name))
        off = facts(c, "off")
        expect(off["write"] == "ok", "protect_kernel_tunables = false: root writes its own "
               "UTS namespace's hostname", off)
        plain = facts(c, "plain")
        expect(plain["mnt"] == host_mnt, "nothing asked: the host's mount namespace", plain)
        expect(socket.gethostname() == host_name, "the machine's hostname is untouched")
        r = c.ctl("show", "nocaps")
        expect("protect_kernel_tunables: yes (auto: capabilities are dropped)" in r.out,
               "show says why the tunables are read-only", r.out)
        r = c.ctl("show", "ns")
        expect("protect_kernel_tunables: yes (auto: namespaces are asked for)" in r.out,
               "show: namespaces", r.out)
        r = c.ctl("show", "plain")
        expect("protect_kernel_tunables: no (auto: neither capabilities dropped nor namespaces)"
               in r.out, "show: an unsandboxed program", r.out)
        r = c.ctl("show", "off")
        expect("protect_kernel_tunables: no\n" in r.out, "show: turned off", r.out)
    with Corral(start=False, name="sbx_tunables_bad") as c:
        c.write_config(prog("x", SLEEP, protect_kernel_tunables="maybe"))
        r = run([corrald_path(), "--check", "-c", c.conf])
        expect(r.rc != 0 and "bad value for protect_kernel_tunables: 'maybe' (expected auto, "
               "true or false)" in r.err, "a bad value is a config error", r)


def scope_controllers(c):
    d = os.path.dirname(harness.scope_dir(c.sock) or "/nonexistent")
    try:
        return open(os.path.join(d, "cgroup.controllers")).read().split()
    except OSError:
        return []


def test_sandbox_cgroup_limits():
    """memory_max where the memory controller is not enabled in cgroup v2:
    through the v1 memory hierarchy where there is one (as on this machine,
    test_limits.py); where there is none either, said at start, in status
    and in show, and strict_limits refuses to start the program instead.
    Where v2 has the controller, the limit is written into the worker's v2
    cgroup."""
    cfg = (prog("soft", "/bin/sleep 1000", memory_max="64M", startsecs=0)
           + prog("strict", "/bin/sleep 1000", memory_max="64M", strict_limits=True,
                  startsecs=0, startretries=0))
    with Corral(cfg, name="sbx_limits") as c:
        have = "memory" in scope_controllers(c)
        st = c.wait_state("soft", "RUNNING", 10)
        show = c.ctl("show", "soft").out
        v1 = "memory_max through cgroup v1" in c.stderr_text() or \
            "memory_max, " in c.stderr_text() and "through cgroup v1" in c.stderr_text()
        if not have and v1:
            expect("not enforced" not in c.stderr_text(), "nothing said not enforced",
                   c.stderr_tail())
            expect("not enforced" not in st["info"], "status says nothing", st)
            expect("memory_max: 67108864 (memory: enforced)" in show, "show says enforced", show)
            c.wait_state("strict", "RUNNING", 10)
        elif not have:
            expect("soft: memory_max = 64M is not enforced" in c.stderr_text(),
                   "corrald says so at start", c.stderr_tail())
            expect("memory_max not enforced" in st["info"], "status says so", st)
            expect("memory_max: 67108864 (memory: NOT ENFORCED)" in show, "show says so", show)
            s = c.wait_state("strict", ("FATAL", "BACKOFF"), 10)
            expect("memory_max: not enforced" in (s["spawnerr"] or "") and "strict_limits" in s["spawnerr"],
                   "strict_limits: a start error", s)
            expect("NOT ENFORCED: the program will not start" in c.ctl("show", "strict").out,
                   "show of a strict program", c.ctl("show", "strict").out)
        else:
            leaf = os.path.join(harness.scope_dir(c.sock), "soft")
            expect(open(os.path.join(leaf, "memory.max")).read().strip() == "67108864",
                   "memory.max written into the worker's cgroup")
            expect("(memory: enforced)" in show, "show says enforced", show)
            c.wait_state("strict", "RUNNING", 10)
