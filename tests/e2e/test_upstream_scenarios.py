"""supervisord's own end-to-end scenarios, run against corrald and, as the
control, against Debian's supervisord in the same run.

supervisor 4.2.5 ships end-to-end tests (supervisor/tests/test_end_to_end.py)
that start supervisord on a fixture config and watch its output or drive it
with supervisorctl. Each scenario here is one of those, written afresh: the
fixture configs and their helper scripts are read where Debian installs them
(FIXTURES below), as they are, and never copied into this tree. Every
scenario is two tests:

    test_upstream_issue_<N>_against_supervisord   /usr/bin/supervisord -c FIXTURE
    test_upstream_issue_<N>_against_corrald       corrald -c FIXTURE

with the same expectations: what supervisord prints (its log wording
included, e.g. "success: hello entered RUNNING state"), what the stock
/usr/bin/supervisorctl prints, what the XML-RPC interface answers. A
scenario that fails against corrald fails; one that fails against
supervisord means this file is wrong.

Each daemon runs in a mount namespace of its own where /tmp and /run are
fresh tmpfs mounts (the fixtures' /tmp/issue-*.sock, .log and .pid, and
corrald's default control socket under /run, are the test's alone), in a
cgroup of its own (so corrald's scope, named after its control socket, can
never meet another corrald's), with a pseudo-terminal as its stdin, stdout
and stderr, as pexpect gives it upstream. supervisorctl runs inside the same
namespace (nsenter); XML-RPC reaches the socket through /proc/PID/root. At
the end the daemon gets SIGTERM by PID; whatever is still in its cgroup
after it exited is killed and the test fails. In the namespace, `python`
on PATH is /usr/bin/python3 (the fixtures run `python script.py`, which
upstream's tox environment provides), and for issue 565 a hello.sh of our
own is laid over the fixture directory: Debian's package leaves that script
out (see HELLO_SH).

Scenarios of test_end_to_end.py not here: 1418 (two pidproxy tests; no
daemon is started). Issue 1251 (`-?` prints the help) is here: it runs
the daemon's own binary.

Run them (as root: namespaces, mounts, cgroups), from tests/e2e:

    /usr/bin/python3 run.py test_upstream_issue_565_against_corrald
    /usr/bin/python3 run.py $(grep -o '^def test_upstream_[a-z0-9_]*' \\
        test_upstream_scenarios.py | cut -c5-)

or, for every scenario and the two counts at the end
("upstream scenarios: N of 23 pass against supervisord, M of 23 against
corrald"):

    /usr/bin/python3 tests/e2e/test_upstream_scenarios.py [-j N] [supervisord|corrald]
"""

import codecs
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid

from harness import PY, cgroup2_mount, corrald_path, expect, proc_cmdline, proc_stat, unix_rpc

FIXTURES = "/usr/lib/python3/dist-packages/supervisor/tests/fixtures"
SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"
TIMEOUT = 30          # pexpect's default, which upstream's expectations mostly use
BIN = "/tmp/.upstream-e2e/bin"
PATH = BIN + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# issue-565.conf runs `bash %(here)s/hello.sh`, which Debian's package does
# not install. Ours does what the scenario needs of it: live well past
# startsecs=1, printing a numbered line with non-ASCII letters every second.
HELLO_SH = r'''n=1
while [ $n -le 10 ]; do
    printf 'The \303\230resund bridge ends in Malm\303\266 - %d\n' "$n"
    n=$((n + 1))
    sleep 1
done
'''

# Run by `unshare --mount` before it execs the daemon: its own cgroup
# first (so all it forks is found), then the private mounts.
NS_INIT = r'''
set -e
[ -z "$UPSTREAM_CGROUP" ] || echo $$ >"$UPSTREAM_CGROUP/cgroup.procs"
mount -t tmpfs -o mode=1777 upstream-tmp /tmp
mount -t tmpfs -o mode=0755 upstream-run /run
mkdir -p "$UPSTREAM_BIN"
ln -s /usr/bin/python3 "$UPSTREAM_BIN/python"
if [ -n "$UPSTREAM_EXTRA_NAME" ]; then
    x=/tmp/.upstream-e2e/extra
    mkdir -p "$x"
    printf '%s' "$UPSTREAM_EXTRA_TEXT" >"$x/$UPSTREAM_EXTRA_NAME"
    chmod 0755 "$x/$UPSTREAM_EXTRA_NAME"
    mount -t overlay -o "ro,lowerdir=$x:$UPSTREAM_FIXTURES" upstream-fixtures "$UPSTREAM_FIXTURES"
fi
unset UPSTREAM_CGROUP UPSTREAM_BIN UPSTREAM_EXTRA_NAME UPSTREAM_EXTRA_TEXT UPSTREAM_FIXTURES
exec "$@"
'''


def base_env(extra=None):
    """The environment both daemons and supervisorctl start with: the
    test's own, minus what would make the two runs differ."""
    env = dict(os.environ)
    for k in ("CORRAL_SOCKET", "CORRAL_E2E_TAG", "PYTHONDONTWRITEBYTECODE", "PYENV_VERSION"):
        env.pop(k, None)
    env["PATH"] = PATH
    env.update(extra or {})
    return env


# ---------------------------------------------------------------- a pty reader

def scenario_line():
    """Where in its scenario an expectation failed (run.py shows only the
    innermost line of this file, which is in Terminal)."""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_name.startswith("issue_"):
            return "in %s, line %d\n" % (f.f_code.co_name, f.f_lineno)
        f = f.f_back
    return ""


class Terminal:
    """A process on a pseudo-terminal, read by a thread into a buffer that
    expect_*() search from where the last match ended, as pexpect does."""

    def __init__(self, who, argv, env, cwd="/"):
        self.who = who
        master, slave = pty.openpty()
        try:
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                         cwd=cwd, start_new_session=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd = master
        self.text = ""
        self.pos = 0
        self.eof = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        dec = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                r, _, _ = select.select([self.fd], [], [], 0.5)
                if not r:
                    if self.fd < 0:
                        break
                    continue
                data = os.read(self.fd, 65536)
            except (OSError, ValueError):
                data = b""      # EIO: every holder of the other side closed it
            with self.cond:
                if data:
                    self.text += dec.decode(data)
                else:
                    self.text += dec.decode(b"", final=True)
                    self.eof = True
                self.cond.notify_all()
            if not data:
                return

    def sendline(self, s):
        os.write(self.fd, (s + "\n").encode())

    def _wait(self, find, what, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                end = find(self.text, self.pos)
                if end is not None:
                    self.pos = end
                    return
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    break
                self.cond.wait(min(left, 0.5))
        how = "exited" if self.eof else "not within %ss" % timeout
        raise AssertionError("%s: %s (%s)\n%s--- %s output since the last match ---\n%s"
                             % (self.who, what, how, scenario_line(), self.who, self.tail()))

    def tail(self, n=30):
        lines = self.text[self.pos:].replace("\r\n", "\n").splitlines()
        return "\n".join(lines[-n:])

    def expect_exact(self, s, timeout=TIMEOUT):
        def find(text, pos):
            i = text.find(s, pos)
            return None if i < 0 else i + len(s)
        self._wait(find, "never printed %r" % s, timeout)

    def expect_re(self, rx, timeout=TIMEOUT):
        c = re.compile(rx)

        def find(text, pos):
            m = c.search(text, pos)
            return m.end() if m else None
        self._wait(find, "never printed a match of %r" % rx, timeout)

    def expect_eof(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.eof and time.monotonic() < deadline:
                self.cond.wait(0.5)
            if self.eof:
                self.pos = len(self.text)
                return
        raise AssertionError("%s: still running %ss later\n--- %s output ---\n%s"
                             % (self.who, timeout, self.who, self.tail()))

    def seen(self, s):
        with self.cond:
            return s in self.text

    def close(self):
        """Kill what is left of its process group (by its id), reap it."""
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(3)
                    break
                except subprocess.TimeoutExpired:
                    pass
        else:
            try:    # a pipeline's other members, if any outlived its leader
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.thread.join(2)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# ---------------------------------------------------------------- the daemons

def own_cgroup_dir():
    mount = cgroup2_mount()
    if not mount:
        return None
    with open("/proc/self/cgroup") as f:
        own = [l.strip()[3:] for l in f if l.startswith("0::")]
    if not own:
        return None
    return mount + ("" if own[0] == "/" else own[0])


class Daemon:
    """supervisord or corrald on one fixture config, in its own mount
    namespace and cgroup, on a pseudo-terminal."""

    def __init__(self, kind, fixture, args=(), env=None, extra_file=None):
        self.kind = kind
        self.conf = os.path.join(FIXTURES, fixture)
        if kind == "supervisord":
            self.argv = [SUPERVISORD, "-c", self.conf] + list(args)
        else:
            self.argv = [corrald_path(), "-c", self.conf] + list(args)
        self.env = base_env(env)
        self.extra_file = extra_file
        self.term = None
        self.cgroup = None
        self.ns = None
        self.problems = []
        self.spawned = []

    # -- start and stop

    def start(self):
        expect(os.path.isfile(self.conf), "fixture %s is not installed (package supervisor)" % self.conf)
        base = own_cgroup_dir()
        expect(base is not None, "no cgroup v2 hierarchy to put the %s in" % self.kind)
        self.cgroup = os.path.join(base, "upstream-e2e-%s-%s" % (self.kind, uuid.uuid4().hex[:10]))
        os.mkdir(self.cgroup)
        env = dict(self.env)
        env.update(UPSTREAM_CGROUP=self.cgroup, UPSTREAM_BIN=BIN, UPSTREAM_FIXTURES=FIXTURES,
                   UPSTREAM_EXTRA_NAME="", UPSTREAM_EXTRA_TEXT="")
        if self.extra_file:
            env["UPSTREAM_EXTRA_NAME"], env["UPSTREAM_EXTRA_TEXT"] = self.extra_file
        self.term = Terminal(self.kind, ["unshare", "--mount", "--propagation", "private",
                                         "/bin/sh", "-c", NS_INIT, "sh"] + self.argv, env)
        pid = self.term.proc.pid
        # Past NS_INIT (its text is in sh's command line) the daemon runs
        # in the namespace, its mounts in place. A daemon that is already
        # gone is no error here: what it printed is for the scenario to judge.
        deadline = time.monotonic() + 10
        while True:
            cmd = proc_cmdline(pid)
            if cmd and "upstream-tmp" not in cmd:
                try:
                    self.ns = os.readlink("/proc/%d/ns/mnt" % pid)
                except OSError:
                    pass
                break
            if self.term.proc.poll() is not None:
                break
            expect(time.monotonic() < deadline, "the namespace for %s was not set up in 10s:\n%s"
                   % (self.kind, self.term.tail()))
            time.sleep(0.02)
        expect(self.ns != os.readlink("/proc/self/ns/mnt"),
               "%s is not in a mount namespace of its own" % self.kind)
        return self

    def members(self):
        try:
            with open(os.path.join(self.cgroup, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            return []

    def ns_pid(self):
        """A live process in the daemon's mount namespace: the daemon, or
        (if it daemonized or went) whatever it left in its cgroup."""
        cands = [self.term.proc.pid] if self.term.proc.poll() is None else []
        for pid in cands + self.members():
            try:
                if os.readlink("/proc/%d/ns/mnt" % pid) == self.ns:
                    return pid
            except OSError:
                continue
        raise AssertionError("nothing of %s is left in its namespace (exit status %s):\n%s"
                             % (self.kind, self.term.proc.returncode, self.term.tail()))

    def stop(self):
        """SIGTERM, by pid, to the daemon: the process started, or, if it
        daemonized, the topmost processes of its cgroup. Once it is gone,
        whatever is still in its cgroup is killed and counted a problem."""
        try:
            if self.term is not None:
                self._terminate()
        finally:
            self._kill_cgroup()
            for t in self.spawned:
                t.close()
            if self.term is not None:
                try:
                    self.term.proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
                self.term.close()

    def _terminate(self):
        proc = self.term.proc
        if proc.poll() is None:
            targets = [proc.pid]
        else:
            pids = set(self.members())
            targets = [p for p in pids if (proc_stat(p) or ("", 0))[1] not in pids]
        for p in targets:
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass

        def gone(p):
            if p == proc.pid:
                return proc.poll() is not None
            st = proc_stat(p)
            return st is None or st[0] == "Z"
        deadline = time.monotonic() + 20
        while not all(gone(p) for p in targets) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not all(gone(p) for p in targets):
            self.problems.append("%s did not exit within 20s of SIGTERM" % self.kind)
            return
        # What it started may take a moment to go after it (corrald's guard).
        deadline = time.monotonic() + 3
        while True:
            left = [p for p in self.members() if not gone(p)]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if left:
            self.problems.append("left running after %s exited (killed now): %s" % (
                self.kind, ", ".join("%d (%s)" % (p, proc_cmdline(p)[:60]) for p in left)))

    def _kill_cgroup(self):
        if not self.cgroup or not os.path.isdir(self.cgroup):
            return
        try:
            with open(os.path.join(self.cgroup, "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            for p in self.members():
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        while True:
            try:
                # corrald's scope (and its leaves) may be left under ours
                for root, dirs, _ in os.walk(self.cgroup, topdown=False):
                    for d in dirs:
                        os.rmdir(os.path.join(root, d))
                os.rmdir(self.cgroup)
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.problems.append("cgroup %s could not be removed" % self.cgroup)
                    return
                time.sleep(0.05)

    # -- what scenarios use

    def expect_exact(self, s, timeout=TIMEOUT):
        self.term.expect_exact(s, timeout)

    def expect_re(self, rx, timeout=TIMEOUT):
        self.term.expect_re(rx, timeout)

    def expect_eof(self, timeout=TIMEOUT):
        self.term.expect_eof(timeout)

    def inside(self, argv, env=None, who=None):
        """ARGV run on a pseudo-terminal inside the daemon's namespace."""
        t = Terminal(who or argv[0], ["nsenter", "--mount=/proc/%d/ns/mnt" % self.ns_pid(), "--"]
                     + list(argv), base_env(env))
        self.spawned.append(t)
        return t

    def ctl(self, *args, env=None):
        return self.inside([SUPERVISORCTL, "-c", self.conf] + list(args), env=env,
                           who="supervisorctl " + " ".join(args))

    def rpc(self, sock):
        """supervisord's XML-RPC interface on SOCK, a path in the namespace."""
        return unix_rpc("/proc/%d/root%s" % (self.ns_pid(), sock))

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, et, ev, tb):
        left, _ = signal.setitimer(signal.ITIMER_REAL, 0)   # teardown is bounded by itself
        try:
            self.stop()
        finally:
            if left:
                signal.setitimer(signal.ITIMER_REAL, left)
        if et is None and self.problems:
            raise AssertionError("%s: %s" % (self.kind, "; ".join(self.problems)))
        if et is not None and self.problems and isinstance(ev, AssertionError):
            ev.args = (str(ev) + "\n--- also: " + "; ".join(self.problems),)
        return False


# ---------------------------------------------------------------- the scenarios
#
# Each takes "supervisord" or "corrald"; its docstring is the expectation.

def issue_291a(kind):
    """A value with percent signs in the daemon's own environment reaches a
    program unchanged: print_env.py's output, echoed at loglevel=debug,
    shows it exactly."""
    key, val = "SUPERVISOR_TEST_1441B", "foo_%s_%_%%_%%%_%2_bar"
    with Daemon(kind, "issue-291a.conf", env={key: val}) as d:
        d.expect_exact(key + "=" + val)


def issue_550(kind):
    """environment= in [supervisord] is in every program's environment: the
    one-shot print_env is RUNNING (startsecs=0), then exits as expected, and
    `supervisorctl tail -100000 print_env` shows the variable, then ends."""
    with Daemon(kind, "issue-550.conf") as d:
        d.expect_exact("success: print_env entered RUNNING state")
        d.expect_exact("exited: print_env (exit status 0; expected)")
        t = d.ctl("tail -100000", "print_env")
        t.expect_exact("THIS_SHOULD=BE_IN_CHILD_ENV")
        t.expect_eof()


def issue_565(kind):
    """`supervisorctl tail -f` of a log holding non-ASCII text (with an
    event listener taking PROCESS_LOG events beside it) prints the lines as
    they come: hello reaches RUNNING, and lines 1 to 3 show in the tail."""
    with Daemon(kind, "issue-565.conf", extra_file=("hello.sh", HELLO_SH)) as d:
        d.expect_exact("success: hello entered RUNNING state")
        t = d.ctl("tail", "-f", "hello")
        for i in range(1, 4):
            t.expect_exact("The \u00d8resund bridge ends in Malm\u00f6 - %d" % i, timeout=30)


def issue_638(kind):
    """Output that is not UTF-8 (a lone 0x88 byte) does not crash the daemon:
    its debug echo shows the bytes as Undecodable: b'\\x88\\n', and it goes on
    to log the child's exit (received SIGCHLD indicating a child quit)."""
    with Daemon(kind, "issue-638.conf") as d:
        d.expect_exact(r"Undecodable: b'\x88\n'", timeout=30)
        d.expect_re(r"received SIGCH?LD indicating a child quit", timeout=30)


def issue_663(kind):
    """The event listener protocol works: listener.py gets TICK_5 events,
    twice its READY after OK shows in the debug log (OKREADY) and the
    daemon logs its BUSY -> ACKNOWLEDGED transition."""
    with Daemon(kind, "issue-663.conf") as d:
        for _ in range(2):
            d.expect_exact("OKREADY", timeout=60)
            d.expect_exact("BUSY -> ACKNOWLEDGED", timeout=30)


def issue_664(kind):
    """A program named with non-ASCII letters (test_öäü): the daemon logs
    it RUNNING and `supervisorctl status` lists it RUNNING (the XML-RPC
    answer is whole)."""
    with Daemon(kind, "issue-664.conf") as d:
        d.expect_exact("test_\u00f6\u00e4\u00fc entered RUNNING state", timeout=60)
        t = d.ctl("status")
        t.expect_re("test_\u00f6\u00e4\u00fc\\s+RUNNING", timeout=30)


def issue_733(kind):
    """An event listener can shut the daemon down when a process goes FATAL:
    nonexistent gives up (FATAL), the one-line listener sends its parent
    SIGTERM, the daemon logs the exit request and exits."""
    with Daemon(kind, "issue-733.conf") as d:
        d.expect_exact("gave up: nonexistent entered FATAL state")
        d.expect_exact("received SIGTERM indicating exit request")
        d.expect_eof()


def issue_835(kind):
    """supervisor.sendProcessStdin over XML-RPC returns true and the text,
    non-ASCII too, reaches cat, whose echo shows in the daemon's debug log."""
    with Daemon(kind, "issue-835.conf") as d:
        d.expect_exact("cat entered RUNNING state", timeout=60)
        server = d.rpc("/tmp/issue-835.sock")
        for s in ("The \u00d8resund bridge ends in Malm\u00f6", "hello"):
            r = server.supervisor.sendProcessStdin("cat", s)
            expect(r is True, "sendProcessStdin('cat', %r) returned %r" % (s, r))
            d.expect_exact(s, timeout=30)


def issue_836(kind):
    """`supervisorctl fg cat`: each line typed goes to cat's stdin; the
    daemon's debug log shows it, and supervisorctl shows it twice (the
    terminal's echo, then cat's output sent back)."""
    with Daemon(kind, "issue-836.conf") as d:
        d.expect_exact("cat entered RUNNING state", timeout=60)
        t = d.ctl("fg", "cat")
        for s in ("Hi", "Hello", "The \u00d8resund bridge ends in Malm\u00f6"):
            t.sendline(s)
            d.expect_exact(s, timeout=60)
            t.expect_exact(s)
            t.expect_exact(s)


def issue_986(kind):
    """%% in command= is a literal %: the program's echo of the dhcrelay
    command line (in the debug log) has single percent signs."""
    with Daemon(kind, "issue-986.conf") as d:
        d.expect_exact("dhcrelay -d -q -a %h:%p %P -i Vlan1000 192.168.0.1")


def issue_1054(kind):
    """`supervisorctl avail` works: cat is listed "in use" and "auto"."""
    with Daemon(kind, "issue-1054.conf") as d:
        d.expect_exact("cat entered RUNNING state", timeout=60)
        t = d.ctl("avail")
        t.expect_re(r"cat\s+in use\s+auto", timeout=30)


def issue_1170a(kind):
    """environment= in [supervisord] is there for %(ENV_FOO)s in a
    program's command: echo prints the value (debug log)."""
    with Daemon(kind, "issue-1170a.conf") as d:
        d.expect_exact("set from [supervisord] section")


def issue_1170b(kind):
    """A program's own environment= wins over [supervisord]'s for
    %(ENV_FOO)s in its command."""
    with Daemon(kind, "issue-1170b.conf") as d:
        d.expect_exact("set from [program] section")


def issue_1170c(kind):
    """An event listener's own environment= wins over [supervisord]'s for
    %(ENV_FOO)s in its command (its stderr, in the debug log)."""
    with Daemon(kind, "issue-1170c.conf") as d:
        d.expect_exact("set from [eventlistener] section")


def issue_1224(kind):
    """logfile = /dev/stdout with logfile_maxbytes = 0 (a file that cannot
    seek) works: cat is logged RUNNING."""
    with Daemon(kind, "issue-1224.conf") as d:
        d.expect_exact("cat entered RUNNING state", timeout=60)


def expect_1231_lines(t, lang_oops):
    for i in range(1, 4):
        line = "%d - hash=57d94b\u2026381088" % i
        if not lang_oops:
            t.expect_exact(line, timeout=30)
            continue
        # Where Python cannot write UTF-8 under LANG=oops, supervisorctl
        # says so and stops: upstream accepts that too.
        try:
            t.expect_exact(line, timeout=30)
        except AssertionError:
            if t.eof and "Unable to write Unicode to stdout because it has encoding " in t.text:
                return
            raise


def issue_1231a(kind):
    """`supervisorctl tail -f hello` of a log with an ellipsis (U+2026) in
    each line prints lines 1 to 3."""
    with Daemon(kind, "issue-1231a.conf") as d:
        d.expect_exact("success: hello entered RUNNING state")
        t = d.ctl("tail", "-f", "hello")
        expect_1231_lines(t, False)


def issue_1231b(kind):
    """The same with LANG=oops for supervisorctl: lines 1 to 3, or (where
    stdout cannot take UTF-8) supervisorctl's own message about it."""
    with Daemon(kind, "issue-1231b.conf") as d:
        d.expect_exact("success: hello entered RUNNING state")
        t = d.ctl("tail", "-f", "hello", env={"LANG": "oops"})
        expect_1231_lines(t, True)


def issue_1231c(kind):
    """`supervisorctl tail hello` (no -f) with LANG=oops: upstream only
    requires that it runs once hello is RUNNING; here it must also exit 0
    and, once hello has logged its first line, show it."""
    with Daemon(kind, "issue-1231c.conf") as d:
        d.expect_exact("success: hello entered RUNNING state")
        deadline = time.monotonic() + 30
        while True:
            t = d.ctl("tail", "hello", env={"LANG": "oops"})
            t.expect_eof()
            rc = t.proc.wait(10)
            expect(rc == 0, "supervisorctl tail hello exited %s:\n%s" % (rc, t.text))
            if "1 - hash=57d94b\u2026381088" in t.text:
                break
            expect(time.monotonic() < deadline, "tail hello never showed line 1:\n%s" % t.text)
            time.sleep(1)


def issue_1251(kind):
    """-? prints the help, as -h does, and exits 0, for the daemon and for
    supervisorctl. supervisord's help begins "supervisord -- run a set of
    applications" and lists -l/--logfile; corrald's is its own -h text (it
    has no -l: corrald's own log file is another issue's)."""
    env = base_env()
    daemon = SUPERVISORD if kind == "supervisord" else corrald_path()
    out = {}
    for opt in ("-?", "-h"):
        t = Terminal("%s %s" % (kind, opt), [daemon, opt], env)
        try:
            t.expect_eof()
            out[opt] = (t.proc.wait(10), t.text)
        finally:
            t.close()
    rc, text = out["-?"]
    if kind == "supervisord":
        expect("supervisord -- run a set of applications" in text,
               "supervisord -? does not print its help:\n%s" % text)
    expect(out["-?"] == out["-h"], "%s -? does not print what -h prints (exit %s, -h exit %s):\n%s"
           % (kind, rc, out["-h"][0], text))
    expect(rc == 0, "%s -? exited %s" % (kind, rc))
    expect(re.search(r"-l/--logfile FILENAME -- use FILENAME as", text) if kind == "supervisord"
           else text.startswith("usage: corrald"),
           "%s's help is not its help:\n%s" % (kind, text))
    t = Terminal("supervisorctl -?", [SUPERVISORCTL, "-?"], env)
    try:
        t.expect_exact("supervisorctl -- control applications")
        t.expect_exact("-i/--interactive -- start an interactive")
        t.expect_eof()
    finally:
        t.close()


def issue_1298(kind):
    """`supervisorctl tail -f spew | cat -u`: a pipe for stdout does not
    crash supervisorctl, spew's lines come through (spewage 2)."""
    with Daemon(kind, "issue-1298.conf") as d:
        d.expect_exact("success: spew entered RUNNING state")
        t = d.inside(["/bin/sh", "-c", "'%s' -c '%s' tail -f spew | /bin/cat -u"
                      % (SUPERVISORCTL, d.conf)], who="supervisorctl tail -f spew | cat -u")
        t.expect_re("spewage 2", timeout=30)


def identification(d, sock, want):
    d.expect_exact("supervisord started with pid")
    got = d.rpc(sock).supervisor.getIdentification()
    expect(got == want, "getIdentification() is %r, expected %r" % (got, want))


def issue_1483a(kind):
    """No identifier anywhere: getIdentification() is "supervisor"."""
    with Daemon(kind, "issue-1483a.conf") as d:
        identification(d, "/tmp/issue-1483a.sock", "supervisor")


def issue_1483b(kind):
    """identifier= in [supervisord] is what getIdentification() returns."""
    with Daemon(kind, "issue-1483b.conf") as d:
        identification(d, "/tmp/issue-1483b.sock", "from_config_file")


def issue_1483c(kind):
    """-i on the command line wins over identifier= in the file."""
    with Daemon(kind, "issue-1483c.conf", args=("-i", "from_command_line")) as d:
        identification(d, "/tmp/issue-1483c.sock", "from_command_line")


# ---------------------------------------------------------------- the tests

def test_upstream_issue_291a_against_supervisord():
    issue_291a("supervisord")


def test_upstream_issue_291a_against_corrald():
    issue_291a("corrald")


def test_upstream_issue_550_against_supervisord():
    issue_550("supervisord")


def test_upstream_issue_550_against_corrald():
    issue_550("corrald")


def test_upstream_issue_565_against_supervisord():
    issue_565("supervisord")


def test_upstream_issue_565_against_corrald():
    issue_565("corrald")


def test_upstream_issue_638_against_supervisord():
    issue_638("supervisord")


def test_upstream_issue_638_against_corrald():
    issue_638("corrald")


def test_upstream_issue_663_against_supervisord():
    issue_663("supervisord")


def test_upstream_issue_663_against_corrald():
    issue_663("corrald")


def test_upstream_issue_664_against_supervisord():
    issue_664("supervisord")


def test_upstream_issue_664_against_corrald():
    issue_664("corrald")


def test_upstream_issue_733_against_supervisord():
    issue_733("supervisord")


def test_upstream_issue_733_against_corrald():
    issue_733("corrald")


def test_upstream_issue_835_against_supervisord():
    issue_835("supervisord")


def test_upstream_issue_835_against_corrald():
    issue_835("corrald")


def test_upstream_issue_836_against_supervisord():
    issue_836("supervisord")


def test_upstream_issue_836_against_corrald():
    issue_836("corrald")


def test_upstream_issue_986_against_supervisord():
    issue_986("supervisord")


def test_upstream_issue_986_against_corrald():
    issue_986("corrald")


def test_upstream_issue_1054_against_supervisord():
    issue_1054("supervisord")


def test_upstream_issue_1054_against_corrald():
    issue_1054("corrald")


def test_upstream_issue_1170a_against_supervisord():
    issue_1170a("supervisord")


def test_upstream_issue_1170a_against_corrald():
    issue_1170a("corrald")


def test_upstream_issue_1170b_against_supervisord():
    issue_1170b("supervisord")


def test_upstream_issue_1170b_against_corrald():
    issue_1170b("corrald")


def test_upstream_issue_1170c_against_supervisord():
    issue_1170c("supervisord")


def test_upstream_issue_1170c_against_corrald():
    issue_1170c("corrald")


def test_upstream_issue_1224_against_supervisord():
    issue_1224("supervisord")


def test_upstream_issue_1224_against_corrald():
    issue_1224("corrald")


def test_upstream_issue_1231a_against_supervisord():
    issue_1231a("supervisord")


def test_upstream_issue_1231a_against_corrald():
    issue_1231a("corrald")


def test_upstream_issue_1231b_against_supervisord():
    issue_1231b("supervisord")


def test_upstream_issue_1231b_against_corrald():
    issue_1231b("corrald")


def test_upstream_issue_1231c_against_supervisord():
    issue_1231c("supervisord")


def test_upstream_issue_1231c_against_corrald():
    issue_1231c("corrald")


def test_upstream_issue_1251_against_supervisord():
    issue_1251("supervisord")


def test_upstream_issue_1251_against_corrald():
    issue_1251("corrald")


def test_upstream_issue_1298_against_supervisord():
    issue_1298("supervisord")


def test_upstream_issue_1298_against_corrald():
    issue_1298("corrald")


def test_upstream_issue_1483a_against_supervisord():
    issue_1483a("supervisord")


def test_upstream_issue_1483a_against_corrald():
    issue_1483a("corrald")


def test_upstream_issue_1483b_against_supervisord():
    issue_1483b("supervisord")


def test_upstream_issue_1483b_against_corrald():
    issue_1483b("corrald")


def test_upstream_issue_1483c_against_supervisord():
    issue_1483c("supervisord")


def test_upstream_issue_1483c_against_corrald():
    issue_1483c("corrald")


# Up to three 30 s expectations and a 20 s stop on a busy machine.
for _n, _f in list(globals().items()):
    if _n.startswith("test_upstream_"):
        _f.timeout = 180


def main(argv):
    """Run the scenarios through run.py, then print the two counts."""
    args = argv[1:]
    kinds = [a for a in args if a in ("supervisord", "corrald")] or ["supervisord", "corrald"]
    opts = [a for a in args if a not in kinds]
    names = [n for n in globals() if n.startswith("test_upstream_")
             and n.rsplit("_", 1)[1] in kinds]
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.Popen([PY, os.path.join(here, "run.py")] + opts + names, cwd=here,
                         stdout=subprocess.PIPE, text=True)
    passed = {k: 0 for k in kinds}
    total = {k: len([n for n in names if n.endswith("_" + k)]) for k in kinds}
    for line in p.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = re.match(r"ok (test_upstream_\S+_(supervisord|corrald))\b", line)
        if m:
            passed[m.group(2)] += 1
    p.wait()
    print("upstream scenarios: " + ", ".join("%d of %d pass against %s" % (passed[k], total[k], k)
                                             for k in kinds))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
