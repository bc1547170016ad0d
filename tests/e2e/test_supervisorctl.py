"""Debian's stock supervisorctl drives corrald over supervisord's XML-RPC
interface, and prints what it prints against supervisord itself.

The same config runs under the real supervisord (Debian's package, started
and stopped here by PID) and under corrald; the same supervisorctl commands
go to both and their output and exit codes, with pids, uptimes and dates
masked, must be equal. Other tests drive the XML-RPC interface directly
(auth, faults, multicall, limits on requests)."""

import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client

from harness import Corral, PY, expect, free_port, run, tagged_pids, unix_rpc, wait_until

SUPERVISORD = "/usr/bin/supervisord"
SUPERVISORCTL = "/usr/bin/supervisorctl"

PROGRAMS = """
[program:web]
command = /bin/sh -c 'echo ready-web; trap "echo got-hup" HUP; while :; do sleep 0.1; done' @TAG@
startsecs = 1
stopwaitsecs = 5

[program:worker]
command = /bin/sh -c 'exec /bin/sleep 1000' @TAG@
numprocs = 2
process_name = %(program_name)s_%(process_num)02d
startsecs = 1

[program:crash]
command = /bin/sh -c 'echo crashing; exit 3' @TAG@
autostart = false
startsecs = 1
startretries = 0

[program:nofile]
command = /nonexistent/command @TAG@
autostart = false

[program:a]
command = /bin/sh -c 'exec /bin/sleep 1001' @TAG@
startsecs = 1

[program:b]
command = /bin/sh -c 'exec /bin/sleep 1002' @TAG@
startsecs = 1

[group:grp]
programs = a,b
"""


def config_text(tmp, logdir, extra_corral=""):
    return ("[unix_http_server]\nfile = %s/sd.sock\nchmod = 0700\n\n"
            "[supervisord]\nlogfile = %s/supervisord.log\npidfile = %s/supervisord.pid\n"
            "childlogdir = %s\nnodaemon = true\n%s\n"
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            "[supervisorctl]\nserverurl = unix://%s/sd.sock\n"
            % (tmp, tmp, tmp, logdir, extra_corral, tmp))


MASKS = [
    (re.compile(r"pid \d+, uptime (\d+ days?, )?\d+:\d\d:\d\d"), "pid N, uptime T"),
    (re.compile(r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M"), "DATE"),
    (re.compile(r"^\d+$", re.M), "N"),
]


def mask(text):
    for rx, rep in MASKS:
        text = rx.sub(rep, text)
    return text


class Supervisord:
    """The real supervisord on the same programs, in its own temp dir."""

    def __init__(self, tag, args=(), wrap=()):
        self.tag = tag
        self.args = list(args)   # after -c CONFIG
        self.wrap = list(wrap)   # argv before supervisord's (it must exec it)
        self.tmp = tempfile.mkdtemp(prefix="corral-e2e-sd-")
        self.logdir = os.path.join(self.tmp, "log")
        os.makedirs(self.logdir)
        self.conf = os.path.join(self.tmp, "supervisord.conf")
        self.proc = None

    def write(self, programs):
        with open(self.conf, "w") as f:
            f.write(config_text(self.tmp, self.logdir) + programs.replace("@TAG@", self.tag))

    def start(self):
        env = dict(os.environ)
        env["CORRAL_E2E_TAG"] = self.tag
        self.out = open(os.path.join(self.tmp, "stdout"), "wb")
        self.proc = subprocess.Popen(self.wrap + [SUPERVISORD, "-n", "-c", self.conf] + self.args,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=self.out, env=env,
                                     start_new_session=True)
        wait_until(lambda: os.path.exists(os.path.join(self.tmp, "sd.sock")), 15,
                   "supervisord's socket")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pid in tagged_pids(self.tag):  # its children, by PID, if any survived it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if getattr(self, "out", None):
            self.out.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def ctl(conf, *args, timeout=30):
    return run([SUPERVISORCTL, "-c", conf] + list(args), timeout=timeout)


def settled(conf):
    r = ctl(conf, "status")
    return r.out and not re.search(r"\b(STARTING|STOPPING|BACKOFF)\b", r.out)


def test_supervisorctl_output_matches_supervisord():
    """status, start, stop, restart, signal, pid, tail, clear, avail, reread,
    update, shutdown: the same words and exit codes as with supervisord."""
    tag_sd = "corral-e2e-sdref-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd = Supervisord(tag_sd)
    try:
        with Corral(start=False, name="sdctl") as c:
            corral_conf = config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + PROGRAMS
            c.write_config(corral_conf, raw=True)
            sd.write(PROGRAMS)
            sd.start()
            c.start()
            confs = {"supervisord": sd.conf, "corral": c.conf}
            for who, conf in confs.items():
                wait_until(lambda conf=conf: settled(conf), 20, "%s settles" % who)

            transcript = {who: [] for who in confs}

            def both(*args, settle=True, unordered=False):
                """UNORDERED: a group's results, listed as each process gets
                there (by both supervisors), so compared as a set of lines."""
                outs = {}
                for who, conf in confs.items():
                    r = ctl(conf, *args)
                    text = mask(r.out + r.err)
                    if unordered:
                        text = "\n".join(sorted(text.splitlines()))
                    outs[who] = (r.rc, text)
                    transcript[who].append("$ supervisorctl %s -> %d\n%s" % (" ".join(args), r.rc,
                                                                           outs[who][1]))
                    if settle:
                        wait_until(lambda conf=conf: settled(conf), 20, "%s settles" % who)
                expect(outs["corral"] == outs["supervisord"],
                       "supervisorctl %s differs:\n--- supervisord:\n%s\n--- corral:\n%s"
                       % (" ".join(args), "\n".join(transcript["supervisord"][-1:]),
                          "\n".join(transcript["corral"][-1:])))
                return outs["corral"]

            rc, out = both("status")
            expect(rc == 3 and "web                              RUNNING   pid N, uptime T" in out,
                   "status lists web RUNNING: %r" % out)
            expect("grp:a" in out and "worker:worker_01" in out, "group names in status: %r" % out)
            both("pid")
            both("pid", "web")
            both("pid", "nosuch")
            both("stop", "web")
            both("status", "web")
            both("start", "web")
            both("start", "web")               # already started
            both("restart", "worker:*", unordered=True)
            both("stop", "grp:*", unordered=True)
            both("start", "grp:a", "grp:b")
            both("start", "crash")             # abnormal termination, then FATAL
            both("status", "crash")
            both("start", "nofile")            # no such file
            both("stop", "nosuch")
            both("start", "worker")            # a group needs worker:*
            both("signal", "HUP", "web")
            both("signal", "BOGUS", "web")
            both("signal", "HUP", "crash")     # not running
            for who, conf in confs.items():    # web writes "got-hup" when its shell gets to it
                wait_until(lambda conf=conf: "got-hup" in ctl(conf, "tail", "web").out, 30,
                           "%s's web to log got-hup" % who)
            rc, out = both("tail", "web")
            expect("ready-web" in out and "got-hup" in out, "tail web shows its output: %r" % out)
            both("tail", "web", "stderr")
            both("tail", "-5", "crash")
            both("clear", "web")
            both("tail", "web")
            both("avail")
            both("reread")
            for conf, progs in ((sd.conf, None), (c.conf, None)):
                with open(conf) as f:
                    text = f.read()
                text = text.replace("/bin/sleep 1000'", "/bin/sleep 1003'")
                text += "\n[program:extra]\ncommand = /bin/sh -c 'exec /bin/sleep 1004' %s\nstartsecs = 0\n" % (
                    tag_sd if conf == sd.conf else c.tag)
                with open(conf, "w") as f:
                    f.write(text)
            both("reread")
            both("avail")
            both("update")
            both("status")
            both("update")                     # nothing left to do
            rc, out = both("shutdown", settle=False)
            expect(out.strip() == "Shut down", "shutdown says %r" % out)
            for who, wait in (("supervisord", lambda: sd.proc.poll() is not None),
                              ("corral", lambda: c.proc.poll() is not None)):
                wait_until(wait, 20, "%s to exit after shutdown" % who)
            c.exit_code = c.proc.returncode
            expect(c.exit_code == 0, "corrald exited %s after shutdown" % c.exit_code)
            r = ctl(c.conf, "status")
            expect(r.rc != 0 and "no such file" in r.out + r.err,
                   "supervisorctl still reaches a corrald that shut down: %r" % r.out)
    finally:
        sd.stop()
# About 60 supervisorctl runs, each a Python start-up: minutes on a busy machine.
test_supervisorctl_output_matches_supervisord.timeout = 300


def test_tail_f_follows_through_logtail():
    """supervisorctl tail -f reads GET /logtail/NAME: what is there, then what comes."""
    script = ("import time\nprint('first', flush=True)\ntime.sleep(1.5)\n"
              "print('second', flush=True)\ntime.sleep(1000)\n")
    progs = "[program:talker]\ncommand = %s @DIR@/talker.py @TAG@\nstartsecs = 0\n" % PY
    with Corral(start=False, name="tailf", scripts={"talker.py": script}) as c:
        c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + progs, raw=True)
        c.start()
        c.wait_state("talker", "RUNNING")
        wait_until(lambda: "first" in (c.read(c.log("talker")) or ""), 5, "first line logged")
        p = subprocess.Popen([SUPERVISORCTL, "-c", c.conf, "tail", "-f", "talker"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out = b""
            deadline = time.monotonic() + 10
            os.set_blocking(p.stdout.fileno(), False)
            while b"second" not in out and time.monotonic() < deadline:
                time.sleep(0.1)
                chunk = p.stdout.read()
                if chunk:
                    out += chunk
        finally:
            p.kill()  # by its PID: supervisorctl only stops on Ctrl-C
            p.wait(5)
        text = out.decode(errors="replace")
        expect("==> Press Ctrl-C to exit <==" in text and "first" in text and "second" in text,
               "tail -f output: %r" % text)


def rpc(c, auth=None):
    return unix_rpc(os.path.join(c.tmp, "sd.sock"), auth)


def fault_code(call):
    try:
        call()
    except xmlrpc.client.Fault as f:
        return f.faultCode
    return None


def test_xmlrpc_methods_and_faults():
    progs = ("[program:one]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\nstartsecs = 0\n"
             "[program:two]\ncommand = /bin/sh -c 'echo out-two; echo err-two >&2; "
             "exec sleep 1000' @TAG@\nstartsecs = 0\n")
    with Corral(start=False, name="xmlrpc") as c:
        c.write_config(config_text(c.tmp, c.logdir, "socket = %s\nidentifier = corral-test\n"
                                   % c.sock) + progs, raw=True)
        c.start()
        c.wait_running(["one", "two"])
        s = rpc(c)
        expect(s.supervisor.getAPIVersion() == "3.0", "getAPIVersion")
        expect(s.supervisor.getVersion() == "3.0", "getVersion")
        expect(s.supervisor.getIdentification() == "corral-test", "getIdentification")
        expect(s.supervisor.getState() == {"statecode": 1, "statename": "RUNNING"}, "getState")
        expect(s.supervisor.getPID() == c.proc.pid, "getPID is corrald's pid")
        info = s.supervisor.getProcessInfo("one")
        for k in ("name", "group", "start", "stop", "now", "state", "statename", "spawnerr",
                  "exitstatus", "logfile", "stdout_logfile", "stderr_logfile", "pid",
                  "description"):
            expect(k in info, "getProcessInfo lacks %s: %r" % (k, info))
        expect(info["state"] == 20 and info["statename"] == "RUNNING" and info["pid"] > 0,
               "getProcessInfo one: %r" % info)
        c.track(info["pid"])
        expect(len(s.supervisor.getAllProcessInfo()) == 2, "getAllProcessInfo")
        expect(fault_code(lambda: s.supervisor.getProcessInfo("nosuch")) == 10, "BAD_NAME")
        expect(fault_code(lambda: s.supervisor.startProcess("one")) == 60, "ALREADY_STARTED")
        expect(fault_code(lambda: s.supervisor.noSuchMethod()) == 1, "UNKNOWN_METHOD")
        expect(fault_code(lambda: s.supervisor.getProcessInfo(1, 2)) == 2,
               "INCORRECT_PARAMETERS")
        expect(fault_code(lambda: s.supervisor.signalProcess("one", "NOPE")) == 11, "BAD_SIGNAL")
        expect("corrald info: spawned: 'one'" in s.supervisor.readLog(0, 0),
               "readLog: corrald's log file, [supervisord] logfile")
        expect(s.supervisor.stopProcess("one") is True, "stopProcess waits and answers True")
        expect(s.supervisor.getProcessInfo("one")["statename"] == "STOPPED", "one stopped")
        expect(fault_code(lambda: s.supervisor.stopProcess("one")) == 70, "NOT_RUNNING")
        expect(s.supervisor.startProcess("one", False) is True, "startProcess without waiting")
        c.wait_state("one", "RUNNING")
        wait_until(lambda: "err-two" in s.supervisor.readProcessStderrLog("two", 0, 0), 5,
                   "readProcessStderrLog")
        out = s.supervisor.readProcessStdoutLog("two", -100, 0)
        expect(out == "out-two\n", "readProcessStdoutLog from the end: %r" % out)
        data, offset, overflow = s.supervisor.tailProcessStdoutLog("two", 0, 3)
        expect((data, offset, overflow) == ("wo\n", 8, True), "tailProcessStdoutLog: %r" % (
               [data, offset, overflow],))
        expect(fault_code(lambda: s.supervisor.readProcessStdoutLog("two", -1, 5)) == 3,
               "BAD_ARGUMENTS")
        res = s.system.multicall([{"methodName": "supervisor.getAPIVersion", "params": []},
                                  {"methodName": "supervisor.getProcessInfo", "params": ["x"]}])
        expect(res[0] == "3.0" and res[1]["faultCode"] == 10, "multicall: %r" % res)
        methods = s.system.listMethods()
        for m in ("supervisor.tailProcessStderrLog", "system.multicall", "supervisor.reloadConfig",
                  "supervisor.clearAllProcessLogs", "supervisor.signalAllProcesses"):
            expect(m in methods, "listMethods lacks %s" % m)
        expect(s.system.methodSignature("supervisor.getProcessInfo") == ["struct", "string"],
               "methodSignature")
        expect(s.system.methodHelp("supervisor.getPID"), "methodHelp")
        res = s.supervisor.signalAllProcesses("CONT")
        expect(sorted(r["name"] for r in res) == ["one", "two"] and
               all(r["status"] == 80 for r in res), "signalAllProcesses: %r" % res)
        res = s.supervisor.stopAllProcesses()
        expect(sorted(r["name"] for r in res) == ["one", "two"] and
               all(r["description"] == "OK" for r in res), "stopAllProcesses: %r" % res)
        res = s.supervisor.startAllProcesses()
        expect(len(res) == 2 and all(r["status"] == 80 for r in res), "startAllProcesses: %r" % res)
        c.status()  # track the new pids


def test_xmlrpc_auth_and_bad_requests():
    """Basic auth when a username is set; malformed, huge and slow requests
    get an HTTP error or are dropped, and corrald keeps answering."""
    progs = "[program:one]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\nstartsecs = 0\n"
    text = ("[unix_http_server]\nfile = @DIR@/sd.sock\nusername = alice\npassword = s3cret\n\n"
            "[inet_http_server]\nport = 127.0.0.1:0\nusername = bob\n"
            "password = {SHA}%s\n\n"
            "[supervisord]\nchildlogdir = @LOG@\nsocket = @DIR@/run/corral.sock\n\n"
            % hashlib.sha1(b"pw2").hexdigest().upper()) + progs
    with Corral(start=False, name="rpcauth") as c:
        c.write_config(text.replace("127.0.0.1:0", "127.0.0.1:%d" % free_port()), raw=True)
        c.start()
        c.wait_running(["one"])
        expect(fault_code(lambda: None) is None, "sanity")
        try:
            rpc(c).supervisor.getPID()
            expect(False, "a call without credentials was answered")
        except xmlrpc.client.ProtocolError as e:
            expect(e.errcode == 401, "no credentials: HTTP %s" % e.errcode)
        try:
            rpc(c, ("alice", "wrong")).supervisor.getPID()
            expect(False, "a call with a wrong password was answered")
        except xmlrpc.client.ProtocolError as e:
            expect(e.errcode == 401, "wrong password: HTTP %s" % e.errcode)
        expect(rpc(c, ("alice", "s3cret")).supervisor.getPID() == c.proc.pid, "right password")
        # each server its own credentials; a {SHA} password is the SHA-1 of it
        port = int(re.search(r"127\.0\.0\.1:(\d+)", c.read(c.conf)).group(1))
        for auth, ok in ((("bob", "pw2"), True), (("bob", "wrong"), False),
                         (("alice", "s3cret"), False), (None, False)):
            url = "http://%s127.0.0.1:%d/RPC2" % ("%s:%s@" % auth if auth else "", port)
            try:
                got = xmlrpc.client.ServerProxy(url).supervisor.getPID() == c.proc.pid
            except xmlrpc.client.ProtocolError as e:
                got = e.errcode != 401
            expect(got == ok, "inet_http_server with %s: %s" % (auth, "refused" if ok else
                                                                  "answered"))
        r = run([SUPERVISORCTL, "-s", "unix://%s" % c.path("sd.sock"), "-u", "alice", "-p",
                 "s3cret", "status", "one"])
        expect(r.rc == 0 and "RUNNING" in r.out, "supervisorctl with -u/-p: %r" % r.out)

        def raw(data, wait=2.0):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(wait)
            s.connect(c.path("sd.sock"))
            s.sendall(data)
            got = b""
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            except socket.timeout:
                pass
            s.close()
            return got
        auth = b"Authorization: Basic " + base64.b64encode(b"alice:s3cret") + b"\r\n"
        expect(raw(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400"), "garbage: 400")
        big = b"POST /RPC2 HTTP/1.1\r\n" + auth + b"Content-Length: 99999999\r\n\r\n"
        expect(raw(big).startswith(b"HTTP/1.1 413"), "a huge body is refused with 413")
        bad_xml = b"<methodCall><methodName>x</methodName><params><param>"
        req = (b"POST /RPC2 HTTP/1.1\r\n" + auth + b"Content-Length: %d\r\n\r\n" % len(bad_xml)
               + bad_xml)
        got = raw(req)
        expect(got.startswith(b"HTTP/1.1 400"), "malformed XML: 400, as supervisord: %r"
               % got[:300])
        ent = (b"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a 'aaaa'>]><methodCall>"
               b"<methodName>&a;</methodName></methodCall>")
        got = raw(b"POST /RPC2 HTTP/1.1\r\n" + auth + b"Content-Length: %d\r\n\r\n" % len(ent)
                  + ent)
        expect(got.startswith(b"HTTP/1.1 400"), "a DOCTYPE is refused: %r" % got[:300])
        expect(raw(b"GET /nothing HTTP/1.1\r\n" + auth + b"\r\n", 1).startswith(b"HTTP/1.1 404"),
               "unknown path: 404")
        # numbers at the ends of 64 bits (Python's client cannot even send them)
        for method, off, length in (("readProcessStdoutLog", -2**63, 0),
                                    ("readProcessStdoutLog", 2**63 - 1, 2**63 - 1),
                                    ("tailProcessStdoutLog", -2**63, 2**63 - 1),
                                    ("tailProcessStdoutLog", 2**63 - 1, -2**63),
                                    ("tailProcessStderrLog", 2**63 - 1, 2**63 - 1)):
            body = ("<methodCall><methodName>supervisor.%s</methodName><params>"
                    "<param><value>one</value></param><param><value><i8>%d</i8></value></param>"
                    "<param><value><i8>%d</i8></value></param></params></methodCall>"
                    % (method, off, length)).encode()
            got = raw(b"POST /RPC2 HTTP/1.1\r\n" + auth + b"Content-Length: %d\r\n\r\n"
                      % len(body) + body, 1)
            expect(got.startswith(b"HTTP/1.1 200"), "%s(%d, %d): %r" % (method, off, length,
                                                                      got[:200]))
        expect(c.proc.poll() is None, "corrald survived extreme offsets")
        # a client that sends half a request and stalls does not hold corrald
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(c.path("sd.sock"))
        slow.sendall(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 100\r\n\r\n<method")
        expect(rpc(c, ("alice", "s3cret")).supervisor.getState()["statename"] == "RUNNING",
               "corrald answers while a client stalls")
        slow.close()
        # idle kept-alive connections, more than it keeps, do not lock others out
        idle = []
        for _ in range(140):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(c.path("sd.sock"))
            idle.append(s)
        time.sleep(0.3)
        expect(rpc(c, ("alice", "s3cret")).supervisor.getPID() == c.proc.pid,
               "corrald answers with 140 idle connections open")
        for s in idle:
            s.close()
        r = c.ctl("status", "one")
        expect(r.rc == 0, "corralctl still answers: %r" % r.out)


def test_inet_http_server_needs_password_off_loopback():
    with Corral(start=False, name="rpcinet") as c:
        c.write_config("[supervisord]\nsocket = @DIR@/run/corral.sock\n"
                       "[inet_http_server]\nport = *:9001\n", raw=True)
        r = run([c.corrald_path() if hasattr(c, "corrald_path") else
                 __import__("harness").corrald_path(), "--check", "-c", c.conf])
        expect(r.rc == 2 and "%s:3: [inet_http_server]: port *:9001 is reachable" % c.conf in r.err,
               "no username/password off loopback must be an error with FILE:LINE: %r" % r.err)
        port = free_port()
        c.write_config("[supervisord]\nsocket = @DIR@/run/corral.sock\nchildlogdir = @LOG@\n"
                       "[inet_http_server]\nport = 127.0.0.1:%d\n" % port, raw=True)
        c.start()
        s = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
        expect(s.supervisor.getPID() == c.proc.pid, "inet_http_server answers on loopback")
        r = run([SUPERVISORCTL, "-s", "http://127.0.0.1:%d" % port, "pid"])
        expect(r.out.strip() == str(c.proc.pid), "supervisorctl over TCP: %r" % r.out)


def test_childutils_rpc_from_a_program():
    """A program finds corrald's server in SUPERVISOR_SERVER_URL, as
    supervisor.childutils.getRPCInterface expects."""
    script = ("import os, sys\nfrom supervisor import childutils\n"
              "rpc = childutils.getRPCInterface(os.environ)\n"
              "info = rpc.supervisor.getProcessInfo(os.environ['SUPERVISOR_PROCESS_NAME'])\n"
              "print('me', info['statename'], info['pid'] == os.getpid(), flush=True)\n"
              "import time; time.sleep(1000)\n")
    progs = "[program:self]\ncommand = %s @DIR@/me.py @TAG@\nstartsecs = 1\n" % PY
    with Corral(start=False, name="childutils", scripts={"me.py": script}) as c:
        c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + progs, raw=True)
        c.start()
        c.wait_state("self", "RUNNING")
        wait_until(lambda: "me " in (c.read(c.log("self")) or ""), 10, "the program's answer")
        out = c.read(c.log("self"))
        expect("me STARTING True" in out or "me RUNNING True" in out,
               "getProcessInfo from inside: %r %r" % (out, c.read(c.log("self", "err"))))
