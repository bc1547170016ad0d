"""corrald's XML-RPC answers are supervisord's (issue: supervisord fidelity).

The real supervisord (Debian's package) and corrald run the same config side
by side; every method of supervisord's interface (supervisor.* and system.*)
is called on both with the same arguments, good and bad, and the answers
are compared whole: values, their shape (bare values in system.multicall,
a flat system.methodSignature, per-process lists where supervisord gives
them), fault codes and fault texts. Only what must differ is masked: pids,
times, the temp dirs and test tags, and the differences corrald(8) lists
(its own help texts, its version, killasgroup, its missing main log)."""

import os
import re
import signal
import socket
import time
import xmlrpc.client

from harness import Corral, PY, expect, proc_has, run, unix_rpc, wait_until
from test_supervisorctl import SUPERVISORCTL, Supervisord, config_text

# A listener that takes every event (supervisor's protocol, by hand).
LISTENER = r'''
import sys
while True:
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        break
    h = dict(x.split(":", 1) for x in line.split())
    sys.stdin.read(int(h["len"]))
    sys.stdout.write("RESULT 2\nOK")
    sys.stdout.flush()
'''

PROGRAMS = r"""
[program:one]
command = /bin/sh -c 'echo out-one; echo err-one >&2; exec /bin/sleep 1000' @TAG@
startsecs = 0
stdout_logfile = @DIR@/one.out
stderr_logfile = @DIR@/one.err

[program:two]
command = /bin/sh -c 'exec /bin/sleep 1000' @TAG@
startsecs = 0
numprocs = 2
process_name = %(program_name)s_%(process_num)d
priority = 50
stdout_capture_maxbytes = 1KB
stderr_events_enabled = true
stdout_logfile = @DIR@/two_%(process_num)d.out
stderr_logfile = NONE
stdout_logfile_maxbytes = 1MB
stdout_logfile_backups = 3
stopsignal = INT
exitcodes = 0,2
directory = /tmp
stopasgroup = true
killasgroup = true

[program:plain]
command = /bin/sh -c 'echo plain-out; exec /bin/sleep 1000' @TAG@
startsecs = 0

[program:idle]
command = /bin/sh -c 'exec /bin/sleep 1000' @TAG@
autostart = false
startsecs = 0
redirect_stderr = true
stdout_logfile = @DIR@/idle.out

[program:crash]
command = /bin/sh -c 'echo crashing; exit 3' @TAG@
autostart = false
startsecs = 1
startretries = 0
stdout_logfile = @DIR@/crash.out
stderr_logfile = @DIR@/crash.err

[program:stubborn]
command = /bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done' @TAG@
startsecs = 0
stopwaitsecs = 600
autorestart = false
priority = 1
stdout_logfile = @DIR@/stubborn.out
stderr_logfile = @DIR@/stubborn.err

[program:a]
command = /bin/sh -c 'exec /bin/sleep 1001' @TAG@
startsecs = 0
priority = 100
stdout_logfile = @DIR@/a.out
stderr_logfile = @DIR@/a.err

[program:b]
command = /bin/sh -c 'exec /bin/sleep 1002' @TAG@
startsecs = 0
stdout_logfile = @DIR@/b.out
stderr_logfile = @DIR@/b.err

[group:grp]
programs = a,b
priority = 5

[eventlistener:ears]
command = @PY@ @DIR@/listener.py @TAG@
events = PROCESS_STATE
stdout_logfile = @DIR@/ears.out
stderr_logfile = @DIR@/ears.err
"""

EXTRA = r"""
[program:extra]
command = /bin/sh -c 'exec /bin/sleep 1003' @TAG@
startsecs = 0
autostart = false
"""

TAG_RX = re.compile(r"corral-e2e-[\w-]+")
# AUTO log files: each names its own (supervisord: NAME-stdout---supervisor-RANDOM.log)
AUTOLOG_RX = {"supervisord": re.compile(r"^@DIR@/log/(\w+)-(stdout|stderr)---supervisor-\w+\.log$"),
              "corral": re.compile(r"^@DIR@/log/(\w+)\.(out|err)$")}
TIMES = ("start", "stop", "now")
UPTIME_RX = re.compile(r"^pid \d+, uptime (\d+ days?, )?\d+:\d\d:\d\d$")
DATE_RX = re.compile(r"^[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M$")


def difference(ref, got, where=""):
    """Where GOT differs from REF, line by line: the items of two lists of
    one length, the members of two structs; else the two whole."""
    if isinstance(ref, list) and isinstance(got, list) and len(ref) == len(got):
        return "\n".join(difference(r, g, "%s[%d]" % (where, i))
                         for i, (r, g) in enumerate(zip(ref, got)) if r != g)
    if isinstance(ref, dict) and isinstance(got, dict):
        return "\n".join("  %s[%r]: supervisord %r, corral %r"
                         % (where, k, ref.get(k, "(none)"), got.get(k, "(none)"))
                         for k in list(ref) + [k for k in got if k not in ref]
                         if ref.get(k, "(none)") != got.get(k, "(none)"))
    return "  %s supervisord: %r\n  %s corral:      %r" % (where, ref, where, got)


class Pair:
    """supervisord and corrald on the same programs, and a record of
    every answer that differs."""

    def __init__(self, sd, c):
        self.sd, self.c = sd, c
        self.rpc = {"supervisord": unix_rpc(os.path.join(sd.tmp, "sd.sock")),
                    "corral": unix_rpc(os.path.join(c.tmp, "sd.sock"))}
        self.dirs = {"supervisord": sd.tmp, "corral": c.tmp}
        self.diffs = []
        self.calls = 0

    def call(self, who, method, *args):
        f = self.rpc[who]
        for part in method.split("."):
            f = getattr(f, part)
        try:
            return f(*args)
        except xmlrpc.client.Fault as e:
            return {"FAULT": e.faultCode, "text": e.faultString}
        except xmlrpc.client.ProtocolError as e:
            return {"HTTP": e.errcode}

    def norm(self, who, v):
        """V with what must differ masked: paths, tags, pids, times."""
        if isinstance(v, str):
            v = v.replace(self.dirs[who], "@DIR@")
            v = TAG_RX.sub("@TAG@", v)
            m = AUTOLOG_RX[who].match(v)
            if m:
                return "AUTO %s %s" % (m.group(1), "stderr" if m.group(2).endswith("err")
                                       else "stdout")
            if UPTIME_RX.match(v):
                return "pid N, uptime T"
            if DATE_RX.match(v):
                return "DATE"
            return v
        if isinstance(v, list):
            return [self.norm(who, x) for x in v]
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k in TIMES and isinstance(x, int):
                    x = "T" if x else 0
                elif k == "pid" and isinstance(x, int):
                    x = "N" if x else 0
                out[k] = self.norm(who, x)
            return out
        return v

    def both(self, method, *args, fix=None):
        """Call METHOD on both; the normalized answers (FIX, if given,
        rewrites each before they are compared). Records a difference."""
        got = {}
        for who in ("supervisord", "corral"):
            v = self.norm(who, self.call(who, method, *args))
            got[who] = fix(v) if fix else v
        self.calls += 1
        if got["supervisord"] != got["corral"]:
            self.diffs.append("%s%r:\n%s" % (method, args, difference(got["supervisord"],
                                                                      got["corral"])))
        return got["corral"], got["supervisord"]

    def check(self, cond, msg):
        """A difference that is not one answer's: recorded, not raised, so
        that a run lists every one."""
        if not cond:
            self.diffs.append(msg)

    def wait_states(self, want, timeout=20):
        """Wait until getProcessInfo says the state WANT maps names to, on both."""
        for who in ("supervisord", "corral"):
            def ok(who=who):
                return all(self.call(who, "supervisor.getProcessInfo", n).get("statename") == s
                           for n, s in want.items())
            wait_until(ok, timeout, lambda who=who: "%s: %s" % (who, want))

    def http_status(self, who, body):
        """The HTTP status of a POST /RPC2 with BODY, sent as it is."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(os.path.join(self.dirs[who], "sd.sock"))
            s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            got = b""
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        finally:
            s.close()
        m = re.match(rb"HTTP/1\.[01] (\d+)", got)
        return int(m.group(1)) if m else got[:100]

    def report(self):
        expect(not self.diffs, "%d of %d answers differ from supervisord's:\n%s"
               % (len(self.diffs), self.calls, "\n".join(self.diffs)))


def write_sd_config(sd, programs):
    text = (config_text(sd.tmp, sd.logdir) + programs).replace("@TAG@", sd.tag)
    with open(sd.conf, "w") as f:
        f.write(text.replace("@DIR@", sd.tmp).replace("@PY@", PY))


def by_name(v):
    """A group call's results, listed as each process gets there: sorted."""
    if isinstance(v, list):
        return sorted(v, key=lambda r: (r.get("group", ""), r.get("name", ""))
                      if isinstance(r, dict) else ("", ""))
    return v


def codes(v):
    """Fault texts that are corral's own words: the code and fault name only."""
    if isinstance(v, dict) and "FAULT" in v:
        return {"FAULT": v["FAULT"], "text": v["text"].split(":")[0]}
    if isinstance(v, dict) and "faultCode" in v:
        return {"faultCode": v["faultCode"], "faultString": v["faultString"].split(":")[0]}
    if isinstance(v, list):
        return [codes(x) for x in v]
    return v


def kill_stubborn(stubborn):
    """stubborn ignores SIGTERM for 600 s: after a failure it is killed
    first, by its pid (still its own: it still has its tag), so that the
    supervisors' teardown need not wait for it (it is not restarted)."""
    for pid, tag in stubborn:
        if proc_has(pid, tag):
            os.kill(pid, signal.SIGKILL)


def test_xmlrpc_answers_match_supervisord():
    tag_sd = "corral-e2e-fidelity-sd-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd = Supervisord(tag_sd)
    stubborn = []  # (pid, tag)
    try:
        with Corral(start=False, name="fidelity", scripts={"listener.py": LISTENER}) as c:
            try:
                compare_all(sd, c, stubborn)
            finally:
                kill_stubborn(stubborn)
    finally:
        kill_stubborn(stubborn)
        sd.stop()
test_xmlrpc_answers_match_supervisord.timeout = 300


def compare_all(sd, c, stubborn):
    c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + PROGRAMS, raw=True)
    with open(os.path.join(sd.tmp, "listener.py"), "w") as f:
        f.write(LISTENER)
    write_sd_config(sd, PROGRAMS)
    sd.start()
    c.start()
    t = Pair(sd, c)
    running = {n: "RUNNING" for n in ("one", "two:two_0", "two:two_1", "stubborn", "grp:a",
                                     "grp:b", "ears", "plain")}
    t.wait_states(running)
    for who in ("supervisord", "corral"):
        stubborn.append((t.call(who, "supervisor.getProcessInfo", "stubborn")["pid"],
                         sd.tag if who == "supervisord" else c.tag))
    for who in ("supervisord", "corral"):
        wait_until(lambda who=who: "err-one" in str(t.call(
            who, "supervisor.readProcessStderrLog", "one", 0, 0)), 10,
            "%s: one's output in its logs" % who)
    check_system(t)
    check_not_calls(t)
    check_info(t)
    check_config_info(t)
    check_logs(t)
    check_main_log(t, sd, c)
    check_signals(t)
    check_conversions(t)
    check_start_stop(t)
    check_multicall(t)
    check_stdin_and_events(t)
    check_reload(t, sd, c)
    check_shutdown(t, sd, c, stubborn)
    t.report()


def check_system(t):
    _, sd_methods = t.both("system.listMethods")
    for m in sd_methods:
        # [return type, argument types...]: one flat list
        t.both("system.methodSignature", m)
        # the help texts are corral's own words: a string for each
        for who in ("supervisord", "corral"):
            h = t.call(who, "system.methodHelp", m)
            expect(isinstance(h, str) and h.strip(), "%s: methodHelp(%s): %r" % (who, m, h))
    t.both("system.methodSignature", "supervisor.nosuch")
    t.both("system.methodHelp", "supervisor.nosuch")
    t.both("system.methodSignature", 5)
    t.both("system.methodHelp", ["supervisor.getPID"])
    t.both("system.methodSignature")
    t.both("system.listMethods", 1)
    t.both("supervisor.nosuch")
    t.both("nosuch.getPID")
    t.both("supervisor._update", "x")
    t.both("supervisor.getPID.x")
    for m in ("getAPIVersion", "getVersion", "getIdentification", "getState"):
        t.both("supervisor." + m)
    t.both("supervisor.getAPIVersion", 1)
    # corrald says which supervisord it answers as, and what it is
    v = t.call("corral", "supervisor.getSupervisorVersion")
    expect(v.startswith(t.call("supervisord", "supervisor.getSupervisorVersion") + " (corrald "),
           "getSupervisorVersion: %r" % v)
    pids = {who: t.call(who, "supervisor.getPID") for who in ("supervisord", "corral")}
    expect(pids["corral"] == t.c.proc.pid and pids["supervisord"] == t.sd.proc.pid,
           "getPID: %r" % pids)


def check_not_calls(t):
    """What is not a call gets HTTP's 400, not a fault, as from supervisord."""
    for body in (b"<methodCall><methodName>supervisor.getPID</methodName><params><param>",
                 b"<methodCall><params/></methodCall>",
                 b"<methodCall><methodName></methodName></methodCall>",
                 b"<methodCall><methodName>supervisor.getPID</methodName><params><param><value>"
                 b"<int>12x</int></value></param></params></methodCall>",
                 b"<methodCall><methodName>supervisor.getPID</methodName></methodCall>"):
        got = {who: t.http_status(who, body) for who in ("supervisord", "corral")}
        t.calls += 1
        t.check(got["supervisord"] == got["corral"], "POST /RPC2 %r: HTTP %r" % (body, got))


def check_info(t):
    # lexical order (group, then process), whatever the priorities
    t.both("supervisor.getAllProcessInfo")
    for name in ("one", "grp:a", "two:two_1", "ears", "idle", "plain", "grp:*", "grp", "nosuch",
                 "grp:nosuch", "two:"):
        t.both("supervisor.getProcessInfo", name)
    t.both("supervisor.getProcessInfo")
    t.both("supervisor.getProcessInfo", "one", "two")


def check_config_info(t):
    def known(v):
        # corrald always kills a process's whole scope: killasgroup is true
        # unless the config says false (corrald(8))
        if isinstance(v, list):
            for r in v:
                if isinstance(r, dict) and "killasgroup" in r:
                    r["killasgroup"] = "checked"
        return v
    got, ref = t.both("supervisor.getAllConfigInfo", fix=known)
    raw = t.call("corral", "supervisor.getAllConfigInfo")
    t.check(all(r["killasgroup"] is True for r in raw), "corral's killasgroup: %r"
            % [(r["name"], r["killasgroup"]) for r in raw])
    expect([r["name"] for r in ref] == sorted(r["name"] for r in ref), "by name: %r" % ref)
    ears = [r for r in got if r["name"] == "ears"]
    t.check(ears and ears[0]["group_prio"] == -1 and ears[0]["process_prio"] == 999,
            "an event listener's priorities: %r" % ears)
    # supervisorctl avail prints group_prio:process_prio
    outs = {}
    for who, conf in (("supervisord", t.sd.conf), ("corral", t.c.conf)):
        r = run([SUPERVISORCTL, "-c", conf, "avail"])
        outs[who] = (r.rc, r.out)
    t.check(outs["supervisord"] == outs["corral"], "supervisorctl avail differs:\n%r\n%r"
            % (outs["supervisord"], outs["corral"]))
    t.check(re.search(r"^ears +in use +auto +-1:999$", outs["corral"][1], re.M),
            "avail: %r" % outs["corral"][1])


def check_logs(t):
    for method in ("readProcessStdoutLog", "readProcessStderrLog", "readProcessLog"):
        for args in (("one", 0, 0), ("one", 0, 4), ("one", 4, 0), ("one", -4, 0),
                     ("one", -100, 0), ("one", 100, 0), ("one", 100, 5), ("one", -1, 5),
                     ("one", 0, -1), ("idle", 0, 0), ("two:two_0", 0, 0), ("nosuch", 0, 0),
                     ("grp:*", 0, 0), ("grp", 0, 0), ("one", 0)):
            t.both("supervisor." + method, *args)
    for method in ("tailProcessStdoutLog", "tailProcessStderrLog", "tailProcessLog"):
        for args in (("one", 0, 3), ("one", 0, 100), ("one", 5, 3), ("one", 100, 3),
                     ("one", -5, 3), ("one", 3, 0), ("idle", 0, 3), ("idle", 5, 3),
                     ("two:two_0", 5, 3), ("nosuch", 0, 3), ("grp", 0, 3)):
            t.both("supervisor." + method, *args)
    for who in ("supervisord", "corral"):
        wait_until(lambda who=who: "plain-out" in str(t.call(
            who, "supervisor.readProcessStdoutLog", "plain", 0, 0)), 10,
            "%s: plain's output in its log" % who)
    t.both("supervisor.readProcessStdoutLog", "plain", 0, 0)
    t.both("supervisor.tailProcessStderrLog", "plain", 0, 10)
    t.both("supervisor.clearProcessLogs", "nosuch")
    t.both("supervisor.clearProcessLogs", "grp:*")
    t.both("supervisor.clearProcessLog", "grp:a")
    t.both("supervisor.readProcessStdoutLog", "grp:a", 0, 0)
    t.both("supervisor.clearAllProcessLogs")
    t.both("supervisor.tailProcessStdoutLog", "one", 0, 3)


def check_main_log(t, sd, c):
    """Both keep a main log file (here beside each config). What
    supervisord's readFile refuses is refused alike; reads of a part give
    as many characters (the lines differ); clearLog empties it; with the
    files gone, both find none."""
    for method in ("supervisor.readLog", "supervisor.readMainLog"):
        for args in ((-1, 5), (0, -1), (-5, -1), (" -1", "5"), (0,), ()):
            t.both(method, *args)
        for args in ((-5, 0), (10, 5)):
            t.both(method, *args, fix=lambda v: len(v) if isinstance(v, str) else v)
    t.both("supervisor.clearLog")
    t.both("supervisor.clearLog", 1)
    for who, d in (("supervisord", sd.tmp), ("corral", c.tmp)):
        t.check(os.path.getsize(os.path.join(d, "supervisord.log")) < 200,
                "%s: clearLog left the file as it was" % who)
        os.unlink(os.path.join(d, "supervisord.log"))
    for method in ("supervisor.readLog", "supervisor.readMainLog"):
        for args in ((0, 0), (-5, 0), (10, 5)):
            t.both(method, *args, fix=codes)
    t.both("supervisor.clearLog", fix=codes)


def check_signals(t):
    for sig in ("NOSUCHSIG", "CONT", "cont", "SIGCONT", 18, "18", 99, "99"):
        t.both("supervisor.signalProcess", "one", sig)
        t.both("supervisor.signalProcess", "grp:*", sig)
        t.both("supervisor.signalProcessGroup", "grp", sig)
        t.both("supervisor.signalProcessGroup", "idle", sig)   # nothing to signal
        t.both("supervisor.signalAllProcesses", sig)
    for name in ("idle", "nosuch", "nosuch:*", "grp:nosuch", "grp"):
        t.both("supervisor.signalProcess", name, "CONT")
        t.both("supervisor.signalProcess", name, "NOSUCHSIG")
    t.both("supervisor.signalProcessGroup", "nosuch", "CONT")
    t.both("supervisor.signalProcessGroup", "nosuch", "NOSUCHSIG")
    t.both("supervisor.signalProcess", "one")
    t.both("supervisor.signalAllProcesses")


def check_conversions(t):
    """Arguments as Python's int() and truth take them in supervisord."""
    for args in (("one", "0", "4"), ("one", " -4 ", 0), ("one", "+1_0", 0), ("one", True, 2),
                 ("one", 1.9, 2.5), ("one", [], 0)):
        t.both("supervisor.readProcessStdoutLog", *args)
    t.both("supervisor.tailProcessStdoutLog", "one", "0", "3")
    for wait in ("", "no", [], 0, 0.0, {}, 1):
        t.both("supervisor.stopProcess", "idle", wait)           # NOT_RUNNING: converted
    t.both("supervisor.startProcess", "one", "yes")               # ALREADY_STARTED
    for sig in (0, "0", " cont ", "\tSIGCONT\n", 18.0, "c o n t", ""):
        t.both("supervisor.signalProcess", "one", sig)
    for sig in (True, 1.5, "HUP"):
        t.both("supervisor.signalProcess", "idle", sig)           # NOT_RUNNING: a signal
    t.both("supervisor.signalProcessGroup", "grp", "99")


def not_quick(v):
    """After an exit before startsecs supervisord keeps spawnerr "Exited too
    quickly ..." and exitstatus 0; corrald its exit status and no spawnerr
    (the process model's, not this interface's: not compared here)."""
    if isinstance(v, list):
        return [not_quick(r) for r in v]
    if isinstance(v, dict) and v.get("name") == "crash":
        return dict(v, spawnerr="-", exitstatus="-")
    return v


def check_start_stop(t):
    t.both("supervisor.startProcess", "one")                  # ALREADY_STARTED
    t.both("supervisor.startProcess", "nosuch")
    t.both("supervisor.startProcess", "nosuch:*")
    t.both("supervisor.startProcess", "grp:nosuch")
    t.both("supervisor.stopProcess", "idle")                  # NOT_RUNNING
    t.both("supervisor.stopProcess", "nosuch:*")
    t.both("supervisor.startProcessGroup", "nosuch")
    t.both("supervisor.stopProcessGroup", "nosuch")
    t.both("supervisor.startProcessGroup", "grp")             # nothing to start: []
    t.both("supervisor.stopProcess", "grp:a")
    t.both("supervisor.getProcessInfo", "grp:a")
    t.both("supervisor.startProcess", "grp:a", False)
    t.wait_states({"grp:a": "RUNNING"})
    t.both("supervisor.stopProcessGroup", "grp", fix=by_name)
    t.both("supervisor.startProcess", "grp:*", fix=by_name)
    t.both("supervisor.stopProcess", "grp:*", True, fix=by_name)
    t.both("supervisor.startProcessGroup", "grp", True, fix=by_name)
    t.both("supervisor.startProcess", "crash")                # exits before startsecs
    t.wait_states({"crash": "FATAL"})
    t.both("supervisor.getProcessInfo", "crash", fix=not_quick)
    t.both("supervisor.startAllProcesses", fix=by_name)       # idle and crash
    t.wait_states({"idle": "RUNNING", "crash": "FATAL"})
    t.both("supervisor.stopProcess", "idle", False)
    t.wait_states({"idle": "STOPPED"})
    t.both("supervisor.getAllProcessInfo", fix=not_quick)


def check_multicall(t):
    """Each answer bare (a fault as its struct); a call that waits holds
    back the ones after it, so what they see is what it did."""
    calls = [
        {"methodName": "supervisor.getAPIVersion", "params": []},
        {"methodName": "supervisor.getProcessInfo", "params": ["nosuch"]},
        {"methodName": "supervisor.stopProcess", "params": ["one"]},
        {"methodName": "supervisor.getProcessInfo", "params": ["one"]},
        {"methodName": "supervisor.startProcess", "params": ["one"]},
        {"methodName": "supervisor.getProcessInfo", "params": ["one"]},
        {"methodName": "supervisor.stopProcessGroup", "params": ["grp"]},
        {"methodName": "supervisor.getProcessInfo", "params": ["grp:b"]},
        {"methodName": "supervisor.startProcess", "params": ["crash"]},
        {"methodName": "supervisor.startProcessGroup", "params": ["grp", False]},
        {"methodName": "supervisor.signalAllProcesses", "params": ["NOSUCHSIG"]},
        {"methodName": "system.methodSignature", "params": ["supervisor.getState"]},
        {"methodName": "supervisor.nosuch", "params": []},
        {"methodName": "supervisor.getPID", "params": [1]},
    ]

    t.both("system.multicall", calls,
           fix=lambda v: [by_name(x) for x in v] if isinstance(v, list) else v)
    t.wait_states({"grp:a": "RUNNING", "grp:b": "RUNNING", "crash": "FATAL"})
    # the faults of what is not a call: the codes (the texts are corral's own)
    t.both("system.multicall", [{"methodName": "system.multicall", "params": [[]]},
                                {"params": []},
                                {"methodName": "supervisor.getPID", "params": 5}], fix=codes)
    t.both("system.multicall", [])
    t.both("system.multicall")
    t.both("system.multicall", 5)


def check_stdin_and_events(t):
    t.both("supervisor.sendProcessStdin", "one", "hello\n")
    t.both("supervisor.sendProcessStdin", "idle", "hello\n")
    t.both("supervisor.sendProcessStdin", "nosuch", "hello\n")
    t.both("supervisor.sendProcessStdin", "one")
    t.both("supervisor.sendRemoteCommEvent", "type", "data")
    t.both("supervisor.sendRemoteCommEvent", "type")


def check_reload(t, sd, c):
    t.both("supervisor.reloadConfig")
    progs = PROGRAMS.replace("[program:idle]", "[program:gone]") + EXTRA
    write_sd_config(sd, progs)
    c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + progs, raw=True)
    t.both("supervisor.reloadConfig")
    t.both("supervisor.getAllConfigInfo", fix=lambda v: [
        dict(r, killasgroup="-") if isinstance(r, dict) else r for r in v])
    t.both("supervisor.addProcessGroup", "extra")
    t.both("supervisor.addProcessGroup", "extra")              # ALREADY_ADDED
    # extra's AUTO log files: "auto" until its group is added, then its files
    t.both("supervisor.getAllConfigInfo", fix=lambda v: [
        dict(r, killasgroup="-") if isinstance(r, dict) else r for r in v])
    t.both("supervisor.addProcessGroup", "nosuch")
    t.both("supervisor.removeProcessGroup", "grp")             # STILL_RUNNING
    t.both("supervisor.removeProcessGroup", "nosuch")
    t.both("supervisor.removeProcessGroup", "idle")
    t.both("supervisor.addProcessGroup", "gone")
    t.both("supervisor.reloadConfig")
    t.both("supervisor.getAllProcessInfo", fix=not_quick)


def check_shutdown(t, sd, c, stubborn):
    """While the processes stop (stubborn ignores SIGTERM and has 600 s
    to go), every supervisor.* call but sendRemoteCommEvent says
    SHUTDOWN_STATE; stubborn is then killed by its pid."""
    t.both("supervisor.shutdown")
    for who in ("supervisord", "corral"):
        wait_until(lambda who=who: t.call(who, "supervisor.getState").get("FAULT") == 6, 20,
                   "%s to shut down" % who)
    for method, args in (("getState", ()), ("getAPIVersion", ()), ("getPID", ()),
                         ("getIdentification", ()), ("getSupervisorVersion", ()),
                         ("getProcessInfo", ("one",)), ("getAllProcessInfo", ()),
                         ("getAllConfigInfo", ()), ("readProcessStdoutLog", ("one", 0, 0)),
                         ("tailProcessStdoutLog", ("one", 0, 5)), ("readLog", (0, 0)),
                         ("clearLog", ()), ("clearProcessLogs", ("one",)),
                         ("clearAllProcessLogs", ()), ("startProcess", ("one",)),
                         ("stopProcess", ("one",)), ("signalProcess", ("one", "HUP")),
                         ("signalProcessGroup", ("grp", "HUP")),
                         ("sendProcessStdin", ("one", "x")), ("reloadConfig", ()),
                         ("addProcessGroup", ("grp",)), ("removeProcessGroup", ("grp",)),
                         ("startAllProcesses", ()), ("stopAllProcesses", ()),
                         ("shutdown", ()), ("sendRemoteCommEvent", ("t", "d"))):
        t.both("supervisor." + method, *args)
    t.both("system.listMethods")
    for pid, tag in stubborn:
        os.kill(pid, signal.SIGKILL)
    for who, proc in (("supervisord", sd.proc), ("corral", c.proc)):
        wait_until(lambda proc=proc: proc.poll() is not None, 30, "%s to exit" % who)
    c.exit_code = c.proc.returncode
    expect(c.exit_code == 0, "corrald exited %s after shutdown:\n%s"
           % (c.exit_code, c.stderr_tail()))


def test_multicall_waiting_then_client_gone():
    """A multicall whose call waits holds the rest back; when its client
    hangs up meanwhile, corrald drops it and goes on answering others."""
    progs = ("[program:stubborn]\ncommand = /bin/sh -c 'trap \"\" TERM; while :; do sleep 0.2; "
             "done' @TAG@\nstartsecs = 0\nstopwaitsecs = 600\nautorestart = false\n"
             "[program:quick]\ncommand = /bin/sh -c 'exec /bin/sleep 1000' @TAG@\n"
             "startsecs = 0\n")
    with Corral(start=False, name="multigone") as c:
        c.write_config(config_text(c.tmp, c.logdir, "socket = %s\n" % c.sock) + progs, raw=True)
        c.start()
        pids = c.wait_running(["stubborn", "quick"])
        try:
            multicall_then_gone(c, pids)
        finally:
            kill_stubborn([(pids["stubborn"], c.tag)])


def multicall_then_gone(c, pids):
    s = unix_rpc(c.path("sd.sock"))
    # stopProcess(quick) waits, then the next calls see it stopped
    res = s.system.multicall([{"methodName": "supervisor.stopProcess", "params": ["quick"]},
                              {"methodName": "supervisor.getProcessInfo",
                               "params": ["quick"]}])
    expect(res[0] is True and res[1]["statename"] == "STOPPED", "multicall: %r" % res)
    body = xmlrpc.client.dumps(([{"methodName": "supervisor.stopProcess",
                                  "params": ["stubborn"]},
                                 {"methodName": "supervisor.getPID", "params": []}],),
                               "system.multicall").encode()
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.settimeout(5)
    raw.connect(c.path("sd.sock"))
    raw.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body))
    wait_until(lambda: c.status()["stubborn"]["state"] == "STOPPING", 10, "stubborn stopping")
    raw.settimeout(0.5)
    try:
        early = raw.recv(100)
    except socket.timeout:
        early = b""
    expect(early == b"", "the multicall answered before its stop was done: %r" % early)
    raw.close()
    expect(s.supervisor.getPID() == c.proc.pid, "corrald answers after the client left")
    os.kill(pids["stubborn"], signal.SIGKILL)
    wait_until(lambda: c.status()["stubborn"]["state"] in ("STOPPED", "EXITED"), 10,
               "stubborn stopped")
    expect(s.supervisor.getPID() == c.proc.pid, "corrald answers after the wait ended")
