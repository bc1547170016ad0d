"""corrald --init as a container's PID 1, inside unshare --pid --fork
--mount-proc: orphans reaped, SIGTERM a graceful stop, the exit status of
the main = true program."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import (PY, corrald_path, corralctl_path, expect, pid_exists, proc_stat, run,
                     scope_dir, wait_until)


class Init:
    """corrald --init under unshare, with a private temp dir."""

    def __init__(self, programs, scripts=None, args=()):
        self.tmp = tempfile.mkdtemp(prefix="corral-e2e-init-")
        for name, text in (scripts or {}).items():
            with open(os.path.join(self.tmp, name), "w") as f:
                f.write(text)
        self.sock = os.path.join(self.tmp, "s.sock")
        self.conf = os.path.join(self.tmp, "corral.conf")
        with open(self.conf, "w") as f:
            f.write("[corral]\nsocket = %s\nlogdir = %s/log\n\n%s"
                    % (self.sock, self.tmp, programs.replace("@DIR@", self.tmp)))
        self.err = open(os.path.join(self.tmp, "stderr"), "wb")
        self.unshare = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", corrald_path(), "--init"]
            + list(args) + ["-c", self.conf], stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err,
            start_new_session=True)
        self.corrald = wait_until(self._child, 20, lambda: "corrald under unshare; stderr:\n%s"
                                  % self.stderr()[-1500:])

    def _child(self):
        if self.unshare.poll() is not None:
            raise AssertionError("unshare exited %s before corrald was seen; stderr:\n%s"
                                 % (self.unshare.returncode, self.stderr()[-1500:]))
        for p in os.listdir("/proc"):
            if p.isdigit():
                st = proc_stat(int(p))
                if st and st[1] == self.unshare.pid:
                    return int(p)
        return None

    def ctl(self, *args):
        return run([corralctl_path(), "-s", self.sock] + list(args), timeout=30)

    def stderr(self):
        with open(os.path.join(self.tmp, "stderr"), errors="replace") as f:
            return f.read()

    def wait(self, timeout=20):
        try:
            return self.unshare.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("corrald --init still running; stderr:\n" + self.stderr()[-2000:])

    def close(self):
        if self.unshare.poll() is None:
            # SIGKILL of PID 1 takes the whole namespace with it.
            if pid_exists(self.corrald):
                os.kill(self.corrald, signal.SIGKILL)
            self.unshare.wait(10)
        self.err.close()
        d = scope_dir(self.sock)
        expect(not d or not os.path.exists(d), "scope %s left behind" % d)
        shutil.rmtree(self.tmp, ignore_errors=True)


def test_init_exits_with_the_main_programs_status_and_reaps_orphans():
    progs = ("[program:app]\n"
             "command = /bin/sh -c 'sleep 0.5 && (sleep 0.1 &) && (sleep 0.1 &) && sleep 1 && exit 7'\n"
             "main = true\nstartsecs = 0\nautorestart = false\n\n"
             "[program:side]\ncommand = /bin/sleep 1000\nstartsecs = 0\n")
    init = Init(progs)
    try:
        wait_until(lambda: init.ctl("status").rc in (0, 3), 10, "corrald to answer")
        side = init.ctl("pid", "side").out.strip()
        expect(side == "4" or side.isdigit(), "side has a pid inside the namespace", side)
        rc = init.wait()
        expect(rc == 7, "exit status of corrald --init is main's 7, got %s" % rc, init.stderr()[-1500:])
        err = init.stderr()
        expect(err.count("reaped stray process") >= 2, "the orphans were reaped", err[-1500:])
        expect("side: STOPPING -> STOPPED" in err, "the other program was stopped", err[-1500:])
        expect("PID 1" in err, "it knows it is PID 1", err[:500])
    finally:
        init.close()


def test_init_sigterm_is_a_graceful_stop():
    handler = ("import signal, sys, time\n"
               "def term(*_):\n"
               "    open(sys.argv[1], 'w').write('graceful')\n"
               "    sys.exit(0)\n"
               "signal.signal(signal.SIGTERM, term)\n"
               "open(sys.argv[1] + '.ready', 'w').close()\n"
               "while True: time.sleep(1)\n")
    progs = ("[program:app]\ncommand = %s @DIR@/app.py @DIR@/marker\nmain = true\nstartsecs = 0\n\n"
             "[program:other]\ncommand = /bin/sleep 1000\nstartsecs = 0\n" % PY)
    init = Init(progs, scripts={"app.py": handler})
    try:
        wait_until(lambda: init.ctl("status").rc == 0, 20, "both programs RUNNING")
        wait_until(lambda: os.path.exists(os.path.join(init.tmp, "marker.ready")), 20,
                   "app to install its SIGTERM handler")
        os.kill(init.corrald, signal.SIGTERM)
        rc = init.wait()
        expect(rc == 0, "main exited 0 after its graceful stop: corrald --init exits 0, got %s" % rc,
               init.stderr()[-1500:])
        with open(os.path.join(init.tmp, "marker")) as f:
            expect(f.read() == "graceful", "the main program got SIGTERM and stopped itself")
    finally:
        init.close()


def test_init_main_killed_by_a_signal_gives_128_plus_n():
    progs = ("[program:app]\ncommand = /bin/sleep 1000\nmain = true\nstartsecs = 0\n"
             "autorestart = false\n")
    init = Init(progs)
    try:
        wait_until(lambda: init.ctl("status").rc == 0, 10, "app RUNNING")
        # startsecs = 0: RUNNING from the spawn, so even a death this soon is
        # an exit (EXITED), which ends corrald --init, not a failed start.
        expect(init.ctl("signal", "KILL", "app").rc == 0, "signal KILL app")
        rc = init.wait()
        expect(rc == 128 + 9, "128 + SIGKILL expected, got %s" % rc, init.stderr()[-1500:])
    finally:
        init.close()


def test_init_main_not_restarted_by_default():
    """main = true with autorestart not written: under --init it runs once
    and the container ends with its status, as under tini (the default,
    unexpected, would restart an exit 3 for ever)."""
    progs = ("[program:app]\ncommand = /bin/sh -c 'echo run >> @DIR@/runs; sleep 1.5; exit 3'\n"
             "main = true\nstartsecs = 1\n\n"
             "[program:side]\ncommand = /bin/sleep 1000\nstartsecs = 0\n")
    init = Init(progs)
    try:
        rc = init.wait(30)
        expect(rc == 3, "corrald --init exits with main's 3, got %s" % rc, init.stderr()[-1500:])
        runs = open(os.path.join(init.tmp, "runs")).read().split()
        expect(runs == ["run"], "main ran %d times" % len(runs), init.stderr()[-1500:])
    finally:
        init.close()


def test_init_main_restarted_when_the_config_says_so():
    progs = ("[program:app]\ncommand = /bin/sh -c 'echo run >> @DIR@/runs; sleep 1.5; exit 3'\n"
             "main = true\nstartsecs = 1\nautorestart = unexpected\n")
    init = Init(progs)
    try:
        wait_until(lambda: len((open(os.path.join(init.tmp, "runs")).read()
                                if os.path.exists(os.path.join(init.tmp, "runs")) else "").split())
                   >= 2, 30, "app to run a second time (autorestart = unexpected, written)")
        os.kill(init.corrald, signal.SIGTERM)
        init.wait(30)
    finally:
        init.close()


def test_check_shows_the_autorestart_in_force_under_init():
    tmp = tempfile.mkdtemp(prefix="corral-e2e-initcheck-")
    try:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write("[corral]\nsocket = %s/s.sock\n\n[program:app]\ncommand = /bin/true\n"
                    "main = true\n" % tmp)
        conf2 = os.path.join(tmp, "c2.conf")
        with open(conf2, "w") as f:
            f.write("[corral]\nsocket = %s/s.sock\n\n[program:other]\ncommand = /bin/true\n"
                    "main = true\nautorestart = true\n" % tmp)
        r = run([corrald_path(), "--check", "-v", "--init", "-c", conf])
        expect(r.rc == 0, "--check --init -v", r)
        expect("autorestart = false ; --init: the main program is not restarted unless its "
               "config says so" in r.out and "main = true" in r.out,
               "app's autorestart under --init", r.out)
        r = run([corrald_path(), "--check", "-v", "--init", "-c", conf2])
        expect("autorestart = true\n" in r.out, "other keeps the autorestart it says", r.out)
        r = run([corrald_path(), "--check", "-v", "-c", conf])
        expect("autorestart = unexpected\n" in r.out, "without --init the default stays", r.out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_scope_left_by_a_killed_init_is_removed_by_the_next_corrald():
    """corrald --init killed with SIGKILL (the kernel takes its namespace,
    no guard runs) leaves its empty scope in the parent cgroup; the next
    corrald there, of any config, removes it. A scope a live corrald holds
    is never touched."""
    from harness import Corral, prog, SLEEP
    init = Init("[program:app]\ncommand = /bin/sleep 1000\nmain = true\nstartsecs = 0\n")
    left = scope_dir(init.sock)
    try:
        wait_until(lambda: init.ctl("status").rc == 0, 20, "the init's program to run")
        os.kill(init.corrald, signal.SIGKILL)
        init.unshare.wait(20)
        wait_until(lambda: not open(os.path.join(left, "cgroup.procs")).read().strip(), 10,
                   "the killed namespace's processes to be gone")
        expect(os.path.isdir(left), "test setup: the killed init's scope is not left behind")
        with Corral(prog("live", SLEEP, startsecs=0), name="holder") as holder:
            holder.wait_running(["live"])
            held = scope_dir(holder.sock)
            # Made more than a minute ago, as any leftover a later start
            # finds (younger ones may be a starting corrald's, not yet held).
            for d in (left, held):
                os.utime(d, (time.time() - 120, time.time() - 120))
            with Corral(prog("x", SLEEP, startsecs=0), name="sweeper") as c:
                c.wait_running(["x"])
                expect(not os.path.exists(left), "the leftover scope %s is still there" % left)
                expect("removed 1 empty scope" in c.stderr_text(), "the log says so",
                       c.stderr_tail())
                expect(os.path.isdir(held), "a live corrald's scope was removed")
                expect(holder.status()["live"]["state"] == "RUNNING", "the live one's program")
    finally:
        init.close()


# Records each signal it gets in FILE (one name a line), touches FILE.ready
# once every handler is in; TERM and INT are recorded, then it exits 0.
CATCHER = r'''import os, signal, sys, time
out = sys.argv[1]
def got(sig, frame):
    with open(out if os.getpid() == main else out + ".child", "a") as f:
        f.write(signal.Signals(sig).name[3:] + "\n")
    if sig in (signal.SIGTERM, signal.SIGINT):
        sys.exit(0)
for s in ("HUP", "INT", "QUIT", "USR1", "USR2", "WINCH", "CONT", "ALRM", "TERM", "TTIN",
          "TTOU", "URG", "PWR"):
    signal.signal(getattr(signal, "SIG" + s), got)
main = os.getpid()
if sys.argv[2:] == ["fork"]:     # a child in its process group, as a worker
    os.fork()
if os.getpid() == main:
    open(out + ".ready", "w").close()
while True:
    time.sleep(0.2)
'''

FORWARDED = ("HUP", "QUIT", "USR1", "USR2", "WINCH", "CONT", "ALRM", "URG", "PWR")


class Tini:
    """tini as PID 1 of a PID namespace, its child the CATCHER script."""

    def __init__(self, tmp, group=False):
        self.tmp = tmp
        self.err = open(os.path.join(tmp, "tini.stderr"), "wb")
        self.unshare = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "tini"] + (["-g"] if group else [])
            + ["--", PY, os.path.join(tmp, "catcher.py"), os.path.join(tmp, "got"), "fork"],
            stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err, start_new_session=True)
        self.pid1 = wait_until(self._child, 20, "tini under unshare")

    def _child(self):
        for p in os.listdir("/proc"):
            if p.isdigit():
                st = proc_stat(int(p))
                if st and st[1] == self.unshare.pid:
                    return int(p)
        return None

    def close(self):
        if self.unshare.poll() is None:
            if pid_exists(self.pid1):
                os.kill(self.pid1, signal.SIGKILL)
            self.unshare.wait(10)
        self.err.close()


def got_signals(path):
    try:
        return open(path).read().split()
    except FileNotFoundError:
        return []


def deliver_each(pid1, got, names):
    """Send each signal in NAMES to PID1; what the catcher received of each
    ({name: True/False}), waiting up to 5 s for each to arrive."""
    seen = {}
    for name in names:
        before = len(got_signals(got))
        os.kill(pid1, getattr(signal, "SIG" + name))
        try:
            wait_until(lambda: len(got_signals(got)) > before, 5, "SIG" + name)
            seen[name] = got_signals(got)[before] == name
        except AssertionError:
            seen[name] = False
    return seen


def child_signals(path, group):
    """What the main program's child recorded: with GROUP, once it has all
    (it writes when the scheduler lets it); without, after a moment in
    which nothing may come."""
    if group:
        try:
            wait_until(lambda: len(got_signals(path)) >= len(FORWARDED), 20,
                       "the child to record them all")
        except AssertionError:
            pass
    else:
        time.sleep(1)
    return got_signals(path)


def init_beside_tini(group):
    results = {}
    tmp = tempfile.mkdtemp(prefix="corral-e2e-tini-")
    try:
        with open(os.path.join(tmp, "catcher.py"), "w") as f:
            f.write(CATCHER)
        t = Tini(tmp, group)
        try:
            wait_until(lambda: os.path.exists(os.path.join(tmp, "got.ready")), 20,
                       "the catcher under tini")
            results["tini"] = deliver_each(t.pid1, os.path.join(tmp, "got"), FORWARDED)
            results["tini_child"] = child_signals(os.path.join(tmp, "got.child"), group)
            os.kill(t.pid1, signal.SIGTERM)
            results["tini_rc"] = t.unshare.wait(20)
            results["tini_last"] = got_signals(os.path.join(tmp, "got"))[-1:]
        finally:
            t.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progs = ("[program:app]\ncommand = %s @DIR@/catcher.py @DIR@/got fork\nmain = true\n"
             "startsecs = 0\n\n[program:side]\ncommand = /bin/sleep 1000\nstartsecs = 0\n" % PY)
    init = Init(progs, scripts={"catcher.py": CATCHER}, args=["-g"] if group else [])
    try:
        got = os.path.join(init.tmp, "got")
        wait_until(lambda: os.path.exists(got + ".ready"), 20, "the catcher under corrald --init")
        results["corral"] = deliver_each(init.corrald, got, FORWARDED)
        results["corral_child"] = child_signals(got + ".child", group)
        os.kill(init.corrald, signal.SIGTERM)
        results["corral_rc"] = init.wait(30)
        results["corral_last"] = got_signals(got)[-1:]
        results["corral_stderr"] = init.stderr()
    finally:
        init.close()
    return results


def test_init_forwards_signals_as_tini_does():
    """HUP, QUIT, USR1, USR2, WINCH, CONT, ALRM, URG, PWR sent to PID 1
    reach the main program under corrald --init as under tini; TERM stops
    everything, the main program getting TERM itself, as under tini."""
    r = init_beside_tini(group=False)
    expect(all(r["tini"].values()), "test setup: tini did not forward all", r["tini"])
    expect(r["corral"] == r["tini"], "corrald --init forwards as tini does",
           r["corral"], r["tini"], r["corral_stderr"][-1500:])
    expect(r["corral_child"] == [] == r["tini_child"], "without -g only the main process",
           r["corral_child"], r["tini_child"])
    expect(r["corral_last"] == ["TERM"] == r["tini_last"], "the main program got TERM",
           r["corral_last"], r["tini_last"])
    expect(r["corral_rc"] == 0 == r["tini_rc"], "both exit 0", r["corral_rc"], r["tini_rc"])
    expect("side: STOPPING -> STOPPED" in r["corral_stderr"], "the other program was stopped")
test_init_forwards_signals_as_tini_does.timeout = 180


def test_init_group_forwards_to_the_process_group_as_tini_g():
    r = init_beside_tini(group=True)
    expect(all(r["tini"].values()), "test setup: tini -g did not forward all", r["tini"])
    expect(r["corral"] == r["tini"], "corrald --init -g forwards as tini -g does",
           r["corral"], r["tini"])
    # the main program's child, in its process group, got them too
    expect(sorted(r["tini_child"]) == sorted(FORWARDED), "test setup: tini -g's group",
           r["tini_child"])
    expect(sorted(r["corral_child"]) == sorted(r["tini_child"]),
           "the process group got what tini -g gives it", r["corral_child"], r["tini_child"])
test_init_group_forwards_to_the_process_group_as_tini_g.timeout = 180


def test_init_int_reaches_the_main_program():
    """INT (Ctrl-C in `docker run -it`) stops everything; the main program
    gets INT, as tini's child would, not its stopsignal."""
    progs = ("[program:app]\ncommand = %s @DIR@/catcher.py @DIR@/got\nmain = true\n"
             "startsecs = 0\n" % PY)
    init = Init(progs, scripts={"catcher.py": CATCHER})
    try:
        got = os.path.join(init.tmp, "got")
        wait_until(lambda: os.path.exists(got + ".ready"), 20, "the catcher")
        os.kill(init.corrald, signal.SIGINT)
        rc = init.wait(30)
        expect(got_signals(got) == ["INT"], "the main program got INT", got_signals(got))
        expect(rc == 0, "exit 0 after the main program's graceful exit", rc)
    finally:
        init.close()
