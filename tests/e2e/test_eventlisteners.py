"""supervisord's event listeners: [eventlistener:x] pools, the listener
protocol, and the events corrald emits (issue: event listeners).

The listeners are written against supervisor's own childutils, as users'
listeners are; the last test runs the same config and the same crashes
under the real supervisord and under corrald and compares what a
crashmail-style listener and a recorder of every PROCESS_STATE event saw."""

import json
import os
import signal
import subprocess
import time
import xmlrpc.client

from harness import (PY, Corral, children_of, expect, pid_alive, proc_cmdline, proc_stat, unix_rpc,
                     wait_until)

SUPERVISORD = "/usr/bin/supervisord"

# A listener on supervisor.childutils. MODE: ok (accept everything),
# failonce (reject each event the first time it comes), hang (the first
# event it gets, it never answers; its next run answers), wait (READY only
# once the file ARG exists), garbage (says something else than READY).
LISTENER = r'''
import json, os, sys, time
from supervisor import childutils

out, mode = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None


def record(kind, headers, payload):
    with open(out, "a") as f:
        f.write(json.dumps({"kind": kind, "pid": os.getpid(), "headers": headers,
                            "payload": payload}) + "\n")


if mode == "garbage":
    sys.stdout.write("HELLO\n")
    sys.stdout.flush()
    time.sleep(1000)
if mode == "wait":
    while not os.path.exists(arg):
        time.sleep(0.05)
seen = set()
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if mode == "failonce" and headers["serial"] not in seen:
        seen.add(headers["serial"])
        record("FAIL", headers, payload)
        childutils.listener.fail(sys.stdout)
        continue
    if mode == "slow" and headers["eventname"].endswith(arg.split(":")[0]):
        time.sleep(float(arg.split(":")[1]))  # then answers
    if mode == "hang" and not os.path.exists(arg):
        open(arg, "w").close()
        record("HANG", headers, payload)
        time.sleep(1000)
    record("OK", headers, payload)
    childutils.listener.ok(sys.stdout)
'''

# Exits with code N once the file DIR/go-NAME exists; prints a line first.
CRASHER = r'''
import os, sys, time
name, code = sys.argv[1], int(sys.argv[2])
print("up", name, flush=True)
while not os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "go-" + name)):
    time.sleep(0.02)
sys.exit(code)
'''


def sd_header():
    return ("[supervisord]\nchildlogdir=@LOG@\nsocket=@DIR@/run/corral.sock\n"
            "logfile=@DIR@/supervisord.log\npidfile=@DIR@/supervisord.pid\n\n")


def listener_section(name, events, mode="ok", arg="", extra=""):
    return ("[eventlistener:%s]\ncommand=@PY@ @DIR@/listener.py @DIR@/%s.jsonl %s %s\n"
            "events=%s\n%s\n" % (name, name, mode, arg, events, extra))


def records(c, name):
    text = c.read(c.path("%s.jsonl" % name), "") or ""
    # The listener may be in the middle of writing its last line: only
    # lines it has ended count.
    return [json.loads(l) for l in text[:text.rfind("\n") + 1].splitlines() if l.strip()]


def wait_records(c, name, pred, timeout, what):
    return wait_until(lambda: [r for r in records(c, name) if pred(r)] or None, timeout,
                      lambda: "%s; %s.jsonl holds %s\n" % (what, name, records(c, name)[-8:]))


def start_sd(c, text):
    c.write_config(sd_header() + text, raw=True)
    c.start()


def test_failed_event_is_delivered_again():
    with Corral(start=False, name="ev_fail", scripts={"listener.py": LISTENER, "crash.py": CRASHER}) as c:
        start_sd(c, listener_section("l", "PROCESS_STATE_EXITED", "failonce") +
                 "[program:c]\ncommand=@PY@ @DIR@/crash.py c 3\nautorestart=false\n")
        c.wait_state("c", "RUNNING")
        open(c.path("go-c"), "w").close()
        ok = wait_records(c, "l", lambda r: r["kind"] == "OK", 10, "the EXITED event accepted")[0]
        fails = [r for r in records(c, "l") if r["kind"] == "FAIL"]
        expect(len(fails) == 1, "one rejection before it was accepted: %s" % fails)
        expect(fails[0]["headers"]["serial"] == ok["headers"]["serial"] and
               fails[0]["headers"]["poolserial"] == ok["headers"]["poolserial"],
               "the same event (serial and poolserial) came again: %s / %s" % (fails[0], ok))
        h = ok["headers"]
        expect(h["ver"] == "3.0" and h["server"] == "supervisor" and h["pool"] == "l" and
               h["eventname"] == "PROCESS_STATE_EXITED", "envelope: %s" % h)
        expect(ok["payload"].startswith("processname:c groupname:c from_state:RUNNING "
                                        "expected:0 pid:"), "payload: %r" % ok["payload"])
        expect("event %s rejected" % h["serial"] in c.stderr_text(), "no log of the rejection")


def test_buffer_overflow_drops_oldest():
    with Corral(start=False, name="ev_overflow", scripts={"listener.py": LISTENER, "crash.py": CRASHER}) as c:
        progs = "".join("[program:c%d]\ncommand=@PY@ @DIR@/crash.py c%d 0\nautorestart=false\n"
                        "startsecs=0\n" % (i, i) for i in range(4))
        start_sd(c, listener_section("l", "PROCESS_STATE_EXITED", "wait", "@DIR@/ready",
                                     "buffer_size=2") + progs)
        for i in range(4):
            c.wait_state("c%d" % i, "RUNNING")
        # startsecs=0: each exit, however soon, is a plain EXITED
        for i in range(4):
            open(c.path("go-c%d" % i), "w").close()
            c.wait_state("c%d" % i, "EXITED")
        err = c.stderr_text()
        expect("pool l event buffer overflowed, discarding event 0" in err and
               "pool l event buffer overflowed, discarding event 1" in err,
               "the two oldest events were not dropped with a warning", err[-2000:])
        open(c.path("ready"), "w").close()
        wait_records(c, "l", lambda r: True, 10, "events once the listener is READY")
        time.sleep(0.5)
        got = [(r["headers"]["serial"], r["payload"].split()[0]) for r in records(c, "l")]
        expect(got == [("2", "processname:c2"), ("3", "processname:c3")],
               "the listener got the two newest events, in order: %s" % got)


def test_tick_5():
    with Corral(start=False, name="ev_tick", scripts={"listener.py": LISTENER}) as c:
        start_sd(c, listener_section("t", "TICK_5"))
        r = wait_records(c, "t", lambda r: True, 12, "a TICK_5 event")[0]
        expect(r["headers"]["eventname"] == "TICK_5", "event: %s" % r)
        when = int(r["payload"].split(":")[1])
        expect(r["payload"] == "when:%d" % when and when % 5 == 0 and abs(when - time.time()) < 10,
               "payload %r: the start of a 5 s period, now" % r["payload"])


def test_process_log_and_capture():
    script = ("import sys, time\nprint('plain line', flush=True)\n"
              "sys.stdout.write('x<!--XSUPERVISOR:BEGIN-->captured data'"
              " '<!--XSUPERVISOR:END-->after the capture, long enough to be logged\\n')\n"
              "sys.stdout.flush()\ntime.sleep(1000)\n")
    with Corral(start=False, name="ev_log", scripts={"listener.py": LISTENER, "talk.py": script}) as c:
        start_sd(c, listener_section("l", "PROCESS_LOG_STDOUT,PROCESS_COMMUNICATION") +
                 "[program:logs]\ncommand=@PY@ @DIR@/talk.py\nstdout_events_enabled=true\n"
                 "[program:cap]\ncommand=@PY@ @DIR@/talk.py\nstdout_capture_maxbytes=1MB\n")
        comm = wait_records(c, "l", lambda r: r["headers"]["eventname"] ==
                            "PROCESS_COMMUNICATION_STDOUT", 10, "a PROCESS_COMMUNICATION_STDOUT")[0]
        pid = c.status()["cap"]["pid"]
        expect(comm["payload"] == "processname:cap groupname:cap pid:%d\ncaptured data" % pid,
               "capture payload: %r" % comm["payload"])
        logs = wait_records(c, "l", lambda r: r["headers"]["eventname"] == "PROCESS_LOG_STDOUT",
                            10, "PROCESS_LOG_STDOUT events")
        pid = c.status()["logs"]["pid"]
        head = "processname:logs groupname:logs pid:%d channel:stdout\n" % pid
        expect(all(r["payload"].startswith(head) for r in logs), "log payloads: %s" % logs)
        data = "".join(r["payload"][len(head):] for r in logs)
        wait_until(lambda: "after the capture" in "".join(
            r["payload"] for r in records(c, "l") if r["headers"]["eventname"] == "PROCESS_LOG_STDOUT"),
            5, "the whole output in PROCESS_LOG events")
        data = "".join(r["payload"][len(head):] for r in records(c, "l")
                       if r["headers"]["eventname"] == "PROCESS_LOG_STDOUT")
        expect(data.startswith("plain line\n") and "captured data" in data, "log data: %r" % data)
        # the log still gets it all; in capture mode only what is outside the tokens
        wait_until(lambda: "after the capture" in (c.read(c.log("cap")) or ""), 5, "cap's log")
        cap_log = c.read(c.log("cap"))
        expect("plain line\nx" in cap_log and "captured" not in cap_log and "XSUPERVISOR" not in cap_log,
               "capture mode's log: %r" % cap_log)
        expect("captured data" in (c.read(c.log("logs")) or ""), "the plain program's log")
        expect(not [r for r in records(c, "l") if r["payload"].startswith("processname:cap")
                    and r["headers"]["eventname"] == "PROCESS_LOG_STDOUT"],
               "cap has no stdout_events_enabled: no PROCESS_LOG event")


def test_listener_killed_while_busy_gets_its_event_again():
    with Corral(start=False, name="ev_busy", scripts={"listener.py": LISTENER, "crash.py": CRASHER}) as c:
        start_sd(c, listener_section("l", "PROCESS_STATE_EXITED", "hang", "@DIR@/hung") +
                 "[program:c]\ncommand=@PY@ @DIR@/crash.py c 5\nautorestart=false\n")
        c.wait_state("c", "RUNNING")
        first = c.wait_state("l", "RUNNING")["pid"]
        open(c.path("go-c"), "w").close()
        hang = wait_records(c, "l", lambda r: r["kind"] == "HANG", 10, "the listener busy")[0]
        expect(hang["pid"] == first, "the first listener took it")
        os.kill(first, signal.SIGKILL)
        ok = wait_records(c, "l", lambda r: r["kind"] == "OK", 15, "the event again")[0]
        expect(ok["pid"] != first and ok["headers"]["serial"] == hang["headers"]["serial"],
               "the restarted listener got the same event: %s / %s" % (hang, ok))
        expect("event %s goes back to pool l" % hang["headers"]["serial"] in c.stderr_text(),
               "no log of the event going back")


def test_events_go_to_any_ready_listener():
    with Corral(start=False, name="ev_pool2", scripts={"listener.py": LISTENER, "crash.py": CRASHER}) as c:
        start_sd(c, listener_section("l", "PROCESS_STATE_EXITED", "hang", "@DIR@/hung",
                                     "numprocs=2\nprocess_name=%(program_name)s_%(process_num)d") +
                 "[program:c1]\ncommand=@PY@ @DIR@/crash.py c1 1\nautorestart=false\n"
                 "[program:c2]\ncommand=@PY@ @DIR@/crash.py c2 2\nautorestart=false\n")
        for name in ("c1", "c2", "l:l_0", "l:l_1"):
            c.wait_state(name, "RUNNING")
        open(c.path("go-c1"), "w").close()
        hang = wait_records(c, "l", lambda r: r["kind"] == "HANG", 10, "one listener busy")[0]
        open(c.path("go-c2"), "w").close()
        ok = wait_records(c, "l", lambda r: r["kind"] == "OK", 10, "the other one's event")[0]
        expect(ok["pid"] != hang["pid"] and "processname:c2" in ok["payload"] and
               "processname:c1" in hang["payload"],
               "the next event went to the other listener: %s / %s" % (hang, ok))


def test_protocol_garbage_makes_listener_unknown():
    with Corral(start=False, name="ev_garbage", scripts={"listener.py": LISTENER}) as c:
        start_sd(c, listener_section("g", "TICK_5", "garbage"))
        wait_until(lambda: "listener protocol broken" in c.stderr_text(), 10,
                   "the broken protocol logged")
        err = c.stderr_text()
        expect("g: listener protocol broken (expected READY: 'HELLO\\x0a')" in err, err[-1500:])
        c.wait_state("g", "RUNNING")  # the process itself runs on


def test_stdin_pipes():
    """supervisord gives every process a stdin pipe; corral's own format /dev/null."""
    def stdin_of(pid):
        # After the exec (startsecs = 0 is RUNNING at the spawn, before the
        # child has put its stdin in place): its command line is sleep's.
        wait_until(lambda: "sleep" in proc_cmdline(pid), 20, "pid %d to exec sleep" % pid)
        return os.readlink("/proc/%d/fd/0" % pid)
    with Corral(start=False, name="ev_stdin") as c:
        start_sd(c, "[program:s]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
        pid = c.wait_state("s", "RUNNING")["pid"]
        expect(stdin_of(pid).startswith("pipe:"), "stdin of a supervisord program: %s" % stdin_of(pid))
    with Corral("[program:s]\ncommand=/bin/sleep 1000\nstartsecs=0\n", name="ev_stdin2") as c:
        pid = c.wait_state("s", "RUNNING")["pid"]
        expect(stdin_of(pid) == "/dev/null", "stdin in corral's format: %s" % stdin_of(pid))


def test_group_and_supervisor_state_events():
    with Corral(start=False, name="ev_groups", scripts={"listener.py": LISTENER}) as c:
        lst = listener_section("l", "PROCESS_GROUP,SUPERVISOR_STATE_CHANGE")
        old = "[program:old]\ncommand=/bin/sleep 1000\n[program:same]\ncommand=/bin/sleep 1000\n"
        start_sd(c, lst + old)

        def events():
            return [(r["headers"]["eventname"], r["payload"]) for r in records(c, "l")]
        start = [("PROCESS_GROUP_ADDED", "groupname:%s\n" % g) for g in ("l", "old", "same")]
        start.append(("SUPERVISOR_STATE_CHANGE_RUNNING", ""))
        wait_until(lambda: len(events()) >= 4, 10, lambda: "start-up events: %s" % events())
        expect(events() == start, "start-up: %s" % events())
        c.write_config(sd_header() + lst + "[program:same]\ncommand=/bin/sleep 1000\n"
                       "[program:new]\ncommand=/bin/sleep 1000\n", raw=True)
        r = c.ctl("reload")
        expect(r.rc == 0, "reload: %s" % r)
        wait_until(lambda: len(events()) >= 6, 10, lambda: "reload events: %s" % events())
        expect(events()[4:] == [("PROCESS_GROUP_REMOVED", "groupname:old\n"),
                                ("PROCESS_GROUP_ADDED", "groupname:new\n")],
               "reload: %s" % events())
        c.signal(signal.SIGTERM)
        c.wait_exit(20)
        expect(events()[6:] == [("SUPERVISOR_STATE_CHANGE_STOPPING", "")],
               "shutdown: %s" % events())


def test_listener_answers_stopping_before_it_is_stopped():
    """Shutdown waits for a listener's answer to the event in flight
    (SUPERVISOR_STATE_CHANGE_STOPPING, which it took 2 s over) before it
    stops the listener; one that takes longer than its stopwaitsecs is
    stopped all the same."""
    with Corral(start=False, name="ev_hold", scripts={"listener.py": LISTENER}) as c:
        start_sd(c, listener_section("l", "SUPERVISOR_STATE_CHANGE", "slow", "STOPPING:2") +
                 "[program:a]\ncommand=/bin/sleep 1000\n")
        wait_records(c, "l", lambda r: r["headers"]["eventname"].endswith("RUNNING"), 10,
                     "the RUNNING event")
        c.signal(signal.SIGTERM)
        c.wait_exit(30)
        got = [r["headers"]["eventname"] for r in records(c, "l")]
        expect(got == ["SUPERVISOR_STATE_CHANGE_RUNNING", "SUPERVISOR_STATE_CHANGE_STOPPING"],
               "the listener's events: %s\n%s" % (got, c.stderr_text()[-1500:]))
    with Corral(start=False, name="ev_hold2", scripts={"listener.py": LISTENER}) as c:
        start_sd(c, listener_section("l", "SUPERVISOR_STATE_CHANGE", "slow", "STOPPING:1000",
                                     "stopwaitsecs=1\n"))
        wait_records(c, "l", lambda r: r["headers"]["eventname"].endswith("RUNNING"), 10,
                     "the RUNNING event")
        c.signal(signal.SIGTERM)
        c.wait_exit(30)
        got = [r["headers"]["eventname"] for r in records(c, "l")]
        expect(got == ["SUPERVISOR_STATE_CHANGE_RUNNING"], "the listener's events: %s" % got)
        expect("l: stopping pid" in c.stderr_text(), c.stderr_text()[-1500:])


def test_remote_communication_and_stdin_over_xmlrpc():
    """sendRemoteCommEvent reaches the listeners; sendProcessStdin reaches a
    process's stdin pipe (NO_FILE in corral's own format, where it has none)."""
    with Corral(start=False, name="ev_remote", scripts={"listener.py": LISTENER}) as c:
        start_sd(c, "[unix_http_server]\nfile=@DIR@/sd.sock\n" +
                 listener_section("l", "REMOTE_COMMUNICATION") +
                 "[program:echo]\ncommand=/bin/cat\nstartsecs=0\n")
        c.wait_state("echo", "RUNNING")
        c.status()  # track its pid
        s = unix_rpc(c.path("sd.sock"))
        wait_until(lambda: c.state("l")["state"] == "RUNNING", 10, "the listener RUNNING")
        expect(s.supervisor.sendRemoteCommEvent("greeting", "hello <world> & all") is True,
               "sendRemoteCommEvent answers True")
        r = wait_records(c, "l", lambda r: r["headers"]["eventname"] == "REMOTE_COMMUNICATION", 10,
                         "the REMOTE_COMMUNICATION event")[0]
        expect(r["payload"] == "type:greeting\nhello <world> & all",
               "payload: %r" % r["payload"])
        expect(s.supervisor.sendProcessStdin("echo", "line one\nline two\n") is True,
               "sendProcessStdin answers True")
        wait_until(lambda: "line two" in (c.read(c.log("echo")) or ""), 10,
                   "cat echoes what came on its stdin")
        expect(c.read(c.log("echo")) == "line one\nline two\n", "echo's log: %r" %
               c.read(c.log("echo")))
        s.supervisor.stopProcess("echo")
        try:
            s.supervisor.sendProcessStdin("echo", "x")
            expect(False, "sendProcessStdin to a stopped process was accepted")
        except xmlrpc.client.Fault as f:
            expect(f.faultCode == 70, "NOT_RUNNING: %s" % f)
    progs = ("[unix_http_server]\nfile=@DIR@/sd.sock\n"
             "[program:s]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
    with Corral(progs, name="ev_remote2") as c:
        c.wait_state("s", "RUNNING")
        s = unix_rpc(c.path("sd.sock"))
        try:
            s.supervisor.sendProcessStdin("s", "x")
            expect(False, "sendProcessStdin in corral's format was accepted")
        except xmlrpc.client.Fault as f:
            expect(f.faultCode == 20, "NO_FILE where stdin is /dev/null: %s" % f)


# ---------------------------------------------------------------- against supervisord

# superlance's crashmail, recording instead of mailing: an unexpected exit
# of a process is written down with what crashmail puts in its mail.
CRASHMAIL = r'''
import sys
from supervisor import childutils

out = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if headers["eventname"] == "PROCESS_STATE_EXITED":
        pheaders, pdata = childutils.eventdata(payload + "\n")
        if not int(pheaders["expected"]):
            with open(out, "a") as f:
                f.write("%s %s %s %s\n" % (pheaders["processname"], pheaders["groupname"],
                                           pheaders["expected"], pheaders["from_state"]))
    childutils.listener.ok(sys.stdout)
'''

# A recorder of every PROCESS_STATE event, one line each.
STATES = r'''
import sys
from supervisor import childutils

out = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    pheaders, _ = childutils.eventdata(payload + "\n")
    pid = pheaders.pop("pid", None)
    with open(out, "a") as f:
        f.write("%s %s%s\n" % (headers["eventname"], " ".join(
            "%s:%s" % kv for kv in sorted(pheaders.items())), " pid:" + pid if pid else ""))
    childutils.listener.ok(sys.stdout)
'''

# A recorder of output events, their pids left out.
COMM = r'''
import json, re, sys
from supervisor import childutils

out = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    with open(out, "a") as f:
        f.write(json.dumps([headers["eventname"], re.sub(r" pid:\d+", "", payload, count=1)]) + "\n")
    childutils.listener.ok(sys.stdout)
'''

# Writes its output in one write per stream, so that both supervisors read
# it in one piece.
TALK = r'''
import os, time
os.write(1, b"hello out\nX<!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END-->"
            b"and the rest of the line, long enough\n")
os.write(2, b"hello err\n")
time.sleep(1000)
'''

# The crashes: a and b in a [group:], c alone; each exits when told, with
# the code given (0 is expected for b; c is restarted and fails at once, as
# its file is there); d fails at once, over and over, until FATAL. Those
# that fail at once have startsecs = 3: supervisord sees an exit up to a
# second late, and would call it RUNNING first with startsecs = 1. e is a
# one-shot (startsecs = 0) that exits 2 at once: RUNNING from its spawn, so
# its exit is an EXITED, not expected, and it is not restarted.
ACCEPTANCE_CONF = """\
[unix_http_server]
file=@DIR@/supervisor.sock

[supervisord]
logfile=@DIR@/supervisord.log
pidfile=@DIR@/supervisord.pid
childlogdir=@LOG@
socket=@DIR@/run/corral.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[eventlistener:crashmail]
command=@PY@ @DIR@/crashmail.py @DIR@/crashmail.txt
events=PROCESS_STATE_EXITED

[eventlistener:states]
command=@PY@ @DIR@/states.py @DIR@/states.txt
events=PROCESS_STATE
; room for all that happens before it is READY: the buffer would drop them
; in an order that depends on timing
buffer_size=50

[eventlistener:comm]
command=@PY@ @DIR@/comm.py @DIR@/comm.txt
events=PROCESS_LOG,PROCESS_COMMUNICATION
buffer_size=50

[group:g]
programs=a,b

[program:talk]
command=@PY@ @DIR@/talk.py
stdout_events_enabled=true
stderr_events_enabled=true
stdout_capture_maxbytes=1MB
priority=50

[program:a]
command=@PY@ @DIR@/crash.py a 3
autorestart=false
priority=10

[program:b]
command=@PY@ @DIR@/crash.py b 0
autorestart=false
priority=20

[program:c]
command=@PY@ @DIR@/crash.py c 7
autorestart=unexpected
startretries=0
startsecs=3
priority=30

[program:d]
command=/bin/sh -c 'exit 2'
startretries=2
startsecs=3
priority=40

[program:e]
command=/bin/sh -c 'exit 2'
startsecs=0
autorestart=false
priority=45
"""


def normalise(lines):
    out = []
    for l in lines:
        words = [w for w in l.split() if not w.startswith("pid:")]
        out.append(" ".join(words))
    return out


def by_process(lines):
    per = {}
    for l in lines:
        name = [w for w in l.split() if w.startswith("processname:")][0]
        per.setdefault(name, []).append(l)
    return per


def crash_sequence(c):
    """The same steps for both supervisors, each once the last one's event was recorded."""
    states = c.path("states.txt")

    def wait_for(text, n=1):
        wait_until(lambda: (c.read(states, "") or "").count(text) >= n, 20,
                   lambda: "%r in states.txt (%d times); it holds:\n%s" % (text, n, c.read(states, "")))
    for name in ("a", "b", "c"):
        wait_for("PROCESS_STATE_RUNNING from_state:STARTING groupname:%s processname:%s"
                 % ("g" if name in "ab" else name, name))
    wait_for("PROCESS_STATE_EXITED expected:0 from_state:RUNNING groupname:e processname:e")
    wait_for("PROCESS_STATE_FATAL from_state:BACKOFF groupname:d processname:d")
    for name in ("a", "b", "c"):
        open(c.path("go-" + name), "w").close()
        wait_for("PROCESS_STATE_EXITED expected:%d from_state:RUNNING groupname:%s processname:%s"
                 % (1 if name == "b" else 0, "g" if name in "ab" else name, name))
    # c restarts (autorestart=unexpected), then exits at once: its go file is there
    wait_for("PROCESS_STATE_FATAL from_state:BACKOFF groupname:c processname:c")
    wait_until(lambda: len((c.read(c.path("comm.txt"), "") or "").splitlines()) >= 5, 10,
               lambda: "the output events; comm.txt: %s" % c.read(c.path("comm.txt"), ""))
    time.sleep(1.5)  # nothing more may come
    comm = [json.loads(l) for l in (c.read(c.path("comm.txt"), "") or "").splitlines()]
    return ((c.read(states, "") or "").splitlines(),
            (c.read(c.path("crashmail.txt"), "") or "").splitlines(), comm)


def run_supervisord(c):
    c.write_config(ACCEPTANCE_CONF, raw=True)
    env = c.env()
    sd = subprocess.Popen([SUPERVISORD, "-n", "-c", c.conf], cwd=c.tmp, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=open(c.path("sd.stderr"), "wb"),
                          env=env, start_new_session=True)
    kids = set()
    try:
        def note_kids():
            for p, _ in children_of(sd.pid):
                kids.add((p, proc_stat(p)[2] if proc_stat(p) else None))
        wait_until(lambda: note_kids() or os.path.exists(c.path("states.txt")), 20,
                   lambda: "supervisord's listener to write; its log:\n%s" % c.read(c.path("supervisord.log"), ""))
        note_kids()
        result = crash_sequence(c)
        note_kids()
        return result
    finally:
        sd.send_signal(signal.SIGTERM)
        try:
            sd.wait(20)
        except subprocess.TimeoutExpired:
            sd.kill()
            sd.wait(10)
        # what supervisord started must be gone with it: killed by PID if not
        for p, start in kids:
            st = proc_stat(p)
            if st and st[2] == start and st[0] != "Z":
                os.kill(p, signal.SIGKILL)


def test_same_events_as_supervisord():
    if not os.access(SUPERVISORD, os.X_OK):
        print("skipped: %s is not installed" % SUPERVISORD)
        return
    scripts = {"crash.py": CRASHER, "crashmail.py": CRASHMAIL, "states.py": STATES,
               "comm.py": COMM, "talk.py": TALK}
    with Corral(start=False, name="ev_sd", scripts=scripts) as ref:
        sd_states, sd_mail, sd_comm = run_supervisord(ref)
    with Corral(start=False, name="ev_corral", scripts=scripts) as c:
        c.write_config(ACCEPTANCE_CONF, raw=True)
        c.start()
        cr_states, cr_mail, cr_comm = crash_sequence(c)
    expect(sd_mail == ["e e 0 RUNNING", "a g 0 RUNNING", "c c 0 RUNNING"],
           "supervisord's crashmail record is what the test expects: %s" % sd_mail)
    expect(cr_mail == sd_mail, "crashmail records differ:\nsupervisord: %s\ncorrald:     %s"
           % (sd_mail, cr_mail))
    # output events: stdout and stderr are two pipes, each in its order
    for kind in ("PROCESS_LOG_STDOUT", "PROCESS_LOG_STDERR", "PROCESS_COMMUNICATION_STDOUT"):
        want = [p for k, p in sd_comm if k == kind]
        got = [p for k, p in cr_comm if k == kind]
        expect(want and got == want, "%s differ:\nsupervisord: %s\ncorrald:     %s" % (kind, want, got))
    sd_n, cr_n = normalise(sd_states), normalise(cr_states)
    # Processes that start together may interleave differently at start-up;
    # each process's own sequence must be the same, and so must the order
    # of everything after start-up (the crashes, run one at a time).
    sd_p, cr_p = by_process(sd_n), by_process(cr_n)
    differ = ["%s:\n  supervisord: %s\n  corrald:     %s" % (n, sd_p.get(n), cr_p.get(n))
              for n in sorted(set(sd_p) | set(cr_p)) if sd_p.get(n) != cr_p.get(n)]
    expect(not differ, "PROCESS_STATE sequences differ:\n" + "\n".join(differ))
    fatal = "PROCESS_STATE_FATAL from_state:BACKOFF groupname:d processname:d"
    expect(sd_n[sd_n.index(fatal):] == cr_n[cr_n.index(fatal):] if fatal in cr_n else False,
           "the order after start-up differs:\nsupervisord:\n  %s\ncorrald:\n  %s"
           % ("\n  ".join(sd_n), "\n  ".join(cr_n)))
