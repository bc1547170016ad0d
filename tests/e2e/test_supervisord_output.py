"""supervisord's output keys, carried out: strip_ansi, stdout_syslog and
stderr_syslog, and the echo of every child's output in the daemon's own
log at loglevel = debug (issue: supervisord fidelity).

Where it says "as supervisord", the real supervisord (Debian's package)
runs the same programs beside corrald and the bytes are compared. The
programs write their output in pieces and wait, after each, until the
supervisor has read it (FIONREAD on their end of the pipe is 0), so that
both daemons read the very same pieces: supervisord's stripping, syslog
lines and echo go by the read.

syslog is tested without touching the machine's /dev/log: each daemon runs
in a mount namespace of its own (unshare --mount) whose /dev is a tmpfs
holding the usual devices and, as /dev/log, a bind mount of a datagram
socket the test reads."""

import ast
import os
import re
import select
import socket
import subprocess
import threading
import time

from harness import PY, Corral, expect, wait_until
from test_supervisorctl import SUPERVISORD, Supervisord

# Writes the pieces named by argv[1] (stdout, then stderr), each once the
# last was read, then touches argv[2] and waits. "spam" writes argv[3]
# lines at once, then more at each go file (argv[2] + ".go1", ...).
WRITER = r'''
import fcntl, os, struct, sys, termios, time

PIECES = {
    "colours": [
        (1, b"\x1b[31mred\x1b[0m plain\n"),
        (1, b"\x1b[1;32mbold green\x1b[0m and \x1b[38;5;208m256 colours\x1b[m\n"),
        (1, b"\x1b[2J\x1b[Hcleared\x1b[K\n"),
        (1, b"up\x1b[3Aright\x1b[10Csave\x1b[s\x1b[urestored\n"),
        (1, b"\x1b[?25lcursor hidden\x1b[?25h\n"),
        (1, b"a\x1b[5nhello\n"),
        (1, b"osc \x1b]0;a title\x07 stays\n"),
        (1, b"charset \x1b(B stays, a lone \x1b and [31m too\n"),
        (1, b"\xff\xfe not utf-8 \x1b[7mreverse\x1b[27m\n"),
        (1, b"two\n\x1b[4munderlined\x1b[24m\n\nlines\n"),
        (2, b"err \x1b[33myellow\x1b[0m\n"),
        (2, b"\x1b[1;31mERROR\x1b[0m: failed\n"),
    ],
    "lines": [
        (1, b"first line\n"),
        (1, b"two\n\nlines, one empty\n"),
        (1, b"\x1b[32mgreen\x1b[0m, stripped\n"),
        (2, b"to stderr\n"),
        (2, b"twice\nto stderr\n"),
        (1, b"caf\xc3\xa9 \xe2\x82\xac\n"),
    ],
    "echo": [
        (1, b"plain\n"),
        (1, b"two\n\nlines\n"),
        (1, b"\x1b[31mred\x1b[0m, stripped\n"),
        (1, b"caf\xc3\xa9\n"),
        (1, b"\xff\xfe undecodable 'quoted'\n"),
        (1, b"no newline"),
        (2, b"err \x1b[33myellow\x1b[0m\n"),
        (2, b"tab\there, cr\r\n"),
    ],
}


def drained(fd):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            left = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            return  # not a pipe: nobody reads it
        if not left:
            return
        time.sleep(0.005)


def put(fd, data):
    os.write(fd, data)
    drained(fd)


what, done = sys.argv[1], sys.argv[2]
if what == "spam":
    n, step = int(sys.argv[3]), 1
    for i in range(n):
        os.write(1, b"spam line %d\n" % i)
    while True:
        open(done + (".%d" % step if step > 1 else ""), "w").close()
        step += 1
        while not os.path.exists(done + ".go%d" % step):
            time.sleep(0.02)
        for i in range(int(open(done + ".go%d" % step).read())):
            os.write(1, b"more %d line %d\n" % (step, i))
for fd, data in PIECES[what]:
    put(fd, data)
open(done, "w").close()
time.sleep(1000)
'''

# An event listener that records each event's channel and data (the
# payload after its header line), in hex; it says something on stderr
# first.
LISTENER = r'''
import sys
sys.stderr.write("listener \x1b[34mblue\x1b[0m on stderr\n")
sys.stderr.flush()
out = open(sys.argv[1], "a")
while True:
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    head = dict(x.split(b":", 1) for x in sys.stdin.buffer.readline().split())
    payload = sys.stdin.buffer.read(int(head[b"len"]))
    first, _, data = payload.partition(b"\n")
    fields = dict(x.split(b":", 1) for x in first.split())
    out.write("%s %s %s\n" % (head[b"eventname"].decode(), fields.get(b"channel", b"-").decode(),
                              data.hex()))
    out.flush()
    sys.stdout.write("RESULT 2\nOK")
    sys.stdout.flush()
'''

# /dev in a mount namespace of its own: a tmpfs with the devices programs
# use and, as /dev/log, the socket $1. $2 names the binary (argv[0]) when
# not empty; $3 is an empty directory for the tmpfs. The rest is the
# command, exec'd: its pid is the one Popen gave.
PRIVATE_DEV = r'''
set -e
sock=$1 name=$2 nd=$3
shift 3
mount -t tmpfs -o mode=0755 corral-e2e-dev "$nd"
for n in null zero full random urandom; do
    : >"$nd/$n"
    mount --bind "/dev/$n" "$nd/$n"
done
ln -s /proc/self/fd "$nd/fd"
ln -s fd/0 "$nd/stdin"
ln -s fd/1 "$nd/stdout"
ln -s fd/2 "$nd/stderr"
: >"$nd/log"
mount --bind "$sock" "$nd/log"
mount --move "$nd" /dev
if [ -n "$name" ]; then exec -a "$name" "$@"; fi
exec "$@"
'''


def private_dev(tmp, sock, argv0=""):
    """The argv that runs a command with SOCK as its /dev/log."""
    nd = os.path.join(tmp, "dev")
    os.makedirs(nd, exist_ok=True)
    return ["unshare", "--mount", "--propagation", "private", "/bin/bash", "-c", PRIVATE_DEV,
            "private-dev", sock, argv0, nd]


class Receiver:
    """A fake syslog daemon: a datagram socket bound at PATH that reads when
    asked to, or all the time once pump() is called."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.got = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = None

    def read(self):
        """Everything queued now, added to self.got; returns the new ones."""
        new = []
        with self.lock:
            while True:
                try:
                    new.append(self.sock.recv(65536))
                except BlockingIOError:
                    break
            self.got += new
        return new

    def pump(self):
        """Read as it comes, as a syslog daemon does."""
        def loop():
            while not self.stop.is_set():
                select.select([self.sock], [], [], 0.1)
                self.read()
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        if self.thread:
            self.thread.join(5)
        self.sock.close()


STAMP = re.compile(rb"^<14>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d ")


def unstamped(datagram):
    """A syslog message without its time, which is checked and cut."""
    expect(STAMP.match(datagram), "not an RFC 3164 message of facility user, priority info",
           datagram)
    return STAMP.sub(b"", datagram)


class RealSupervisord(Supervisord):
    """test_supervisorctl's real supervisord (its own temp dir, stopped by
    PID), started on a config of our own, with WRAP before its command."""

    def __init__(self, tag):
        super().__init__(tag)
        os.chmod(self.tmp, 0o755)
        self.log = os.path.join(self.tmp, "supervisord.log")

    def start(self, text, wrap=()):
        with open(self.conf, "w") as f:
            f.write(text)
        env = dict(os.environ)
        env["CORRAL_E2E_TAG"] = self.tag
        self.out = open(os.path.join(self.tmp, "stdout"), "wb")
        self.proc = subprocess.Popen(list(wrap) + [SUPERVISORD, "-n", "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out,
                                     env=env, start_new_session=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def write_scripts(d):
    for name, text in (("writer.py", WRITER), ("listener.py", LISTENER)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def sd_config(d, main="", programs="", corral=""):
    """A supervisord.conf for the dir D; CORRAL: keys only corrald gets."""
    return ("[supervisord]\nlogfile = %s/supervisord.log\npidfile = %s/supervisord.pid\n"
            "childlogdir = %s/log\nnodaemon = true\n%s%s\n%s"
            % (d, d, d, main, corral, programs.replace("@DIR@", d).replace("@PY@", PY)))


def both(tag, main, programs):
    """A RealSupervisord and a Corral (not started) on the same config."""
    sd = RealSupervisord(tag)
    c = Corral(start=False, name="sdout")
    for d in (sd.tmp, c.tmp):
        write_scripts(d)
    c.write_config(sd_config(c.tmp, main, programs, "socket = %s\n" % c.sock), raw=True)
    return sd, c


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def test_strip_ansi_matches_supervisord():
    """strip_ansi = true: the log files hold, byte for byte, what
    supervisord's hold for the same output (colours, cursor moves, screen
    clears, supervisord's odd rule for a sequence it does not know; OSC and
    lone ESCs left), and PROCESS_LOG events carry the same stripped data
    (output that is not UTF-8 as supervisord's "Undecodable: b'...'")."""
    programs = """
[program:web]
command = @PY@ @DIR@/writer.py colours @DIR@/web.done
stdout_logfile = @DIR@/web.out
stderr_logfile = @DIR@/web.err
stdout_events_enabled = true
stderr_events_enabled = true
startsecs = 0

[eventlistener:rec]
command = @PY@ @DIR@/listener.py @DIR@/events
events = PROCESS_LOG
buffer_size = 50
stderr_logfile = @DIR@/rec.err
"""
    tag = "corral-e2e-sdstrip-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd, c = both(tag, "strip_ansi = true\n", programs)
    with sd, c:
        sd.start(sd_config(sd.tmp, "strip_ansi = true\n", programs))
        c.start()
        files = ("web.out", "web.err", "rec.err")
        for who, d in (("supervisord", sd.tmp), ("corrald", c.tmp)):
            wait_until(lambda d=d: os.path.exists(os.path.join(d, "web.done")), 60,
                       "%s's writer to finish" % who)
        # the events recorded: one per piece of each stream
        want_events = 12
        for who, d in (("supervisord", sd.tmp), ("corrald", c.tmp)):
            wait_until(lambda d=d: (read_bytes(os.path.join(d, "events")) or b"").count(b"\n")
                       >= want_events, 60, "%s's listener to record the output's events" % who)
        got = {}
        for who, d in (("supervisord", sd.tmp), ("corrald", c.tmp)):
            got[who] = {f: read_bytes(os.path.join(d, f)) for f in files + ("events",)}
        for f in files + ("events",):
            expect(got["corrald"][f] == got["supervisord"][f],
                   "%s differs from supervisord's" % f, got["supervisord"][f], got["corrald"][f])
        out = got["corrald"]["web.out"]
        expect(b"\x1b[" not in out and b"red plain\n" in out and b"\x1b]0;a title\x07" in out,
               "web.out is not stripped as supervisord strips", out)
        events = got["corrald"]["events"].decode().splitlines()
        expect(events[0] == "PROCESS_LOG_STDOUT stdout " + b"red plain\n".hex(),
               "the first PROCESS_LOG event is not the stripped output", events)


def test_debug_echoes_output_as_supervisord():
    """loglevel = debug: every piece of output, a listener's protocol and
    its stderr too, is echoed in corrald's log in the words supervisord
    uses in its own ('web' stdout output:, Undecodable: b'...', b'READY\\n')."""
    programs = """
[program:web]
command = @PY@ @DIR@/writer.py echo @DIR@/web.done
stdout_logfile = @DIR@/web.out
stderr_logfile = NONE
startsecs = 0

[program:w]
command = @PY@ @DIR@/writer.py lines @DIR@/%(process_num)d.done
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
redirect_stderr = true
stdout_logfile = NONE
startsecs = 0

[eventlistener:lis]
command = @PY@ @DIR@/listener.py @DIR@/events
events = PROCESS_COMMUNICATION
stderr_logfile = @DIR@/lis.err
"""
    main = "loglevel = debug\nstrip_ansi = true\n"
    tag = "corral-e2e-sdecho-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd, c = both(tag, main, programs)
    with sd, c:
        sd.start(sd_config(sd.tmp, main, programs))
        c.start()
        for who, d in (("supervisord", sd.tmp), ("corrald", c.tmp)):
            for done in ("web.done", "0.done", "1.done"):
                wait_until(lambda d=d, done=done: os.path.exists(os.path.join(d, done)), 60,
                           "%s's %s" % (who, done))
        logs = {"supervisord": lambda: read_bytes(sd.log) or b"",
                "corrald": lambda: read_bytes(c.stderr_path) or b""}
        record = {"supervisord": re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]{4} ", re.M),
                  "corrald": re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d corrald [a-z]+: ", re.M)}
        echo = re.compile(rb"^('[^']+') (stdout|stderr) output:\n", re.S)

        def echoed(who):
            """{(name, channel): [data, ...]} from WHO's log."""
            text = logs[who]()
            starts = [m for m in record[who].finditer(text)]
            out = {}
            for i, m in enumerate(starts):
                end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
                msg = text[m.end():end]
                if not msg.endswith(b"\n"):
                    continue  # still being written
                e = echo.match(msg[:-1])
                if e:
                    out.setdefault((e.group(1), e.group(2)), []).append(msg[e.end():-1])
            return out

        # what each process wrote, as pieces: both daemons read the same ones
        def complete(who):
            got = echoed(who)
            n = sum(len(v) for k, v in got.items() if k[0] != b"'lis'")
            return got if n >= 8 + 6 + 6 and got.get((b"'lis'", b"stdout")) else None

        got = {who: wait_until(lambda who=who: complete(who), 30,
                               lambda who=who: "%s's echo of all the output: %r" % (who, echoed(who)))
               for who in logs}
        for key in sorted(set(got["supervisord"]) | set(got["corrald"])):
            a, b = got["supervisord"].get(key), got["corrald"].get(key)
            if key == (b"'lis'", b"stdout"):
                # the protocol: shown as bytes, read in pieces as they come
                a = b"".join(ast.literal_eval(x.decode()) for x in a)
                b = b"".join(ast.literal_eval(x.decode()) for x in b or [b"b''"])
            expect(a == b, "echo of %s %s differs from supervisord's" % key, a, b)
        web = got["corrald"][(b"'web'", b"stdout")]
        expect(web[4] == b"Undecodable: b\"\\xff\\xfe undecodable 'quoted'\\n\"",
               "output that is not UTF-8 is not shown as supervisord shows it", web)
        expect(got["corrald"][(b"'lis'", b"stdout")][0] == b"b'READY\\n'",
               "a listener's protocol is not shown as bytes", got["corrald"])


def test_syslog_lines_match_supervisord():
    """stdout_syslog / stderr_syslog (and the old stdout_logfile = syslog):
    each line goes to /dev/log as the very datagram supervisord sends when
    corrald runs under supervisord's name (facility user, priority info,
    the daemon's name as the tag, the process name before the line),
    whether or not the stream also has a log file."""
    programs = """
[program:web]
command = @PY@ @DIR@/writer.py lines @DIR@/web.done
stdout_logfile = @DIR@/web.out
stdout_syslog = true
stderr_syslog = true
startsecs = 0

[program:quiet]
command = @PY@ @DIR@/writer.py lines @DIR@/quiet.done
stdout_logfile = NONE
stderr_logfile = NONE
stdout_syslog = true
startsecs = 0

[program:old]
command = @PY@ @DIR@/writer.py lines @DIR@/old.done
stdout_logfile = syslog
redirect_stderr = true
startsecs = 0

[program:w]
command = @PY@ @DIR@/writer.py lines @DIR@/w%(process_num)d.done
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
stdout_syslog = true
stderr_logfile = NONE
startsecs = 0

[group:g]
programs = w
"""
    main = "strip_ansi = true\n"
    tag = "corral-e2e-sdsyslog-%d-%d" % (os.getpid(), int(time.time() * 1000))
    sd, c = both(tag, main, programs)
    receivers = {}
    with sd, c:
        try:
            for who, d in (("supervisord", sd.tmp), ("corrald", c.tmp)):
                receivers[who] = Receiver(os.path.join(d, "devlog.sock"))
                receivers[who].pump()  # supervisord would block on a full socket
            sd.start(sd_config(sd.tmp, main, programs),
                     wrap=private_dev(sd.tmp, receivers["supervisord"].path))
            c.wrap = private_dev(c.tmp, receivers["corrald"].path, "supervisord")
            c.start()
            dones = ("web.done", "quiet.done", "old.done", "w0.done", "w1.done")
            by_name = {}
            for who, d in (("supervisord", sd.tmp), ("corrald", c.tmp)):
                for done in dones:
                    wait_until(lambda d=d, done=done: os.path.exists(os.path.join(d, done)), 60,
                               "%s's %s" % (who, done))

                def lines(who=who):
                    got = {}
                    receivers[who].read()
                    for g in receivers[who].got:
                        tag_name, _, rest = unstamped(g).partition(b" ")
                        name, _, line = rest.partition(b" ")
                        got.setdefault(name, []).append(tag_name + b" " + line)
                    return got

                # web: 6 lines of stdout and 3 of stderr; old: 9 (redirected);
                # quiet and each of w: 6, their stderr goes nowhere
                want = {b"web": 9, b"quiet": 6, b"old": 9, b"w_00": 6, b"w_01": 6}
                # corrald never waits for syslog: what the socket could not
                # take at once (its queue holds 10 datagrams, and the reader
                # here may be slow on a busy machine) is dropped and counted.
                status_name = {b"web": "web", b"quiet": "quiet", b"old": "old",
                               b"w_00": "g:w_00", b"w_01": "g:w_01"}

                def dropped(who=who):
                    if who == "supervisord":
                        return {k: 0 for k in want}
                    st = c.status()
                    return {k: st[status_name[k]]["syslog_dropped"] for k in want}
                by_name[who] = wait_until(
                    lambda: (lambda g, d: g if all(len(g.get(k, [])) + d[k] >= n
                                                   for k, n in want.items())
                             else None)(lines(), dropped()),
                    60, lambda who=who: "%s's syslog lines: %r" % (who, lines()))
                if who == "corrald":
                    lost = dropped()
            for name in sorted(set(by_name["supervisord"]) | set(by_name["corrald"])):
                a, b = by_name["supervisord"].get(name), by_name["corrald"].get(name)
                if not lost.get(name):
                    expect(a == b, "syslog lines of %r differ from supervisord's" % name, a, b)
                    continue
                # some dropped: what came is supervisord's lines, in order, less those
                it = iter(a or [])
                expect(all(line in it for line in (b or [])) and len(b or []) + lost[name] == len(a),
                       "syslog lines of %r (%d dropped) are not supervisord's, less the dropped"
                       % (name, lost[name]), a, b)
            # (on a busy machine every one of web's lines may have been dropped:
            # counted above, and then there is nothing of it to look at here)
            web = by_name["corrald"].get(b"web", [])
            expect(web or lost.get(b"web") == want[b"web"], "web's lines neither came nor were "
                   "counted as dropped", by_name["corrald"], lost)
            expect(all(l.startswith(b"supervisord: ") and b"\x1b" not in l for l in web),
                   "web's lines are not tagged and stripped as supervisord's", web)
            expect((read_bytes(os.path.join(c.tmp, "web.out")) or b"").startswith(b"first line\n"),
                   "web's log file does not have its lines too")
            made = os.listdir(c.logdir) + os.listdir(c.tmp)
            expect(not [f for f in made if f.startswith("old.") and f != "old.done" or f == "syslog"],
                   "stdout_logfile = syslog made a file", made)
        finally:
            for r in receivers.values():
                r.close()


def test_syslog_full_or_absent_never_blocks():
    """A syslog socket that is full (its reader does not read) or that
    nobody listens on never holds the program or its log file back: the
    program writes on, the log file gets every line, and each line syslog
    did not take is counted (status --json syslog_dropped) and said in
    corrald's log. Lines that fit are sent, tagged with corrald's name."""
    n = 20000  # 300 KB: more than a pipe holds, so a held-back writer would block
    config = """
[program:spam]
command = @PY@ @DIR@/writer.py spam @DIR@/spam.done %d
stdout_syslog = true
startsecs = 0
""" % n
    with Corral(config, scripts={"writer.py": WRITER}, start=False, name="syslogfull") as c:
        rcv = Receiver(c.path("devlog.sock"))
        rcv.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            c.wrap = private_dev(c.tmp, rcv.path)
            c.start()
            done = c.path("spam.done")
            # nothing is read from the socket meanwhile: with a blocking
            # syslog(3) the writer would wait here for ever
            wait_until(lambda: os.path.exists(done), 90,
                       "the writer to get all its lines out while syslog's socket is full")
            log = c.log("spam")
            wait_until(lambda: (c.read(log) or "").count("\n") >= n, 30,
                       "all %d lines in the log file" % n)
            expect(c.read(log) == "".join("spam line %d\n" % i for i in range(n)),
                   "the log file does not hold every line, in order")
            dropped = c.status()["spam"]["syslog_dropped"]
            got = rcv.read()
            expect(dropped > 0 and len(got) + dropped == n,
                   "%d lines sent and %d counted as dropped, of %d" % (len(got), dropped, n))
            expect(unstamped(got[0]) == b"corrald: spam spam line 0",
                   "the first line is not as syslog expects it", got[0])
            wait_until(lambda: re.search(r"syslog: \d+ lines? dropped, /dev/log did not take them "
                                         r"\(its socket is full; the last: spam's stdout\)",
                                         c.stderr_text()), 30,
                       lambda: "corrald's log to say lines were dropped:\n" + c.stderr_tail())

            # read again: the next lines get through, none is dropped
            with open(c.path("spam.done.go2"), "w") as f:
                f.write("5")
            wait_until(lambda: os.path.exists(c.path("spam.done.2")), 30, "the second batch")
            wait_until(lambda: (rcv.read(), len(rcv.got) >= len(got) + 5)[1], 30,
                       "the second batch in syslog")
            more = [unstamped(g) for g in rcv.got[len(got):]]
            expect(more == [b"corrald: spam more 2 line %d" % i for i in range(5)],
                   "lines after the socket had room again", more)
            expect(c.status()["spam"]["syslog_dropped"] == dropped,
                   "lines dropped once syslog took them again")

            # nobody listens any more
            rcv.close()
            with open(c.path("spam.done.go3"), "w") as f:
                f.write("20")
            wait_until(lambda: os.path.exists(c.path("spam.done.3")), 30,
                       "the third batch, with nobody listening")
            wait_until(lambda: (c.read(log) or "").endswith("more 3 line 19\n"), 30,
                       "the third batch in the log file")
            expect(c.status()["spam"]["syslog_dropped"] == dropped + 20,
                   "the lines nobody took are not counted", c.status()["spam"])
            # said at most every 10 s: in the end, every line, and why the last went
            said = re.compile(r"syslog: (\d+) lines? dropped, /dev/log did not take them \(([^;]*);")

            def all_said():
                found = said.findall(c.stderr_text())
                return (sum(int(k) for k, _ in found) == dropped + 20 and
                        found[-1][1] == "nobody listens there")
            wait_until(all_said, 40,
                       lambda: "corrald's log to say all %d lines went nowhere:\n%s"
                       % (dropped + 20, c.stderr_tail()))
        finally:
            rcv.close()
