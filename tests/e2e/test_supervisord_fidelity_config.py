"""supervisord fidelity, the config part (issue 17): files supervisord runs,
run by corrald the same way, side by side with Debian's real supervisord
where the behaviour is supervisord's; the control socket a supervisord
config gets; the [supervisord] keys corrald carries out (minfds,
minprocs, silent, nodaemon = false)."""

import os
import re
import resource
import signal
import subprocess

from harness import (Corral, corrald_path, corralctl_path, expect, pid_alive, proc_cmdline,
                     proc_stat, run, unix_rpc, wait_until)
from test_migrate import migrate_and_compare
from test_supervisorctl import SUPERVISORD, Supervisord

SLEEP = "/bin/sh -c 'exec sleep 1000' @TAG@"
RPC = ("[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
       "supervisor.rpcinterface:make_main_rpcinterface\n\n")


def head(d, extra=""):
    """[unix_http_server] and [supervisord] of a config in directory D (no
    socket =: corrald's control socket is then D/sd.sock.corral)."""
    return ("[unix_http_server]\nfile = %s/sd.sock\n\n"
            "[supervisord]\nlogfile = %s/supervisord.log\npidfile = %s/supervisord.pid\n"
            "childlogdir = %s\n%s\n" % (d, d, d, d, extra) + RPC
            + "[supervisorctl]\nserverurl = unix://%s/sd.sock\n\n" % d)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Pair:
    """The same config, made by TEXT(dir) with @TAG@ as the tag, run by the
    real supervisord (-n) and by corrald (-n), each in its own temp dir."""

    def __init__(self, name, text, sd_args=(), corrald_args=(), wrap=()):
        self.corral = Corral(start=False, name=name, corrald_args=corrald_args, wrap=wrap)
        c = self.corral
        c.sock = c.path("sd.sock.corral")   # the default of a supervisord config
        c.write_config(text(c.tmp), raw=True)
        self.sd = Supervisord(c.tag + "-sd", args=sd_args, wrap=wrap)
        with open(self.sd.conf, "w") as f:
            f.write(text(self.sd.tmp).replace("@TAG@", self.sd.tag))

    def __enter__(self):
        try:
            self.sd.start()
            self.corral.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, et, ev, tb):
        try:
            self.sd.stop()
        finally:
            return self.corral.__exit__(et, ev, tb)

    def both(self, name):
        """NAME in each temp dir: supervisord's, corrald's."""
        return os.path.join(self.sd.tmp, name), self.corral.path(name)


def wait_text(path, want, what):
    return wait_until(lambda: want in read(path) and read(path), 20,
                      lambda: "%r in %s (%s): %r" % (want, path, what, read(path)))


def test_repeated_key_takes_the_last_as_supervisord():
    """A key set twice in a section (supervisord's fixture issue-1224.conf
    repeats nodaemon): the last value counts, an invalid earlier one is
    never read, and corrald warns with the line; corral's format refuses."""
    def text(d):
        return (head(d, "nodaemon = true\nnodaemon = true\n")
                + "[program:cat]\ncommand = /bin/sh -c 'echo first; exec sleep 1000' @TAG@\n"
                  "stdout_logfile = %s/cat.log\nstartsecs = bad\n"
                  "command = /bin/sh -c 'echo last; exec /bin/cat' @TAG@\nstartsecs = 0\n" % d)
    with Pair("fid_repeat", text) as pair:
        c = pair.corral
        c.wait_state("cat", "RUNNING")
        for path in pair.both("cat.log"):
            wait_text(path, "last", "the last command ran")
        sd_log, c_log = (read(p) for p in pair.both("cat.log"))
        expect(sd_log == c_log == "last\n", "logs differ: supervisord %r, corrald %r"
               % (sd_log, c_log))
        r = run([corrald_path(), "--check", "-c", c.conf], timeout=10)
        expect(r.rc == 0, "--check exits %s" % r.rc, r)
        for want in ("warning: %s:8: [supervisord]: duplicate key 'nodaemon': supervisord "
                     "takes the last value, at line 9" % c.conf,
                     "warning: %s:18: [program:cat]: duplicate key 'command': supervisord "
                     "takes the last value, at line 21" % c.conf,
                     "warning: %s:20: [program:cat]: duplicate key 'startsecs': supervisord "
                     "takes the last value, at line 22" % c.conf):
            expect(want in r.err.splitlines(), "missing %r" % want, r)
        # corral's own format keeps refusing it
        own = c.path("own.conf")
        with open(own, "w") as f:
            f.write("[corral]\nlogdir = /tmp\nlogdir = /var/tmp\n")
        r = run([corrald_path(), "--check", "-c", own], timeout=10)
        expect(r.rc == 2 and "%s:3: [corral]: duplicate key 'logdir'" % own in r.err,
               "corral's format: a repeated key is an error", r)


def test_environment_names_as_supervisord():
    """%(ENV_FOO)s with FOO from [supervisord] environment (fixtures
    issue-1170a, b, c), in a program above [supervisord] too; a program's
    own environment wins for its command; the variables reach the programs."""
    def text(d):
        prog = ("command = /bin/sh -c 'echo \"%%(ENV_FOO)s\"; echo \"env=$FOO\"' @TAG@\n"
                "startsecs = 0\nstartretries = 0\nautorestart = false\n"
                "stdout_logfile = %s/%%(program_name)s.log\n" % d)
        return ("[program:above]\n" + prog + "\n"
                + head(d, "nodaemon = true\nenvironment = FOO=\"set from [supervisord] section\"\n")
                + "[program:a]\n" + prog
                + "\n[program:b]\n" + prog + "environment = FOO=\"set from [program] section\"\n"
                + "\n[eventlistener:c]\ncommand = /bin/sh -c 'echo \"%%(ENV_FOO)s\" >&2' @TAG@\n"
                  "environment = FOO=\"set from [eventlistener] section\"\n"
                  "events = PROCESS_STATE_FATAL\nstartsecs = 0\nstartretries = 0\n"
                  "autorestart = false\nstderr_logfile = %s/c.err\n" % d)
    want = {"above.log": "set from [supervisord] section\nenv=set from [supervisord] section\n",
            "a.log": "set from [supervisord] section\nenv=set from [supervisord] section\n",
            "b.log": "set from [program] section\nenv=set from [program] section\n",
            "c.err": "set from [eventlistener] section\n"}
    with Pair("fid_env", text) as pair:
        for name, text_ in want.items():
            for path in pair.both(name):
                wait_text(path, text_, name)
            sd_out, c_out = (read(p) for p in pair.both(name))
            expect(sd_out == c_out == text_, "%s: supervisord %r, corrald %r"
                   % (name, sd_out, c_out))


def test_identifier_as_supervisord():
    """getIdentification: the default, [supervisord] identifier, and -i,
    which wins over it (fixtures issue-1483a, b, c)."""
    cases = (("", (), "supervisor"),
             ("identifier = from_config_file\n", (), "from_config_file"),
             ("identifier = from_config_file\n", ("-i", "from_command_line"), "from_command_line"),
             ("", ("--identifier", "long_option"), "long_option"))
    for extra, args, want in cases:
        with Pair("fid_ident", lambda d: head(d, "nodaemon = true\n" + extra),
                  sd_args=args, corrald_args=args) as pair:
            got = [unix_rpc(p).supervisor.getIdentification() for p in pair.both("sd.sock")]
            expect(got == [want, want], "%s %s: supervisord, corrald answer %r, not %r"
                   % (extra.strip(), " ".join(args), got, want))


def check_socket_rule(conf):
    """corrald --check -v's control socket and the line that says why."""
    r = run([corrald_path(), "--check", "-v", "-c", conf], timeout=10)
    expect(r.rc == 0, "--check -v exits %s" % r.rc, r)
    lines = r.out.splitlines()
    sock = [l.split(" = ", 1)[1] for l in lines if l.startswith("socket = ")]
    why = [l for l in lines if l.startswith("; socket: ")]
    expect(len(sock) == 1 and len(why) == 1, "--check -v: one socket and its rule", r)
    return sock[0], why[0]


def test_socket_default_per_config():
    """Two supervisord configs without socket = run side by side, each
    with a control socket of its own, and corralctl -c finds each; one
    without [unix_http_server] gets one named after the file."""
    def text(name):
        return lambda d: head(d, "nodaemon = true\n") + (
            "[program:%s]\ncommand = %s\nstartsecs = 0\n" % (name, SLEEP))
    with Corral(start=False, name="fid_sock1") as c1, Corral(start=False, name="fid_sock2") as c2:
        for c, name in ((c1, "one"), (c2, "two")):
            c.write_config(text(name)(c.tmp), raw=True)
            sock, why = check_socket_rule(c.conf)
            expect(sock == c.path("sd.sock.corral"), "%s: socket %s" % (name, sock))
            expect(why == "; socket: a supervisord config's default: [unix_http_server] file "
                   "+ \".corral\"", "the rule: %r" % why)
            c.sock = sock
            c.start()
        for c, name, other in ((c1, "one", "two"), (c2, "two", "one")):
            r = run([corralctl_path(), "-c", c.conf, "status"], env={"PATH": "/usr/bin:/bin"})
            expect(r.rc == 0 and name in r.out and other not in r.out,
                   "corralctl -c %s status" % c.conf, r)
            r = run([corralctl_path(), "-c", c.conf, "pid"])
            expect(r.rc == 0 and r.out.strip() == str(c.pid), "corralctl -c pid", r, c.pid)
    # without [unix_http_server]: /run/corral/supervisord-HASH.sock, made in
    # a mount namespace of corrald's own, with an empty /run, so that the
    # machine's /run is left alone; corralctl runs in it too (nsenter), and
    # the harness reaches the socket through /proc/PID/root.
    private_run = ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                   'mount -t tmpfs none /run || exit 99; exec "$@"', "sh"]
    with Corral(start=False, name="fid_sock3", wrap=private_run) as c:
        c.write_config("[supervisord]\nnodaemon = true\nchildlogdir = @LOG@\n\n"
                       "[program:three]\ncommand = %s\nstartsecs = 0\n" % SLEEP,
                       raw=True)
        sock, why = check_socket_rule(c.conf)
        expect(re.match(r"^/run/corral/supervisord-[0-9a-f]{16}\.sock$", sock),
               "socket %s" % sock)
        expect(why.startswith("; socket: a supervisord config's default: /run/corral/"
                              "supervisord-HASH.sock"), "the rule: %r" % why)
        c.start(wait=False)
        c.sock = "/proc/%d/root%s" % (c.pid, sock)
        c.wait_ready()
        r = run(["nsenter", "--target", str(c.pid), "--mount", corralctl_path(), "-c", c.conf,
                 "pid"])
        expect(r.rc == 0 and r.out.strip() == str(c.pid), "corralctl -c pid", r, c.pid)


def test_minfds_minprocs_as_supervisord():
    """minfds and minprocs raise the soft limits the programs get; past
    what the system allows, both refuse to start (exit 2), and corrald
    names both numbers."""
    hard_fds = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard_procs = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    minfds = min(4096, hard_fds)
    minprocs = 300 if hard_procs == resource.RLIM_INFINITY else min(300, hard_procs)
    wrap = ["prlimit", "--nofile=%d:%d" % (minfds // 2, hard_fds),
            "--nproc=%d:%s" % (minprocs // 2, "unlimited" if hard_procs == resource.RLIM_INFINITY
                              else hard_procs), "--"]

    def text(d):
        return (head(d, "nodaemon = true\nminfds = %d\nminprocs = %d\n" % (minfds, minprocs))
                + "[program:limits]\ncommand = /bin/bash -c 'ulimit -n; ulimit -u; "
                  "exec sleep 1000' @TAG@\nstartsecs = 0\nstdout_logfile = %s/limits.log\n" % d)
    with Pair("fid_limits", text, wrap=wrap) as pair:
        want = "%d\n%d\n" % (minfds, minprocs)
        for path in pair.both("limits.log"):
            wait_text(path, want, "the programs' limits")
        logs = [read(p) for p in pair.both("limits.log")]
        expect(logs == [want, want], "limits: supervisord, corrald %r, want %r" % (logs, want))
    # more file descriptors than the kernel gives anyone
    with open("/proc/sys/fs/nr_open") as f:
        too_many = max(int(f.read()), hard_fds) + 1
    with Corral(start=False, name="fid_minfds") as c:
        c.write_config(head(c.tmp, "nodaemon = true\nminfds = %d\n" % too_many), raw=True)
        sd = run([SUPERVISORD, "-n", "-c", c.conf], timeout=30)
        r = run([corrald_path(), "-n", "-c", c.conf], timeout=30)
        expect(sd.rc == 2 and "minfds" in sd.err, "supervisord refuses", sd)
        expect(r.rc == 2, "corrald exits %s, not 2 as supervisord" % r.rc, r)
        expect("minfds = %d" % too_many in r.err and "allows only %d" % hard_fds in r.err,
               "corrald's refusal names both numbers", r)
        expect(not os.path.exists(c.path("sd.sock.corral")), "corrald went on", r)


def test_silent_as_supervisord():
    """silent = true: in the foreground neither writes its log (supervisord
    to stdout, corrald to stderr); without it both do."""
    def text(silent):
        return lambda d: (head(d, "nodaemon = true\nsilent = %s\n" % silent)
                          + "[program:p]\ncommand = %s\nstartsecs = 0\n" % SLEEP)
    for silent in ("true", "false"):
        with Pair("fid_silent", text(silent)) as pair:
            c = pair.corral
            c.wait_state("p", "RUNNING")
            wait_until(lambda: "RUNNING" in run(["/usr/bin/supervisorctl", "-c", pair.sd.conf,
                                                 "status", "p"]).out, 20, "supervisord's p")
            sd_out = read(os.path.join(pair.sd.tmp, "stdout"))
            c_out = c.stderr_text()
            if silent == "true":
                expect(sd_out == "", "supervisord wrote %r" % sd_out)
                expect(c_out == "", "corrald wrote %r" % c_out)
            else:
                expect("supervisord started" in sd_out, "supervisord's log", sd_out)
                expect("started (pid %d)" % c.pid in c_out, "corrald's log", c_out)
    # what stops it still reaches the terminal
    with Corral(start=False, name="fid_silent_err") as c:
        os.makedirs(c.path("sd.sock"))
        c.write_config(head(c.tmp, "nodaemon = true\nsilent = true\n"), raw=True)
        r = run([corrald_path(), "-c", c.conf], timeout=30)
        expect(r.rc == 1 and c.path("sd.sock") in r.err, "silent: the error is written", r)


def daemon_env(tag):
    """As from a terminal: no service manager around."""
    env = dict(os.environ, CORRAL_E2E_TAG=tag)
    env.pop("NOTIFY_SOCKET", None)
    env.pop("INVOCATION_ID", None)
    return env


def detached(pid, starter):
    """PID has no controlling terminal, is not STARTER's child, and its
    stdin, stdout and stderr are /dev/null."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    fds = [os.readlink("/proc/%d/fd/%d" % (pid, fd)) for fd in (0, 1, 2)]
    return fields[4] == "0" and int(fields[1]) != starter and fds == ["/dev/null"] * 3


def test_daemonizes_as_supervisord():
    """nodaemon = false (supervisord's default), not under systemd and
    without -n: the command returns 0 once the daemon is up; the daemon
    wrote its pidfile, left the terminal, and keeps its guard; a restart
    keeps its pid. A daemon that cannot start makes the command exit 1."""
    def text(d):
        return head(d) + "[program:p]\ncommand = %s\nstartsecs = 0\n" % SLEEP
    with Corral(start=False, name="fid_daemon") as c:
        c.sock = c.path("sd.sock.corral")
        c.write_config(text(c.tmp), raw=True)
        sd_tmp = c.path("sd")
        os.makedirs(sd_tmp)
        sd_conf = os.path.join(sd_tmp, "supervisord.conf")
        with open(sd_conf, "w") as f:
            f.write(text(sd_tmp).replace("@TAG@", c.tag))
        pids = {}
        try:
            for who, argv, pidfile in (
                    ("supervisord", [SUPERVISORD, "-c", sd_conf],
                     os.path.join(sd_tmp, "supervisord.pid")),
                    ("corrald", [corrald_path(), "-c", c.conf], c.path("supervisord.pid"))):
                p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=daemon_env(c.tag), text=True)
                out, err = p.communicate(timeout=60)
                expect(p.returncode == 0 and not out, "%s exits %s" % (who, p.returncode), err)
                pid = int(wait_until(lambda: read(pidfile).strip(), 20, who + "'s pidfile"))
                pids[who] = pid
                expect(pid != p.pid and pid_alive(pid), "%s: the daemon %d is not alive" % (who, pid))
                wait_until(lambda: detached(pid, p.pid), 10, who + " detached from the terminal")
            wait_until(lambda: "RUNNING" in run(["/usr/bin/supervisorctl", "-c", sd_conf,
                                                 "status", "p"]).out, 20, "supervisord's p")
            expect(c.ctl("pid").out.strip() == str(pids["corrald"]), "corralctl pid")
            st = c.wait_state("p", "RUNNING")
            # supervisord's restart: the same process, still in the background
            unix_rpc(c.path("sd.sock")).supervisor.restart()
            wait_until(lambda: "--nodaemon" in proc_cmdline(pids["corrald"]), 20,
                       "corrald to execute itself again")
            # exec'd is not yet listening: its control socket, then its programs
            wait_until(lambda: c.ctl("pid").rc == 0, 20, "the restarted corrald to answer")
            st = c.wait_state("p", "RUNNING", timeout=20)
            expect(c.ctl("pid").out.strip() == str(pids["corrald"]) and
                   read(c.path("supervisord.pid")).strip() == str(pids["corrald"]),
                   "the restarted daemon has another pid")
            expect(detached(pids["corrald"], 0), "restarted daemon: its stdio")
            # the guard still stands behind the daemon
            if st["scope"] == "cgroup":
                os.kill(pids["corrald"], signal.SIGKILL)
                wait_until(lambda: not pid_alive(st["pid"]), 20,
                           "the guard to kill p once the daemon is killed")
            else:
                os.kill(pids["corrald"], signal.SIGTERM)
                wait_until(lambda: not pid_alive(st["pid"]), 20, "p to stop with corrald")
            wait_until(lambda: proc_stat(pids["corrald"]) is None, 20, "the daemon to be gone")
        finally:
            for pid in pids.values():
                if pid_alive(pid):
                    os.kill(pid, signal.SIGTERM)
            for pid in pids.values():
                wait_until(lambda: proc_stat(pid) is None or proc_stat(pid)[0] == "Z", 30,
                           "daemon %d to exit" % pid)
    # a daemon that does not get up: the command says why and exits 1
    with Corral(start=False, name="fid_daemon_fail") as c:
        c.write_config(text(c.tmp), raw=True)
        with open(c.path("sd.sock"), "w") as f:
            f.write("not a socket\n")
        r = run([corrald_path(), "-c", c.conf], timeout=60, env=daemon_env(c.tag))
        expect(r.rc == 1 and c.path("sd.sock") in r.err, "a failed daemon: exit 1 and why", r)
        expect(not os.path.exists(c.path("supervisord.pid")), "a failed daemon: its pidfile")


def test_migrate_carries_supervisord_keys():
    """corralctl migrate keeps what a supervisord config gets from these
    keys and defaults: corrald --check -v reads the same values."""
    with Corral(start=False, name="fid_migrate") as c:
        src = c.path("supervisord.conf")
        with open(src, "w") as f:
            f.write(head(c.tmp, "nodaemon = true\nnodaemon = false\nidentifier = here\n"
                               "minfds = 2048\nsilent = true\n"
                               "environment = FOO=\"from supervisord\"\n")
                    + "[program:p]\ncommand = /bin/echo %(ENV_FOO)s\ncommand = /bin/echo "
                      "again %(ENV_FOO)s\n")
        dst, text = migrate_and_compare(c, src, "fidelity")
        lines = text.split("\n")
        for want in ("# nodaemon = true  ; set again below: supervisord takes the last value",
                     "nodaemon = false", "identifier = here", "minfds = 2048", "minprocs = 200",
                     "silent = true", "socket = %s" % c.path("sd.sock.corral"),
                     "command = /bin/echo again from supervisord"):
            expect(want in lines, "migrated: missing %r" % want, text)
