"""harness -- drive the real corrald and corralctl for black-box tests.

Each test makes a Corral: a private temp dir holding a config, the control
socket and the log dir; corrald runs from CORRAL_BUILD (default build) in the
foreground (-n), its stderr captured to a file. Every process corrald starts
inherits CORRAL_E2E_TAG=<unique tag> from corrald's environment, so that at
teardown anything the test left behind can be found by scanning /proc; it is
then killed by PID (never by name) and reported.

Standard library only; run with /usr/bin/python3.
"""

import base64
import errno
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
TAG_VAR = "CORRAL_E2E_TAG"
VERSION = "0.1.0"
STATES = ("STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN")


def build_dir():
    b = os.environ.get("CORRAL_BUILD", "build")
    if os.path.isabs(b):
        return b
    if os.path.isdir(b):
        return os.path.abspath(b)
    return os.path.join(REPO, b)


def corrald_path():
    return os.path.join(build_dir(), "corrald")


def corralctl_path():
    return os.path.join(build_dir(), "corralctl")


# Instances not yet torn down, so the runner can clean up after a test that
# timed out or forgot its `with`.
LIVE = []
# Notes for the runner to print after the test (not failures).
NOTES = []


def note(msg):
    NOTES.append(msg)


class Result:
    """One corralctl (or other) run."""

    def __init__(self, argv, rc, out, err, elapsed):
        self.argv, self.rc, self.out, self.err, self.elapsed = argv, rc, out, err, elapsed

    @property
    def lines(self):
        return [l for l in self.out.splitlines() if l.strip()]

    @property
    def all(self):
        return self.out + self.err

    def __repr__(self):
        return "%s -> rc=%s out=%r err=%r (%.2fs)" % (
            " ".join(self.argv[-4:]), self.rc, self.out[-500:], self.err[-500:], self.elapsed)


def run(argv, timeout=30, env=None, input=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL if input is None else None,
                           input=input, capture_output=True, timeout=timeout, env=env,
                           text=True, errors="replace")
    except subprocess.TimeoutExpired:
        raise AssertionError("%s did not finish within %ss" % (" ".join(argv), timeout))
    return Result(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)


def wait_until(pred, timeout, what, interval=0.05):
    """Poll PRED until it returns something true; its value is returned.
    WHAT may be a string or a callable giving the failure text."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            w = what() if callable(what) else what
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, w))
        time.sleep(interval)


# ---------------------------------------------------------------- /proc

def proc_stat(pid):
    """(state, ppid, starttime) of PID, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            s = f.read().decode("latin-1")
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("latin-1").strip()
    except OSError:
        return ""


def proc_has(pid, needle):
    needle = needle.encode()
    for what in ("environ", "cmdline"):
        try:
            with open("/proc/%d/%s" % (pid, what), "rb") as f:
                if needle in f.read():
                    return True
        except OSError:
            pass
    return False


def all_pids():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            out.append(int(d))
    return out


def tagged_pids(tag):
    me = os.getpid()
    return [p for p in all_pids() if p != me and proc_has(p, tag)]


def children_of(ppid):
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[1] == ppid:
            out.append((p, st[0]))
    return out


def is_guard(pid):
    """corrald's guard: the helper that kills the scope if corrald dies."""
    return "--guard" in proc_cmdline(pid).split(" ")


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.startswith("cgroup2 "):
                return pre.split()[4]
    return None


def scope_dir(sock):
    """The cgroup scope corrald makes for the control socket SOCK (named by
    the FNV-1a hash of its path, under corrald's own cgroup: the root here)."""
    h = 1469598103934665603
    for b in sock.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    mount = cgroup2_mount()
    if not mount:
        return None
    with open("/proc/self/cgroup") as f:
        own = [l.strip()[3:] for l in f if l.startswith("0::")]
    base = mount + (own[0] if own and own[0] != "/" else "")
    return os.path.join(base, "corral-%016x" % h)


def remove_cgroup_tree(path):
    """Kill and remove a cgroup directory tree (test cleanup)."""
    if not os.path.isdir(path):
        return
    try:
        with open(os.path.join(path, "cgroup.kill"), "w") as f:
            f.write("1")
    except OSError:
        pass
    deadline = time.monotonic() + 5
    for root, dirs, files in os.walk(path, topdown=False):
        while True:
            try:
                os.rmdir(root)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)


def pid_alive(pid):
    """True when PID exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def pid_exists(pid):
    return proc_stat(pid) is not None


def catches(pid, sig):
    """True when PID has a handler for SIG (its SigCgt in /proc)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (sig - 1)))
    except OSError:
        pass
    return False


def wait_handler(pid, sig, timeout=20):
    """Wait until PID has installed its handler for SIG: a signal sent any
    earlier would meet the default action (a Python program starting up on a
    busy machine can take seconds to get there)."""
    wait_until(lambda: catches(pid, sig), timeout,
               "pid %d to install its handler for signal %d" % (pid, sig))


# ---------------------------------------------------------------- status parsing

STATUS_RE = re.compile(r"^(\S+)( +)(\S+)(?:( +)(.*))?$")


def parse_status_text(text):
    """{name: (state, description, line)} from corralctl's status text."""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = STATUS_RE.match(line)
        if not m:
            raise AssertionError("status line does not parse: %r" % line)
        out[m.group(1)] = (m.group(3), m.group(5) or "", line)
    return out


def pid_cyclic_order(pids, pid_max=None):
    """True when PIDS were allocated in this order (allowing one wrap of pid_max)."""
    if pid_max is None:
        try:
            pid_max = int(open("/proc/sys/kernel/pid_max").read())
        except OSError:
            pid_max = 32768
    for a, b in zip(pids, pids[1:]):
        if a == b or (b - a) % pid_max > pid_max // 2:
            return False
    return True


# ---------------------------------------------------------------- config helpers

def prog(name, command, **keys):
    """One [program:NAME] section."""
    lines = ["[program:%s]" % name, "command = %s" % command]
    for k, v in keys.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        lines.append("%s = %s" % (k, v))
    return "\n".join(lines) + "\n\n"


SLEEP = "/bin/sleep 1000"


# ---------------------------------------------------------------- loopback ports

def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 that was free a moment ago, below the ephemeral
    range (32768 and up), where the kernel's own picks cannot take it."""
    import random
    for _ in range(200):
        port = random.randrange(20000, 32000)
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise AssertionError("no free port on 127.0.0.1 in 20000-32000")


def bound_socket(kind=socket.SOCK_STREAM):
    """A socket bound to a free loopback port below the ephemeral range."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", free_port(kind)))
            return s
        except OSError:
            s.close()
    raise AssertionError("no free port on 127.0.0.1 in 20000-32000")


# ---------------------------------------------------------------- raw protocol

def frame(kind, payload, magic=b"CR", version=1, length=None):
    if length is None:
        length = len(payload)
    return magic + bytes([version]) + kind + struct.pack(">I", length) + payload


def raw_connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def recv_until_eof(s, timeout):
    """Read until EOF: (data, seconds). Raises AssertionError if still open after TIMEOUT."""
    t0 = time.monotonic()
    data = b""
    s.settimeout(0.1)
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            if time.monotonic() - t0 > timeout:
                raise AssertionError("connection still open after %.1fs (got %r)" % (timeout, data[:200]))
            continue
        except ConnectionResetError:
            return data, time.monotonic() - t0
        if not chunk:
            return data, time.monotonic() - t0
        data += chunk


# ---------------------------------------------------------------- the instance

def unix_rpc(path, auth=None):
    """An XML-RPC proxy to the server on the Unix socket PATH (supervisord's
    [unix_http_server]); AUTH: (user, password) for Basic auth."""
    class UnixTransport(xmlrpc.client.Transport):
        def make_connection(self, host):
            if auth:
                token = base64.b64encode(("%s:%s" % auth).encode()).decode()
                self._extra_headers = [("Authorization", "Basic " + token)]
            conn = http.client.HTTPConnection("localhost")

            def connect():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                conn.sock = s
            conn.connect = connect
            return conn
    return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=UnixTransport())


class Corral:
    """A corrald with a private temp dir.

    CONFIG is the text after the [corral] section; @DIR@, @PY@, @TAG@ and
    @LOG@ in it are replaced by the temp dir, the python path, the test's tag
    and the log dir. SCRIPTS maps file names (in the temp dir) to their text.
    Use as a context manager: `with Corral(...) as c:` starts corrald (unless
    start=False) and always tears it down."""

    def __init__(self, config="", scripts=None, start=True, socket_mode=None, pidfile=None,
                 socket_path=None, logdir=None, make_dirs=True, corral_extra="", name=None,
                 stop_timeout=20, expect_exit=0, corrald_args=(), pass_fds=(), env=None,
                 wrap=(), corrald=None):
        self.name = name or "t"
        self.tmp = tempfile.mkdtemp(prefix="corral-e2e-")
        os.chmod(self.tmp, 0o755)
        self.tag = "corral-e2e-%s-%d-%s" % (re.sub(r"\W", "_", self.name), os.getpid(),
                                            uuid.uuid4().hex[:10])
        self.sock = socket_path or os.path.join(self.tmp, "run", "corral.sock")
        self.logdir = logdir or os.path.join(self.tmp, "log")
        self.conf = os.path.join(self.tmp, "corral.conf")
        self.pidfile = pidfile
        self.socket_mode = socket_mode
        self.corral_extra = corral_extra
        self.stderr_path = os.path.join(self.tmp, "corrald.stderr")
        self.proc = None
        self.stop_timeout = stop_timeout
        self.expect_exit = expect_exit
        self.corrald_args = list(corrald_args)
        self.wrap = list(wrap)   # argv before corrald's own (it must exec corrald)
        self.corrald_bin = corrald or corrald_path()
        self.pass_fds = tuple(pass_fds)
        self.start_env = dict(env or {})
        self.exit_code = None
        self.tracked = {}        # pid -> starttime: every worker seen
        self.allowed_strays = set()
        self.problems = []
        self.torn_down = False
        self.autostart = start
        if make_dirs:
            os.makedirs(os.path.dirname(self.sock), exist_ok=True)
            os.makedirs(self.logdir, exist_ok=True)
        for fname, text in (scripts or {}).items():
            with open(os.path.join(self.tmp, fname), "w") as f:
                f.write(self.subst(text))
        self.write_config(config)
        LIVE.append(self)

    # -- config

    def subst(self, text):
        return (text.replace("@DIR@", self.tmp).replace("@PY@", PY)
                .replace("@TAG@", self.tag).replace("@LOG@", self.logdir))

    def header(self):
        h = ["[corral]", "socket = %s" % self.sock, "logdir = %s" % self.logdir]
        if self.socket_mode is not None:
            h.append("socket_mode = %s" % self.socket_mode)
        if self.pidfile:
            h.append("pidfile = %s" % self.subst(self.pidfile))
        if self.corral_extra:
            h.append(self.subst(self.corral_extra).rstrip("\n"))
        return "\n".join(h) + "\n\n"

    def write_config(self, programs, raw=False):
        """Write the config: the [corral] header then PROGRAMS (or RAW text as is).
        Returns the text written."""
        text = self.subst(programs) if raw else self.header() + self.subst(programs)
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.rename(self.conf + ".new", self.conf)
        return text

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def log(self, name, ext="out"):
        return os.path.join(self.logdir, "%s.%s" % (name.replace(":", "_"), ext))

    def read(self, path, default=None):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return default

    # -- corrald

    def env(self, extra=None):
        e = dict(os.environ)
        e.pop("CORRAL_SOCKET", None)
        e[TAG_VAR] = self.tag
        if extra:
            e.update(extra)
        return e

    def start(self, wait=True):
        if getattr(self, "_stderr_f", None):
            self._stderr_f.close()
        self._stderr_f = open(self.stderr_path, "ab")
        # -n: a supervisord config (nodaemon = false by default) would
        # have corrald go to the background; the tests watch it as a child.
        self.proc = subprocess.Popen(
            self.wrap + [self.corrald_bin, "-n", "-c", self.conf] + self.corrald_args,
            stdin=subprocess.DEVNULL, stdout=self._stderr_f, stderr=self._stderr_f,
            env=self.env(self.start_env), start_new_session=True, pass_fds=self.pass_fds)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=10):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("corrald exited with %s before answering; stderr:\n%s"
                                     % (self.proc.returncode, self.stderr_tail()))
            r = self.ctl("status", timeout=5)
            return r.rc != 4
        wait_until(ready, timeout, lambda: "corrald to answer `status`; stderr:\n" + self.stderr_tail(),
                   interval=0.05)

    @property
    def pid(self):
        return self.proc.pid

    def stderr_text(self):
        if getattr(self, "final_stderr", None) is not None:
            return self.final_stderr
        return self.read(self.stderr_path, "")

    def stderr_tail(self, n=15):
        """The last N lines of corrald's stderr; a sanitizer report is
        shown by its first lines and summary instead of its shadow map."""
        lines = self.stderr_text().splitlines()
        for i, l in enumerate(lines):
            if "ERROR: AddressSanitizer" in l or "ERROR: LeakSanitizer" in l or "runtime error:" in l:
                head = lines[max(0, i - 3):i + 12]
                summ = [x for x in lines[i + 12:] if x.startswith("SUMMARY:")]
                return "\n".join(head + summ[:1])
        return "\n".join(lines[-n:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """Wait for corrald to exit; returns its exit status (raises on timeout)."""
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("corrald (pid %d) still running %ss later; stderr:\n%s"
                                 % (self.proc.pid, timeout, self.stderr_tail()))
        return self.exit_code

    # -- corralctl

    def ctl_argv(self, *args):
        """corralctl's argv for this corrald, for a test that runs it itself
        (a follower it stops with SIGINT)."""
        return [corralctl_path(), "-s", self.sock] + list(args)

    def ctl(self, *args, timeout=30, sock=True, env=None, prefix=(), ctl=None):
        argv = list(prefix) + [ctl or corralctl_path()]
        if sock:
            argv += ["-s", self.sock]
        argv += list(args)
        e = dict(os.environ)
        e.pop("CORRAL_SOCKET", None)
        e.pop(TAG_VAR, None)
        if env:
            e.update(env)
        r = run(argv, timeout=timeout, env=e)
        if "status" in args and "--json" in args and r.out.strip().startswith("["):
            try:
                for p in json.loads(r.out):
                    self.track(p.get("pid"))
            except (ValueError, AttributeError):
                pass
        elif "status" in args:
            for m in re.finditer(r"pid (\d+), uptime", r.out):
                self.track(int(m.group(1)))
        return r

    def track(self, pid):
        if isinstance(pid, int) and pid > 0 and pid not in self.tracked:
            st = proc_stat(pid)
            if st:
                self.tracked[pid] = st[2]

    def status(self, *sel):
        """status --json as {name: dict}; raises if the output is not JSON."""
        r = self.ctl("--json", "status", *sel)
        if r.rc == 4 and self.proc is not None and not self.alive():
            raise AssertionError("corrald died (exit status %s); status: %r" % (self.proc.returncode, r))
        try:
            arr = json.loads(r.out)
        except ValueError as e:
            raise AssertionError("status --json is not JSON (%s): %r" % (e, r))
        if not isinstance(arr, list):
            raise AssertionError("status --json is not an array: %r" % r.out[:300])
        return {p["name"]: p for p in arr}

    def state(self, name):
        st = self.status().get(name)
        return st

    def wait_state(self, name, states, timeout=10):
        if isinstance(states, str):
            states = (states,)
        last = {}

        def check():
            st = self.status().get(name)
            last["v"] = st
            return st if st and st["state"] in states else None
        return wait_until(check, timeout, lambda: "%s to be %s (last: %s)" % (name, "/".join(states), last.get("v")),
                          interval=0.05)

    def wait_running(self, names, timeout=10):
        pids = {}
        for n in names:
            pids[n] = self.wait_state(n, "RUNNING", timeout)["pid"]
        return pids

    # -- teardown

    def allow_stray(self, pid):
        self.allowed_strays.add(pid)

    def zombie_children(self):
        return [p for p, s in children_of(self.proc.pid) if s == "Z"]

    def check_zombies(self, grace=1.5):
        """Zombie children of corrald that stay zombies for GRACE seconds."""
        z = set(self.zombie_children())
        deadline = time.monotonic() + grace
        while z and time.monotonic() < deadline:
            time.sleep(0.05)
            z &= set(self.zombie_children())
        return sorted(z)

    def teardown(self):
        if self.torn_down:
            return
        self.torn_down = True
        try:
            if self.proc is not None and self.proc.poll() is None:
                z = self.check_zombies()
                if z:
                    self.problems.append("corrald left zombie children unreaped: %s" % z)
                for p, s in children_of(self.proc.pid):
                    self.track(p)
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.exit_code = self.proc.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self.problems.append("corrald did not exit within %ss of SIGTERM; killed"
                                         % self.stop_timeout)
                    self.proc.kill()
                    self.proc.wait(10)
                    self.exit_code = None
                else:
                    if self.expect_exit is not None and self.exit_code != self.expect_exit:
                        self.problems.append("corrald exited %s after SIGTERM, expected %s"
                                             % (self.exit_code, self.expect_exit))
            elif self.proc is not None:
                if self.exit_code is None:
                    self.problems.append("corrald died during the test (exit status %s)"
                                         % self.proc.returncode)
                self.exit_code = self.proc.returncode
            self.reap_leftovers()
            self.check_scope_removed()
        finally:
            if getattr(self, "_stderr_f", None):
                self._stderr_f.close()
            self.final_stderr = self.read(self.stderr_path, "")
            if self in LIVE:
                LIVE.remove(self)
            shutil.rmtree(self.tmp, ignore_errors=True)

    def check_scope_removed(self):
        """After corrald (and its guard) are gone, its cgroup scope must be too."""
        d = scope_dir(self.sock)
        if not d:
            return
        deadline = time.monotonic() + 3.0
        while os.path.exists(d) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(d):
            self.problems.append("corrald's cgroup scope %s is left behind (removed now)" % d)
            remove_cgroup_tree(d)

    def reap_leftovers(self):
        def leftovers():
            left = []
            for pid, start in self.tracked.items():
                st = proc_stat(pid)
                if st and st[2] == start and st[0] != "Z":
                    left.append(pid)
            for pid in tagged_pids(self.tag):
                if pid not in left:
                    left.append(pid)
            return left
        deadline = time.monotonic() + 2.0
        left = leftovers()
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            left = leftovers()
        bad = []
        for pid in left:
            desc = "%d (%s)" % (pid, proc_cmdline(pid)[:80])
            if pid not in self.allowed_strays:
                bad.append(desc)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if bad:
            self.problems.append("processes left running after corrald exited (killed now): "
                                 + ", ".join(bad))

    def __enter__(self):
        if self.autostart:
            try:
                self.start()
            except BaseException:
                self.__exit__(*sys.exc_info())
                raise
        return self

    def __exit__(self, et, ev, tb):
        # Teardown is bounded by itself: do not let the runner's alarm cut it
        # short; what is left of the alarm is set again afterwards.
        left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
        t0 = time.monotonic()
        try:
            self.teardown()
        finally:
            if left:
                signal.setitimer(signal.ITIMER_REAL, max(0.1, left - (time.monotonic() - t0)))
        tail = self.stderr_tail(25)
        if et is not None:
            if tail and ev is not None and not getattr(ev, "_tail_added", False):
                try:
                    ev.args = (str(ev) + "\n--- corrald stderr (tail) ---\n" + tail
                               + ("\n--- also: " + "; ".join(self.problems) if self.problems else ""),)
                    ev._tail_added = True
                except Exception:
                    pass
            return False
        if self.problems:
            raise AssertionError("; ".join(self.problems)
                                 + ("\n--- corrald stderr (tail) ---\n" + tail if tail else ""))
        return False


def expect(cond, msg, *info):
    if not cond:
        if info:
            msg += " [" + "; ".join(repr(i) for i in info) + "]"
        raise AssertionError(msg)


def expect_rc(r, rc, what=""):
    expect(r.rc == rc, "%sexpected exit %s, got %s: %r" % (what + ": " if what else "", rc, r.rc, r))


def expect_gone(pid, what="process", timeout=0):
    if timeout:
        wait_until(lambda: not pid_exists(pid), timeout, "%s pid %d to be gone" % (what, pid))
    else:
        st = proc_stat(pid)
        expect(st is None, "%s pid %d still exists (state %s)" % (what, pid, st and st[0]))


# What an idle corrald may be seen in by strace: its one wait.
IDLE_OK = ("epoll_wait", "epoll_pwait", "epoll_pwait2", "restart_syscall")


def idle_syscalls(c, seconds=3):
    """strace corrald (by its pid) for SECONDS: (busy, calls), the system
    calls it made other than its wait, and every line strace wrote of one.
    An idle corrald has no busy call, and at most the wait it was in and
    the one it went back to."""
    out = c.path("strace.out")
    err = c.path("strace.err")
    with open(err, "w") as errf:
        st = subprocess.Popen(["strace", "-p", str(c.pid), "-o", out], stdin=subprocess.DEVNULL,
                              stdout=errf, stderr=errf)
        try:
            wait_until(lambda: "attached" in (c.read(err) or ""), 5, "strace to attach")
            time.sleep(seconds)
        finally:
            st.terminate()  # by its PID
            try:
                st.wait(5)
            except subprocess.TimeoutExpired:
                st.kill()
                st.wait()
    lines = [l for l in (c.read(out) or "").splitlines() if l.strip()]
    calls = [l for l in lines if not l.startswith(("---", "+++"))]
    busy = [l for l in calls
            if not (l.startswith(IDLE_OK) and ("<detached" in l or "<unfinished" in l
                                               or "resuming" in l))]
    return busy, calls
