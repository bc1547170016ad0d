"""corralctl reexec and SIGUSR1: corrald execs its binary on disk and takes
over every process, log pipe and listening socket from itself, the programs
untouched; what it cannot hand over is refused before anything changes."""

import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import time

from harness import (Corral, SLEEP, corralctl_path, corrald_path, expect, expect_rc, free_port,
                     pid_alive, prog, tagged_pids, unix_rpc, wait_until)

COUNTER = ("/bin/sh -c 'i=0; while :; do i=$((i+1)); echo \"line $i\"; done'")


def many(n):
    return "".join(prog("p%d" % i, "/bin/sleep %d" % (2000 + i), startsecs=0)
                   for i in range(n))


def pids(c):
    return {n: (p["state"], p["pid"]) for n, p in c.status().items()}


def check_lines(c, name):
    """Every numbered line of NAME's log (its rotations oldest first), once
    and in order, each whole: N lines."""
    files = sorted((f for f in os.listdir(c.logdir) if f.startswith(name + ".out")),
                   key=lambda f: -int(f.rsplit(".", 1)[1]) if f[-1].isdigit() else 0)
    prev, n = None, 0
    for f in files:
        with open(os.path.join(c.logdir, f), errors="replace") as fh:
            for line in fh:
                m = re.match(r"^\S+Z line (\d+)\n$", line)
                expect(m is not None, "a whole, stamped line in %s" % f, line[:100])
                k = int(m.group(1))
                expect(prev is None or k == prev + 1, "lines in order, each once",
                       "%s: %s then %s" % (f, prev, k))
                prev, n = k, n + 1
    return n


def test_reexec_keeps_every_process_and_every_line():
    conf = many(100) + prog("count", COUNTER, startsecs=0, log_timestamps="true",
                            stdout_logfile_maxbytes="4MB", stdout_logfile_backups=50)
    with Corral(conf, name="reexec") as c:
        c.wait_running(["p0", "p99", "count"], timeout=30)
        before = pids(c)
        me = c.pid
        # clients knocking all the while: none may be refused
        stop = threading.Event()
        refused = []

        def knock():
            while not stop.is_set():
                r = c.ctl("version", timeout=30)
                if r.rc != 0:
                    refused.append(r)
        t = threading.Thread(target=knock)
        t.start()
        try:
            for i in range(5):
                r = c.ctl("reexec", timeout=30)
                expect_rc(r, 0, "reexec %d" % (i + 1))
                expect(r.out.startswith("re-executing "), "reexec says what it runs", r)
                # the answer comes before the exec: count the take-overs
                wait_until(lambda: c.stderr_text().count("took over 101 processes") == i + 1,
                           30, "the new corrald to take over")
        finally:
            stop.set()
            t.join(30)
        expect(not refused, "a client was refused or failed during the exec", refused[:3])
        expect(c.pid == me and c.alive(), "corrald keeps its pid")
        after = pids(c)
        expect(after == before, "every process as it was",
               {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)})
        expect(c.stderr_text().count("re-executing") == 5, "five execs")
        r = c.ctl("stop", "count")
        expect_rc(r, 0, "stop count")
        n = check_lines(c, "count")
        expect(n > 1000, "the counter wrote through the execs", n)
        # and it goes on supervising: a stop and a start after the execs
        r = c.ctl("restart", "p5")
        expect_rc(r, 0, "restart after the execs")
        expect(c.status()["p5"]["pid"] != before["p5"][1], "p5 restarted")


def test_reexec_then_sigkill_leaves_nothing():
    with Corral(many(5), name="reexeckill") as c:
        c.wait_running(["p0", "p4"])
        r = c.ctl("reexec")
        expect_rc(r, 0, "reexec")
        wait_until(lambda: "took over" in c.stderr_text(), 10, "the take-over")
        kids = tagged_pids(c.tag)
        expect(len(kids) >= 5, "the workers are there", kids)
        c.proc.send_signal(signal.SIGKILL)
        c.wait_exit(10)
        wait_until(lambda: not tagged_pids(c.tag), 10,
                   lambda: "no survivor of corrald's SIGKILL (the guard): %s"
                   % tagged_pids(c.tag))
        c.expect_exit = -9


def test_sigusr1_reexecs():
    with Corral(many(3), name="usr1") as c:
        c.wait_running(["p0", "p2"])
        before = pids(c)
        c.proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: "took over 3 processes" in c.stderr_text(), 10, "SIGUSR1's exec")
        expect(pids(c) == before, "SIGUSR1 left every process as it was")


def refused(c, needle, before):
    r = c.ctl("reexec", timeout=60)
    expect_rc(r, 1, "a reexec that must be refused")
    expect(needle in r.out + r.err, "the refusal says why (%r)" % needle, r)
    expect(c.alive() and pids(c) == before, "a refusal changed nothing")
    expect("re-executing" not in c.stderr_text(), "it did not exec")


def test_reexec_refusals_change_nothing():
    base = prog("a", SLEEP, startsecs=0)
    c = Corral(base, name="refuse", start=False)
    with c:
        binary = c.path("bin", "corrald")
        os.makedirs(os.path.dirname(binary))
        shutil.copy2(corrald_path(), binary)
        c.corrald_bin = binary
        c.start()
        c.wait_running(["a"])
        before = pids(c)

        # the file gone (an upgrade that failed half way)
        os.unlink(binary)
        refused(c, "%s: No such file or directory" % binary, before)
        # not executable
        shutil.copy2(corrald_path(), binary)
        os.chmod(binary, 0o644)
        refused(c, "not an executable file", before)
        os.chmod(binary, 0o755)
        # a binary that reads another record version
        keep = binary + ".real"
        os.rename(binary, keep)

        def script(text):
            with open(binary, "w") as f:
                f.write("#!/bin/sh\n" + text)
            os.chmod(binary, 0o755)
        script('case "$1" in --handover-version) echo "corral-handover 99";; esac\n')
        refused(c, "reads no handover record of version 3", before)
        # an older corrald, which reads version 1 only (a downgrade)
        script('case "$1" in --handover-version) echo "corral-handover 1";; esac\n')
        refused(c, "reads no handover record of version 3", before)
        script('echo "corrald: unrecognized option --handover-version" >&2; exit 2\n')
        refused(c, "unrecognized option", before)
        # one whose --check of the config in force fails
        script('case "$1" in --handover-version) printf "corral-handover 1\\ncorral-handover 2\\ncorral-handover 3\\n"; exit 0;; esac\n'
               'echo "%s:3: unknown key '"'"'comand'"'"' in [program:a]"; exit 1\n' % c.conf)
        refused(c, "unknown key 'comand'", before)
        os.rename(keep, binary)
        # the config file changed since it was loaded: not a reload
        c.write_config(base + prog("b", SLEEP, startsecs=0))
        refused(c, "has changed since it was loaded (added: b)", before)
        c.write_config(base)
        before = pids(c)
        # and now it goes
        r = c.ctl("reexec")
        expect_rc(r, 0, "reexec once nothing stands in the way")
        wait_until(lambda: "took over" in c.stderr_text(), 10, "the take-over")
        expect(pids(c) == before, "after the refusals, the exec kept everything")


def test_reexec_with_supervisorctl_and_stdin():
    """A supervisord config: its XML-RPC sockets and each process's stdin
    pipe (sendProcessStdin) come across."""
    port = free_port()
    conf = ("[supervisord]\nlogfile = @DIR@/supervisord.log\n\n"
            "[unix_http_server]\nfile = @DIR@/sd.sock\nchmod = 0700\n\n"
            "[inet_http_server]\nport = 127.0.0.1:%d\n\n"
            "[program:echoer]\ncommand = @PY@ @DIR@/echoer.py\nstartsecs = 0\n"
            "stdout_logfile = @LOG@/echoer.out\n" % port)
    echoer = "import sys\nfor l in sys.stdin:\n    print('got', l.strip(), flush=True)\n"
    c = Corral("", scripts={"echoer.py": echoer}, name="reexecrpc", start=False)
    with c:
        c.write_config(conf, raw=True)
        c.sock = c.path("sd.sock") + ".corral"
        c.start()
        c.wait_running(["echoer"])
        rpc = unix_rpc(c.path("sd.sock"))
        info = rpc.supervisor.getProcessInfo("echoer")
        r = c.ctl("reexec")
        expect_rc(r, 0, "reexec")
        wait_until(lambda: "took over" in c.stderr_text(), 10, "the take-over")
        info2 = unix_rpc(c.path("sd.sock")).supervisor.getProcessInfo("echoer")
        expect(info2["pid"] == info["pid"] and info2["statename"] == "RUNNING",
               "XML-RPC on the kept socket sees the same process", info, info2)
        import xmlrpc.client
        inet = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
        expect(inet.supervisor.sendProcessStdin("echoer", "hello\n") is True,
               "its stdin pipe came across")
        wait_until(lambda: "got hello" in (c.read(c.log("echoer")) or ""), 10,
                   "the worker to read what was sent after the exec")


ECHO = """import socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.sendall(c.recv(100))
    c.close()
"""


def test_reexec_keeps_socket_activation_listening():
    """A [socket:] section's socket is the same across the exec: the echo
    server keeps its pid and a client looping on it is never refused."""
    import socket as so
    port = free_port()
    conf = ("[socket:echo]\nlisten = tcp:127.0.0.1:%d\nprogram = echo\n\n" % port
            + prog("echo", "@PY@ @DIR@/echo.py", startsecs=0))
    with Corral(conf, scripts={"echo.py": ECHO}, name="reexecsock") as c:
        c.wait_running(["echo"])
        before = pids(c)
        stop = threading.Event()
        errors, answered = [], [0]

        def client():
            while not stop.is_set():
                try:
                    with so.create_connection(("127.0.0.1", port), timeout=10) as s:
                        s.sendall(b"ping")
                        if s.recv(100) != b"ping":
                            errors.append("wrong answer")
                        answered[0] += 1
                except OSError as e:
                    errors.append(str(e))
        t = threading.Thread(target=client)
        t.start()
        try:
            for i in range(3):
                expect_rc(c.ctl("reexec"), 0, "reexec %d" % (i + 1))
                wait_until(lambda: c.stderr_text().count("took over") == i + 1, 10,
                           "the take-over")
        finally:
            stop.set()
            t.join(30)
        expect(not errors, "the client saw errors during the execs", errors[:5])
        expect(answered[0] > 10, "the client was answered all along", answered[0])
        expect(pids(c) == before, "the echo server kept its pid")


def test_tail_f_follows_across_reexec():
    """corralctl tail -f goes on across an exec: the connection the old
    corrald had is gone, corralctl asks the new one to follow on."""
    import subprocess
    from harness import corralctl_path
    conf = prog("count", "/bin/sh -c 'i=0; while :; do i=$((i+1)); echo \"line $i\"; "
                "sleep 0.01; done'", startsecs=0)
    with Corral(conf, name="reexectail") as c:
        c.wait_running(["count"])
        out = open(c.path("tail.out"), "w")
        t = subprocess.Popen([corralctl_path(), "-s", c.sock, "tail", "-f", "count"],
                             stdout=out, stderr=subprocess.STDOUT)
        try:
            def last():
                text = c.read(c.path("tail.out")) or ""
                nums = re.findall(r"^line (\d+)$", text, re.M)
                return int(nums[-1]) if nums else 0
            wait_until(lambda: last() > 5, 10, "tail -f to print lines")
            for i in range(2):
                expect_rc(c.ctl("reexec"), 0, "reexec")
                wait_until(lambda: c.stderr_text().count("took over") == i + 1, 10,
                           "the take-over")
                at = last()
                wait_until(lambda: last() > at + 20, 10,
                           lambda: "tail -f to go on after the exec (at %d, now %d)"
                           % (at, last()))
                expect(t.poll() is None, "tail -f is still running", t.returncode)
        finally:
            t.terminate()
            t.wait(10)
            out.close()


def test_reexec_keeps_a_pipeline_flowing():
    """A pipeline's pipes are corrald's: they go across, with what is in
    them, and no stage sees a break."""
    producer = ("import sys, time\nfor i in range(4000):\n    print('line %d' % i, flush=True)\n"
                "    time.sleep(0.0005)\ntime.sleep(600)\n")
    cfg = (prog("producer", "@PY@ @DIR@/producer.py", startsecs=0)
           + prog("sink", "/bin/cat", startsecs=0)
           + "[pipeline:flow]\nprograms = producer | sink\nbuffer = 4KB\n")
    with Corral(cfg, scripts={"producer.py": producer}, name="reexecpipe") as c:
        c.wait_running(["flow:producer", "flow:sink"])

        def numbers():
            text = c.read(c.log("flow:sink")) or ""
            return [int(m) for m in re.findall(r"^line (\d+)$", text, re.M)]
        wait_until(lambda: len(numbers()) > 100, 20, "the pipeline to flow")
        before = pids(c)
        for i in range(3):
            expect_rc(c.ctl("reexec"), 0, "reexec %d" % (i + 1))
            wait_until(lambda: c.stderr_text().count("took over") == i + 1, 10, "the take-over")
        wait_until(lambda: len(numbers()) >= 4000, 60,
                   lambda: "every line through the sink (%d so far)" % len(numbers()))
        expect(numbers() == list(range(4000)), "every line once, in order, through the execs")
        expect(pids(c) == before, "no stage was restarted")


def test_reexec_keeps_a_pool_and_its_producers():
    """A pool's queue, its jobs in flight, the answers it holds and its
    producers' connections go across: a producer in the middle of a run
    gets every answer, in order, and no worker is restarted."""
    worker = ("while IFS= read -r line; do sleep 0.02; echo \"<$line>\"; done\n")
    cfg = ("[pool:slow]\ncommand = /bin/sh @DIR@/worker.sh\nworkers = 2\nqueue = 20\n\n"
           "[pool:framed]\ncommand = @PY@ @DIR@/framed.py\nworkers = 1\nframing = length\n"
           "mailbox = 4\nqueue = 10\n\n")
    # length framing: "<id> <len>\n<bytes>" in, "<id> ok <len>\n<bytes>" out
    framed = ("import sys, time\nr, w = sys.stdin.buffer, sys.stdout.buffer\n"
              "while True:\n    h = r.readline()\n    if not h:\n        break\n"
              "    jid, n = h.split()\n    data = r.read(int(n))\n    time.sleep(0.01)\n"
              "    out = data.upper()\n"
              "    w.write(b'%s ok %d\\n' % (jid, len(out)) + out)\n    w.flush()\n")
    n = 400
    with Corral(cfg, scripts={"worker.sh": worker, "framed.py": framed}, name="reexecpool") as c:
        names = ["slow:slow_0", "slow:slow_1", "framed:framed_0"]
        c.wait_running(names)
        before = pids(c)
        subs = []
        for pool_name in ("slow", "framed"):
            p = subprocess.Popen([corralctl_path(), "-s", c.sock, "submit", "--lines", pool_name],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            subs.append((pool_name, p))
        outs = {}

        def run_one(name, p):
            outs[name] = p.communicate("".join("job %d\n" % i for i in range(n)).encode(), 120)
        threads = [threading.Thread(target=run_one, args=s) for s in subs]
        for t in threads:
            t.start()

        def queued():
            st = c.status()
            return (st["slow:slow_0"].get("pool", {}).get("queue", 0) > 5 and
                    st["framed:framed_0"].get("pool", {}).get("queue", 0) > 2)
        wait_until(queued, 20, "jobs waiting in both queues")
        for i in range(3):
            r = c.ctl("reexec", timeout=30)
            expect_rc(r, 0, "reexec %d with jobs queued and in flight" % (i + 1))
            wait_until(lambda: c.stderr_text().count("took over 3 processes") == i + 1, 20,
                       "the take-over")
            expect("pool slow: took over" in c.stderr_text(), "the pool said what it took over")
            time.sleep(0.3)
        for t in threads:
            t.join(120)
        for name, p in subs:
            out, err = outs[name]
            expect(p.returncode == 0, "submit to %s completed" % name, err.decode()[-500:])
            want = ["<job %d>" % i for i in range(n)] if name == "slow" else \
                   ["JOB %d" % i for i in range(n)]
            got = out.decode().split("\n")
            expect(got[:-1] == want, "every answer from %s, once, in order" % name,
                   [(i, g) for i, g in enumerate(got) if i >= len(want) or g != want[i]][:3])
        expect(pids(c) == before, "no worker was restarted")
        st = c.status()["slow:slow_0"]["pool"]
        expect(st["done"] == n and st["failed"] == 0 and st["producers"] == 0,
               "the pool's figures went across", st)


def test_reexec_keeps_event_listeners():
    """An event listener and its pool go across: the event in flight, the
    pool's buffer and serials, the protocol state. Every event comes once,
    in order, and corrald does not announce itself again (no second
    SUPERVISOR_STATE_CHANGE_RUNNING)."""
    from test_eventlisteners import LISTENER, records, start_sd
    chat = ("import sys, time\nfor i in range(600):\n    print('line %d' % i, flush=True)\n"
            "    time.sleep(0.005)\ntime.sleep(1000)\n")
    cfg = ("[eventlistener:l]\ncommand=@PY@ @DIR@/listener.py @DIR@/l.jsonl slow "
           "PROCESS_LOG_STDOUT:0.01\nevents=PROCESS_LOG_STDOUT,SUPERVISOR_STATE_CHANGE\n"
           "buffer_size=100000\n\n"
           "[program:chat]\ncommand=@PY@ @DIR@/chat.py\nstartsecs=0\nstdout_events_enabled=true\n")
    with Corral(start=False, name="reexecev", scripts={"listener.py": LISTENER, "chat.py": chat}) as c:
        start_sd(c, cfg)
        c.wait_running(["chat", "l"])
        before = pids(c)
        wait_until(lambda: len(records(c, "l")) > 20, 20, "events flowing to the listener")
        for i in range(3):
            r = c.ctl("reexec", timeout=30)
            expect_rc(r, 0, "reexec %d with events buffered and in flight" % (i + 1))
            wait_until(lambda: c.stderr_text().count("took over 2 processes") == i + 1, 20,
                       "the take-over")
            time.sleep(0.4)

        def text():
            return "".join(r["payload"].split("\n", 1)[1] for r in records(c, "l")
                           if r["headers"]["eventname"] == "PROCESS_LOG_STDOUT")
        wait_until(lambda: "line 599\n" in text(), 60, "every line's event")
        expect(text() == "".join("line %d\n" % i for i in range(600)),
               "the log events hold every line once, in order", text()[-300:])
        recs = [r for r in records(c, "l") if r["kind"] == "OK"]
        serials = [int(r["headers"]["poolserial"]) for r in recs]
        expect(serials == list(range(len(serials))), "pool serials once each, in order",
               serials[:50])
        running = [r for r in recs if r["headers"]["eventname"] == "SUPERVISOR_STATE_CHANGE_RUNNING"]
        expect(len(running) == 1, "corrald announced itself once, not at each exec", running)
        expect(pids(c) == before, "the listener and the program kept their pids")


def test_reexec_keeps_the_notify_socket():
    """The sd_notify socket is the same socket after the exec: a program
    that pings its watchdog all the while never finds it gone."""
    pinger = ("import os, socket, time\n"
              "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
              "path = os.environ['NOTIFY_SOCKET']\n"
              "s.sendto(b'READY=1', path)\nfails = 0\n"
              "while True:\n"
              "    try:\n        s.sendto(b'WATCHDOG=1', path)\n"
              "    except OSError as e:\n        fails += 1\n"
              "        open(os.environ['DIR'] + '/fails', 'a').write('%s\\n' % e)\n"
              "    time.sleep(0.001)\n")
    cfg = prog("dog", "@PY@ @DIR@/pinger.py", ready="notify", watchdog_sec=2,
               environment='DIR="@DIR@"')
    with Corral(cfg, scripts={"pinger.py": pinger}, name="reexecnotify") as c:
        c.wait_running(["dog"])
        path = c.sock + ".notify"
        ino = os.stat(path).st_ino
        before = pids(c)
        for i in range(5):
            expect_rc(c.ctl("reexec"), 0, "reexec %d" % (i + 1))
            wait_until(lambda: c.stderr_text().count("took over") == i + 1, 10, "the take-over")
        time.sleep(0.5)
        expect(os.stat(path).st_ino == ino, "the notify socket is the one bound at the start")
        expect(not os.path.exists(c.path("fails")), "a ping found no socket during an exec",
               c.read(c.path("fails")))
        expect(pids(c) == before, "the program kept its pid (its watchdog never expired)")


def test_reexec_keeps_corralctl_run():
    """corralctl run's program and its caller go across: the caller gets
    the whole output and the exit status, its --timeout still counts, and
    Ctrl-C after the exec still kills the tree."""
    with Corral(prog("idle", SLEEP, startsecs=0), name="reexecrun") as c:
        c.wait_running(["idle"])
        base = [corralctl_path(), "-s", c.sock, "run"]
        counter = subprocess.Popen(
            base + ["--scope", "counter", "--", "/bin/sh", "-c",
                    "for i in $(seq 1 30); do echo $i; sleep 0.1; done; exit 7"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        timed = subprocess.Popen(base + ["--timeout", "3", "--scope", "timed", "--",
                                         "/bin/sleep", "1000"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cancelled = subprocess.Popen(base + ["--scope", "cancelled", "--", "/bin/sleep", "1001"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        c.wait_running(["counter", "timed", "cancelled"])
        before = pids(c)
        for i in range(3):
            r = c.ctl("reexec")
            expect_rc(r, 0, "reexec %d with runs going" % (i + 1))
            wait_until(lambda: c.stderr_text().count("took over 4 processes") == i + 1, 10,
                       "the take-over")
            time.sleep(0.2)
        expect(pids(c) == before, "every run kept its pid")
        sleeper = before["cancelled"][1]
        cancelled.send_signal(signal.SIGINT)
        out, err = cancelled.communicate(timeout=30)
        expect(cancelled.returncode == 130, "Ctrl-C after the exec: 130", (out, err))
        expect(not pid_alive(sleeper), "Ctrl-C after the exec killed the run's tree")
        out, err = counter.communicate(timeout=30)
        expect(counter.returncode == 7, "the run's exit status came through the execs",
               (counter.returncode, err))
        expect(out.split() == [str(i) for i in range(1, 31)], "its whole output", out)
        out, err = timed.communicate(timeout=30)
        expect(timed.returncode == 124, "--timeout counted across the execs", (out, err))
        wait_until(lambda: not ({"counter", "timed", "cancelled"} & set(c.status())), 10,
                   "the runs' programs gone")


def test_reexec_keeps_processes_between_states():
    """A process in any state goes across with its deadline: STARTING
    (startsecs, a readiness pipe not yet written), BACKOFF (the time of the
    next try), STOPPING (stopwaitsecs, then the kill), and one waiting for
    what it requires. Were a deadline lost, the process would stay where it
    was for ever."""
    cfg = (prog("starting", "/bin/sleep 1000", startsecs=4)
           + prog("readyfd", "/bin/sh -c 'while [ ! -e @DIR@/go ]; do sleep 0.05; done; "
                  "echo READY >&3; exec sleep 1000'", ready="fd:3", startsecs=0)
           + prog("backoff", "/bin/sh -c 'echo try >> @DIR@/tries; exit 1'", startsecs=1,
                  startretries=100)
           + prog("stopping", "/bin/sh -c 'trap \"\" TERM; exec sleep 1000'", startsecs=0,
                  stopwaitsecs=4)
           + prog("gate", "/bin/sleep 1001", startsecs=5, autostart="false")
           + prog("dependent", "/bin/sleep 1002", startsecs=0, requires="gate"))
    with Corral(cfg, name="reexecstates") as c:
        c.wait_running(["stopping"])
        stopper = subprocess.Popen([corralctl_path(), "-s", c.sock, "stop", "stopping"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        c.wait_state("stopping", "STOPPING")
        wait_until(lambda: c.status()["backoff"]["state"] == "BACKOFF", 10, "a backoff")
        st = c.status()
        expect(st["starting"]["state"] == "STARTING" and st["readyfd"]["state"] == "STARTING" and
               st["gate"]["state"] == "STARTING" and st["dependent"]["state"] == "STOPPED",
               "each where the test wants it before the exec",
               {k: v["state"] for k, v in st.items()})
        before = pids(c)
        r = c.ctl("reexec")
        expect_rc(r, 0, "reexec with processes between states")
        wait_until(lambda: "took over 6 processes" in c.stderr_text(), 10, "the take-over")
        after = pids(c)
        expect(all(after[n][1] == before[n][1] for n in before if before[n][1]),
               "every pid the same", (before, after))
        # STOPPING: killed at the end of stopwaitsecs, counted from the stop
        c.wait_state("stopping", "STOPPED", 10)
        out, err = stopper.communicate(timeout=30)
        expect(stopper.returncode == 0, "corralctl stop saw it stopped, across the exec",
               (out, err))
        # STARTING: RUNNING once startsecs pass, the same process
        c.wait_state("starting", "RUNNING", 10)
        expect(c.status()["starting"]["pid"] == before["starting"][1], "not started again")
        # a readiness pipe: written after the exec, heard
        open(c.path("go"), "w").close()
        c.wait_state("readyfd", "RUNNING", 10)
        expect(c.status()["readyfd"]["pid"] == before["readyfd"][1], "the same readyfd")
        # BACKOFF: tried again when its time comes
        tries = len(c.read(c.path("tries")).split())
        wait_until(lambda: len(c.read(c.path("tries")).split()) > tries, 15,
                   "the next try after the backoff")
        # waiting for what it requires: started once gate is RUNNING
        c.wait_state("gate", "RUNNING", 10)
        c.wait_state("dependent", "RUNNING", 10)
