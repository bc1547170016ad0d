"""corrald --init as a container's PID 1, inside unshare --pid --fork
--mount-proc: orphans reaped, SIGTERM a graceful stop, the exit status of
the main = true program."""

import os
import shutil
import signal
import subprocess
import tempfile

from harness import (PY, corrald_path, corralctl_path, expect, pid_exists, proc_stat, run,
                     scope_dir, wait_until)


class Init:
    """corrald --init under unshare, with a private temp dir."""

    def __init__(self, programs, scripts=None):
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
            ["unshare", "--pid", "--fork", "--mount-proc", corrald_path(), "--init",
             "-c", self.conf], stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err,
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
